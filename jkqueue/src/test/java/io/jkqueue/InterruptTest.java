package io.jkqueue;

import static io.jkqueue.KEvent.*;
import static io.jkqueue.Kq.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Thread.interrupt() of threads blocked in kevent: an interrupt is never
 * lost, however many threads wait in one kqueue (each interrupted waiter
 * returns with EINTR; the others keep waiting).
 */
// longer than the default in junit-platform.properties: rounds of interrupts among many waiters
@Timeout(150)
class InterruptTest {

    /** A thread blocked in kevent(null, 4 events, forever) on {@code kq}; what it ended with goes to {@code ended}. */
    private static Thread waiter(KQueue kq, BlockingQueue<Throwable> ended, AtomicReference<Boolean> statusKept) {
        Thread t = new Thread(() -> {
            try {
                kq.kevent(new KEventList(0), new KEventList(4), -1);
                ended.add(new AssertionError("kevent returned without an event"));
            } catch (Throwable e) {
                if (statusKept != null) {
                    statusKept.set(Thread.currentThread().isInterrupted());
                }
                ended.add(e);
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void assertEintr(Throwable e) {
        assertThat(e).isInstanceOf(KQueueException.class);
        assertThat(((KQueueException) e).errno()).isEqualTo(Errno.EINTR);
    }

    @ParameterizedTest(name = "{0} waiters")
    @ValueSource(ints = {2, 8, 16})
    void eachInterruptedWaiterOfManyEndsWithEintrAndTheOthersWaitOn(int n) throws Exception {
        try (KQueue kq = KQueue.open()) {
            List<Thread> waiters = new ArrayList<>();
            List<BlockingQueue<Throwable>> ended = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                ended.add(new ArrayBlockingQueue<>(1));
                waiters.add(waiter(kq, ended.get(i), null));
            }
            for (Thread t : waiters) {
                awaitBlockedInKevent(t);
            }
            for (int i = 0; i < n; i++) {
                waiters.get(i).interrupt();
                Throwable e = ended.get(i).poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
                assertThat(e).as("waiter %d of %d woke up after its interrupt", i, n).isNotNull();
                assertEintr(e);
                for (int j = i + 1; j < n; j++) {
                    assertThat(ended.get(j)).as("waiter %d was not interrupted and still waits", j).isEmpty();
                }
            }
            // the kqueue still works
            apply(kq, user(1, EV_ADD | EV_CLEAR), trigger(1));
            assertThat(one(kq).ident()).isEqualTo(1);
        }
    }

    @Test
    void interruptingEveryWaiterAtOnceWakesThemAll() throws Exception {
        int n = 16;
        try (KQueue kq = KQueue.open()) {
            BlockingQueue<Throwable> ended = new ArrayBlockingQueue<>(n);
            List<Thread> waiters = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                waiters.add(waiter(kq, ended, null));
            }
            for (Thread t : waiters) {
                awaitBlockedInKevent(t);
            }
            waiters.forEach(Thread::interrupt);
            for (int i = 0; i < n; i++) {
                Throwable e = ended.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
                assertThat(e).as("%d of %d waiters woke up", i, n).isNotNull();
                assertEintr(e);
            }
        }
    }

    @Test
    void anInterruptedWaiterKeepsItsInterruptStatusAndAnotherWaiterStillGetsTheNextEvent() throws Exception {
        try (KQueue kq = KQueue.open()) {
            apply(kq, user(7, EV_ADD | EV_CLEAR));
            BlockingQueue<Throwable> interruptedEnd = new ArrayBlockingQueue<>(1);
            AtomicReference<Boolean> statusKept = new AtomicReference<>();
            Thread interrupted = waiter(kq, interruptedEnd, statusKept);
            KEventList got = new KEventList(1);
            AtomicReference<Throwable> otherFailed = new AtomicReference<>();
            Thread other = new Thread(() -> {
                try {
                    kq.kevent(null, got, -1);
                } catch (Throwable e) {
                    otherFailed.set(e);
                }
            });
            other.start();
            awaitBlockedInKevent(interrupted);
            awaitBlockedInKevent(other);
            interrupted.interrupt();
            Throwable e = interruptedEnd.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(e).as("the interrupted waiter woke up").isNotNull();
            assertEintr(e);
            assertThat(statusKept.get()).as("interrupt status still set").isTrue();
            apply(kq, trigger(7));
            other.join(WAIT.toMillis());
            assertThat(other.isAlive()).as("the other waiter got the trigger").isFalse();
            assertThat(otherFailed.get()).isNull();
            assertThat(got.size()).isEqualTo(1);
            assertThat(got.ident(0)).isEqualTo(7);
        }
    }

    /**
     * Waiters loop in kevent on a few kqueues while other threads trigger
     * events, close kqueues and open new ones, and interrupt waiters
     * (noisy phases); between them, with nothing else happening, every waiter
     * is interrupted (quiet phases). Each interrupt must end in EINTR
     * (at once, or at the waiter's next call if its call returned events that
     * were already queued): a lost one leaves a waiter blocked in a quiet phase.
     */
    @Test
    void everyInterruptEndsInEintrUnderTriggersAndCloses() throws Exception {
        int kqueues = 3;
        int waiters = 12;
        long runNanos = TimeUnit.SECONDS.toNanos(Long.getLong("jkqueue.test.interruptSeconds", 8));
        AtomicReferenceArray<KQueue> kqs = new AtomicReferenceArray<>(kqueues);
        for (int i = 0; i < kqueues; i++) {
            kqs.set(i, openWithUserEvent());
        }
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        ReentrantReadWriteLock noisy = new ReentrantReadWriteLock();   // write-locked during a quiet phase
        AtomicInteger[] owed = new AtomicInteger[waiters];             // 1: interrupted, EINTR not seen yet
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < waiters; w++) {
            AtomicInteger mine = owed[w] = new AtomicInteger();
            threads.add(Thread.ofPlatform().name("waiter-" + w).start(() -> {
                KEventList out = new KEventList(2);
                while (!stop.get()) {
                    try {
                        kqs.get(ThreadLocalRandom.current().nextInt(kqueues)).kevent(null, out, -1);
                    } catch (KQueueException e) {
                        if (e.errno() == Errno.EINTR) {
                            Thread.interrupted();
                            mine.set(0);
                        } else if (e.errno() != Errno.EBADF) {
                            failure.compareAndSet(null, e);
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }
            }));
        }
        List<Thread> noise = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            noise.add(Thread.ofPlatform().name("triggers-" + i).start(() -> {
                KEventList change = new KEventList(1);
                change.add(1, EVFILT_USER, 0, NOTE_TRIGGER, 0, null);
                while (!stop.get()) {
                    noisy.readLock().lock();
                    try {
                        kqs.get(ThreadLocalRandom.current().nextInt(kqueues)).kevent(change, null, 0);
                    } catch (KQueueException closed) {
                        // raced with a close
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    } finally {
                        noisy.readLock().unlock();
                    }
                    LockSupport.parkNanos(20_000);
                }
            }));
        }
        noise.add(Thread.ofPlatform().name("closer").start(() -> {
            while (!stop.get()) {
                noisy.readLock().lock();
                try {
                    int i = ThreadLocalRandom.current().nextInt(kqueues);
                    kqs.getAndSet(i, openWithUserEvent()).close();
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                } finally {
                    noisy.readLock().unlock();
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }));
        int interrupts = 0;
        int quietPhases = 0;
        long end = System.nanoTime() + runNanos;
        try {
            while (System.nanoTime() < end && failure.get() == null) {
                // noisy: interrupts race with triggers and closes
                for (long phaseEnd = System.nanoTime() + 300_000_000L; System.nanoTime() < phaseEnd; ) {
                    int w = ThreadLocalRandom.current().nextInt(waiters);
                    if (owed[w].compareAndSet(0, 1)) {
                        threads.get(w).interrupt();
                        interrupts++;
                    }
                    Thread.sleep(0, 500_000);
                }
                // quiet: nothing else can wake a waiter now
                noisy.writeLock().lock();
                try {
                    for (int w = 0; w < waiters; w++) {
                        if (owed[w].compareAndSet(0, 1)) {
                            threads.get(w).interrupt();
                            interrupts++;
                        }
                    }
                    long deadline = System.nanoTime() + WAIT.toNanos();
                    for (int w = 0; w < waiters; w++) {
                        while (owed[w].get() != 0 && System.nanoTime() < deadline) {
                            Thread.sleep(1);
                        }
                        assertThat(owed[w].get()).as("waiter %d answered its interrupt with EINTR (quiet phase %d)",
                                w, quietPhases).isZero();
                    }
                    quietPhases++;
                } finally {
                    noisy.writeLock().unlock();
                }
            }
        } finally {
            stop.set(true);
            for (Thread t : noise) {
                t.join(WAIT.toMillis());
            }
            for (int i = 0; i < kqueues; i++) {
                kqs.get(i).close();   // wakes the waiters still blocked (EBADF)
            }
            for (Thread t : threads) {
                t.join(WAIT.toMillis());
                assertThat(t.isAlive()).as("%s ended", t.getName()).isFalse();
            }
        }
        assertThat(failure.get()).isNull();
        assertThat(quietPhases).as("quiet phases").isPositive();
        assertThat(interrupts).as("interrupts sent").isGreaterThan(waiters * quietPhases);
    }

    private static KQueue openWithUserEvent() throws Exception {
        KQueue kq = KQueue.open();
        apply(kq, user(1, EV_ADD | EV_CLEAR));
        return kq;
    }
}
