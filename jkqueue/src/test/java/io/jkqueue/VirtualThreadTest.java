package io.jkqueue;

import static io.jkqueue.KEvent.*;
import static io.jkqueue.Kq.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

/**
 * kevent on virtual threads (SPEC §5.5): a virtual thread that must wait
 * parks and frees its carrier, and wakes exactly as a platform thread does.
 * The carriers are few (as many as the machine's cores), so a waiter that
 * held its carrier would stall everything here.
 */
class VirtualThreadTest {

    /** Waits (up to WAIT) for every thread to end. */
    private static void joinAll(List<Thread> threads) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        for (Thread t : threads) {
            t.join(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            assertThat(t.isAlive()).as("%s ended", t).isFalse();
        }
    }

    @Test
    void aThousandVirtualThreadsEachWaitOnItsOwnKqueueForATimer() throws Exception {
        int n = 1000;
        AtomicInteger fired = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            threads.add(Thread.ofVirtual().start(() -> {
                try (KQueue kq = KQueue.open()) {
                    apply(kq, timer(1, EV_ADD | EV_ONESHOT, 0, 300));
                    KEvent e = one(kq);
                    if (e.filter() == EVFILT_TIMER && e.data() == 1) {
                        fired.incrementAndGet();
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }));
        }
        joinAll(threads);
        assertThat(failure.get()).isNull();
        assertThat(fired).hasValue(n);
    }

    @Test
    void moreVirtualWaitersThanCarriersLeaveOtherVirtualThreadsRunning() throws Exception {
        int waiters = 4 * Runtime.getRuntime().availableProcessors() + 4;
        try (KQueue kq = KQueue.open()) {
            apply(kq, user(1, EV_ADD | EV_CLEAR));
            List<Thread> blocked = new ArrayList<>();
            for (int i = 0; i < waiters; i++) {
                blocked.add(Thread.ofVirtual().start(() -> {
                    try {
                        kq.kevent(null, new KEvent[1], null);
                    } catch (Exception closed) {
                        // the close at the end
                    }
                }));
            }
            // every waiter is parked in kevent, and still a virtual thread gets to run to its end
            for (Thread t : blocked) {
                awaitParked(t);
            }
            CountDownLatch ran = new CountDownLatch(1);
            Thread.ofVirtual().start(ran::countDown);
            assertThat(ran.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).as("another virtual thread ran").isTrue();
            kq.close();
            joinAll(blocked);
        }
    }

    /** Waits (up to WAIT) until the virtual thread {@code t} is parked in a kevent. */
    private static void awaitParked(Thread t) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            if (t.getState() == Thread.State.WAITING || t.getState() == Thread.State.TIMED_WAITING) {
                for (StackTraceElement f : t.getStackTrace()) {
                    if (f.getClassName().equals("io.jkqueue.core.WaitPath")) {
                        return;
                    }
                }
            }
            Thread.sleep(2);
        }
    }

    @Test
    void eachTriggerGoesToExactlyOneOfVirtualAndPlatformWaiters() throws Exception {
        int triggers = 2000;
        int virtualWaiters = 6;
        int platformWaiters = 2;
        try (KQueue kq = KQueue.open()) {
            KEvent[] add = new KEvent[triggers];
            for (int i = 0; i < triggers; i++) {
                add[i] = user(i, EV_ADD | EV_DISPATCH);
            }
            apply(kq, add);
            Set<Long> seen = ConcurrentHashMap.newKeySet();
            AtomicInteger duplicates = new AtomicInteger();
            AtomicInteger byVirtual = new AtomicInteger();
            CountDownLatch all = new CountDownLatch(triggers);
            Runnable waiter = () -> {
                KEventList out = new KEventList(4);
                try {
                    while (true) {
                        int n = kq.kevent(null, out, -1);
                        for (int i = 0; i < n; i++) {
                            if (!seen.add(out.ident(i))) {
                                duplicates.incrementAndGet();
                            }
                            if (Thread.currentThread().isVirtual()) {
                                byVirtual.incrementAndGet();
                            }
                            all.countDown();
                        }
                    }
                } catch (Exception closed) {
                    // the close at the end
                }
            };
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < virtualWaiters; i++) {
                threads.add(Thread.ofVirtual().start(waiter));
            }
            for (int i = 0; i < platformWaiters; i++) {
                threads.add(Thread.ofPlatform().start(waiter));
            }
            for (int i = 0; i < triggers; i++) {
                apply(kq, trigger(i));
                if (i % 64 == 0) {
                    Thread.sleep(1);   // let waiters park again between bursts
                }
            }
            assertThat(all.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).as("every trigger was handed out").isTrue();
            kq.close();
            joinAll(threads);
            assertThat(seen).hasSize(triggers);
            assertThat(duplicates).hasValue(0);
            assertThat(byVirtual.get()).as("virtual waiters took their share").isPositive();
        }
    }

    @Test
    void closeWakesAParkedVirtualWaiterWithEbadf() throws Exception {
        KQueue kq = KQueue.open();
        BlockingQueue<Throwable> ended = new ArrayBlockingQueue<>(1);
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                kq.kevent(null, new KEvent[1], null);
                ended.add(new AssertionError("kevent returned"));
            } catch (Throwable e) {
                ended.add(e);
            }
        });
        awaitParked(t);
        kq.close();
        Throwable e = ended.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(e).isInstanceOfSatisfying(KQueueException.class,
                k -> assertThat(k.errno()).isEqualTo(Errno.EBADF));
    }

    @Test
    void interruptEndsAParkedVirtualWaiterWithEintrAndKeepsTheStatus() throws Exception {
        try (KQueue kq = KQueue.open()) {
            BlockingQueue<Throwable> ended = new ArrayBlockingQueue<>(1);
            AtomicReference<Boolean> statusKept = new AtomicReference<>();
            Thread t = Thread.ofVirtual().start(() -> {
                try {
                    kq.kevent(null, new KEvent[1], Duration.ofSeconds(60));
                    ended.add(new AssertionError("kevent returned"));
                } catch (Throwable e) {
                    statusKept.set(Thread.currentThread().isInterrupted());
                    ended.add(e);
                }
            });
            awaitParked(t);
            t.interrupt();
            Throwable e = ended.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(e).isInstanceOfSatisfying(KQueueException.class,
                    k -> assertThat(k.errno()).isEqualTo(Errno.EINTR));
            assertThat(statusKept.get()).isTrue();
        }
    }

    @Test
    void descriptorReadinessAndTimeoutsWakeVirtualWaiters() throws Exception {
        Pipe p = Pipe.open();
        try (KQueue kq = KQueue.open(); var source = p.source(); var sink = p.sink()) {
            apply(kq, ev(Fd.of(source), EVFILT_READ, EV_ADD | EV_CLEAR));
            BlockingQueue<Object> got = new ArrayBlockingQueue<>(2);
            Thread t = Thread.ofVirtual().start(() -> {
                try {
                    got.add(kq.kevent(null, new KEvent[1], Duration.ofMillis(50)));   // a timeout, nothing ready
                    KEvent[] out = new KEvent[1];
                    kq.kevent(null, out, null);
                    got.add(out[0]);
                } catch (Throwable e) {
                    got.add(e);
                }
            });
            assertThat(got.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(0);
            awaitParked(t);
            sink.write(ByteBuffer.wrap(new byte[5]));
            Object e = got.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(e).isInstanceOfSatisfying(KEvent.class, k -> {
                assertThat(k.filter()).isEqualTo(EVFILT_READ);
                assertThat(k.data()).isEqualTo(5);
            });
        }
    }
}
