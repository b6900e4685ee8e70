package io.jkqueue;

import static io.jkqueue.KEvent.*;
import static io.jkqueue.Kq.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.Timeout;

/** Several threads on one kqueue: each event to exactly one scanner; close() and interrupt wake waiters. */
// longer than the default in junit-platform.properties: a million triggers through eight threads
@Timeout(150)
@ExtendWith(KqExtension.class)
class ConcurrencyTest {
    private static final int CONSUMERS = 8;
    private static final int IDENTS = 64;
    private static final int TRIGGERS = Integer.getInteger("jkqueue.test.triggers", 1_000_000);

    @Test
    void everyDispatchedTriggerIsDeliveredExactlyOnce(KQueue kq) throws Exception {
        KEventList add = new KEventList(IDENTS);
        for (int i = 0; i < IDENTS; i++) {
            add.add(i, EVFILT_USER, EV_ADD | EV_CLEAR | EV_DISPATCH, 0, 0, null);
        }
        kq.kevent(add, new KEventList(0), 0);

        // an ident goes back to the producer only after its delivery was consumed and re-enabled
        BlockingQueue<Integer> ready = new ArrayBlockingQueue<>(IDENTS);
        for (int i = 0; i < IDENTS; i++) {
            ready.add(i);
        }
        AtomicLongArray lastSeq = new AtomicLongArray(IDENTS); // last sequence delivered per ident
        AtomicLong delivered = new AtomicLong();
        ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(1);

        List<Thread> consumers = new ArrayList<>();
        for (int c = 0; c < CONSUMERS; c++) {
            Thread t = new Thread(() -> {
                KEventList none = new KEventList(0);
                KEventList events = new KEventList(16);
                KEventList enable = new KEventList(1);
                try {
                    while (done.getCount() > 0) {
                        int n = kq.kevent(none, events, 200_000_000L);
                        for (int i = 0; i < n; i++) {
                            int id = (int) events.ident(i);
                            long seq = events.data(i);
                            int low = events.fflags(i);
                            long prev = lastSeq.get(id);
                            if (seq != prev + 1) {
                                errors.add("ident " + id + ": got seq " + seq + " after " + prev);
                            }
                            if (low != (int) (seq & NOTE_FFLAGSMASK)) {
                                errors.add("ident " + id + ": fflags " + low + " for seq " + seq);
                            }
                            if ((events.flags(i) & (EV_ERROR | EV_EOF)) != 0) {
                                errors.add("ident " + id + ": flags " + events.flags(i));
                            }
                            lastSeq.set(id, seq);
                            delivered.incrementAndGet();
                            enable.clear();
                            enable.add(id, EVFILT_USER, EV_ENABLE, 0, 0, null);
                            kq.kevent(enable, none, 0);
                            ready.put(id);
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "consumer-" + c);
            t.start();
            consumers.add(t);
        }

        Thread producer = new Thread(() -> {
            long[] nextSeq = new long[IDENTS];
            KEventList changes = new KEventList(IDENTS);
            KEventList none = new KEventList(0);
            List<Integer> batch = new ArrayList<>(IDENTS);
            try {
                long issued = 0;
                while (issued < TRIGGERS) {
                    Integer first = ready.poll(30, TimeUnit.SECONDS);
                    if (first == null) {
                        failure.compareAndSet(null, new AssertionError("no ident came back within 30 s after "
                                + issued + " triggers (a delivery was lost)"));
                        return;
                    }
                    batch.clear();
                    batch.add(first);
                    ready.drainTo(batch, (int) Math.min(IDENTS - 1, TRIGGERS - issued - 1));
                    changes.clear();
                    for (int id : batch) {
                        long seq = ++nextSeq[id];
                        changes.add(id, EVFILT_USER, 0,
                                NOTE_TRIGGER | NOTE_FFCOPY | (int) (seq & NOTE_FFLAGSMASK), seq, null);
                    }
                    kq.kevent(changes, none, 0);
                    issued += batch.size();
                }
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
            }
        }, "producer");
        producer.start();
        producer.join(150_000);
        assertThat(producer.isAlive()).as("producer finished").isFalse();

        // wait for the last deliveries
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (delivered.get() < TRIGGERS && failure.get() == null && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        done.countDown();
        for (Thread t : consumers) {
            t.join(WAIT);
            assertThat(t.isAlive()).as(t.getName() + " stopped").isFalse();
        }
        assertThat(failure.get()).isNull();
        assertThat(errors).isEmpty();
        assertThat(delivered.get()).isEqualTo(TRIGGERS);
        long sum = 0;
        for (int i = 0; i < IDENTS; i++) {
            sum += lastSeq.get(i);
        }
        assertThat(sum).as("the last sequence numbers add up to the triggers").isEqualTo(TRIGGERS);
        // nothing more is pending
        assertThat(poll(kq)).isEmpty();
    }

    @Test
    void aSingleTriggerGoesToExactlyOneOfSeveralWaiters() throws Exception {
        // one EV_CLEAR knote triggered once: among many concurrent scanners exactly one gets it
        try (KQueue kq = KQueue.open()) {
            apply(kq, user(1, EV_ADD | EV_CLEAR));
            for (int round = 0; round < 10; round++) {
                AtomicLong got = new AtomicLong();
                AtomicReference<Throwable> failure = new AtomicReference<>();
                CountDownLatch go = new CountDownLatch(1);
                List<Thread> ts = new ArrayList<>();
                for (int c = 0; c < 4; c++) {
                    Thread t = new Thread(() -> {
                        try {
                            go.await();
                            got.addAndGet(kq.kevent(null, new KEvent[4], Duration.ofMillis(500)));
                        } catch (Throwable e) {
                            failure.set(e);
                        }
                    });
                    t.start();
                    ts.add(t);
                }
                go.countDown();
                apply(kq, trigger(1));
                for (Thread t : ts) {
                    t.join(WAIT);
                }
                assertThat(failure.get()).isNull();
                assertThat(got.get()).as("round %d", round).isEqualTo(1);
            }
        }
    }

    /** Starts {@code wait} on a thread and returns once that thread is blocked in kevent. */
    private static Background<Integer> blockedWaiter(Callable<Integer> wait) throws InterruptedException {
        Background<Integer> w = inBackground(wait);
        awaitBlockedInKevent(w.thread());
        return w;
    }

    private static Errno errno(Throwable thrown) {
        assertThat(thrown).isInstanceOf(KQueueException.class);
        return ((KQueueException) thrown).errno();
    }

    @Test
    void closeWakesABlockedWaiterWithEbadf(KQueue kq) throws Exception {
        Background<Integer> waiter = blockedWaiter(() -> kq.kevent(null, new KEvent[1], null));
        kq.close();
        assertThat(errno(waiter.failure())).isEqualTo(Errno.EBADF);
    }

    @Test
    void closeWakesEveryWaiter(KQueue kq) throws Exception {
        List<Background<Integer>> waiters = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            waiters.add(blockedWaiter(i % 2 == 0
                    ? () -> kq.kevent(new KEventList(0), new KEventList(4), -1)
                    : () -> kq.kevent(null, new KEvent[4], null)));
        }
        kq.close();
        for (Background<Integer> w : waiters) {
            assertThat(errno(w.failure())).isEqualTo(Errno.EBADF);
        }
    }

    @Test
    void interruptWakesABlockedWaiterWithEintrAndKeepsTheInterruptStatus(KQueue kq) throws Exception {
        AtomicBoolean interrupted = new AtomicBoolean();
        Background<Integer> waiter = blockedWaiter(() -> {
            try {
                return kq.kevent(null, new KEvent[1], null);
            } finally {
                interrupted.set(Thread.currentThread().isInterrupted());
            }
        });
        waiter.thread().interrupt();
        assertThat(errno(waiter.failure())).isEqualTo(Errno.EINTR);
        assertThat(interrupted.get()).as("interrupt status still set").isTrue();
        // the kqueue still works afterwards
        apply(kq, user(1, EV_ADD | EV_CLEAR), trigger(1));
        assertThat(one(kq).ident()).isEqualTo(1);
    }

    @Test
    void interruptWakesAWaiterWithATimeoutToo(KQueue kq) throws Exception {
        Background<Integer> waiter = blockedWaiter(
                () -> kq.kevent(new KEventList(0), new KEventList(2), WAIT.multipliedBy(2).toNanos()));
        waiter.thread().interrupt();
        assertThat(errno(waiter.failure())).isEqualTo(Errno.EINTR);
    }

    @Test
    void concurrentChangesFromManyThreadsOnDistinctIdents(KQueue kq) throws Exception {
        int threads = 4;
        int per = 500;
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int base = t * per;
            Thread th = new Thread(() -> {
                try {
                    for (int i = 0; i < per; i++) {
                        apply(kq, user(base + i, EV_ADD | EV_CLEAR), trigger(base + i));
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            th.start();
            ts.add(th);
        }
        java.util.BitSet seen = new java.util.BitSet();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (seen.cardinality() < threads * per && System.nanoTime() < deadline) {
            for (KEvent e : waitFor(kq, 256, Duration.ofMillis(200))) {
                assertThat(seen.get((int) e.ident())).as("ident %d once", e.ident()).isFalse();
                seen.set((int) e.ident());
            }
        }
        for (Thread th : ts) {
            th.join(WAIT);
        }
        assertThat(failure.get()).isNull();
        assertThat(seen.cardinality()).isEqualTo(threads * per);
    }
}
