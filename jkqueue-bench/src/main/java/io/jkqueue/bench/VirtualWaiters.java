package io.jkqueue.bench;

import io.jkqueue.KEvent;
import io.jkqueue.KQueue;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Many virtual threads parked in kevent: N virtual threads wait (no timeout)
 * on K kqueues (N/K each). Per round: the heap each parked waiter costs
 * (heap after System.gc() with all parked, minus before, / N), and the time
 * from closing the K kqueues until every waiter has returned (EBADF).
 *
 * <p>Options: --waiters=10000 --kqueues=100 --rounds=5
 */
public final class VirtualWaiters {
    private VirtualWaiters() {}

    public static void main(String[] args) throws Exception {
        int waiters = (int) Rounds.opt(args, "waiters", 10_000);
        int kqueues = (int) Rounds.opt(args, "kqueues", 100);
        int rounds = (int) Rounds.opt(args, "rounds", 5);
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        System.out.printf(Locale.ROOT, "== %d virtual threads parked in kevent on %d kqueues%n", waiters, kqueues);
        double[] bytes = new double[rounds];
        double[] wakeMs = new double[rounds];
        for (int r = -1; r < rounds; r++) {
            System.gc();
            long before = mem.getHeapMemoryUsage().getUsed();
            List<KQueue> kqs = new ArrayList<>();
            for (int k = 0; k < kqueues; k++) {
                kqs.add(KQueue.open());
            }
            CountDownLatch entered = new CountDownLatch(waiters);
            CountDownLatch ended = new CountDownLatch(waiters);
            List<Thread> threads = new ArrayList<>(waiters);
            for (int i = 0; i < waiters; i++) {
                KQueue kq = kqs.get(i % kqueues);
                threads.add(Thread.ofVirtual().start(() -> {
                    entered.countDown();
                    try {
                        kq.kevent(null, new KEvent[1], null);
                    } catch (Exception closed) {
                        // EBADF: the close below
                    }
                    ended.countDown();
                }));
            }
            entered.await();
            // every waiter parked: no virtual thread runnable any more
            for (Thread t : threads) {
                while (t.getState() != Thread.State.WAITING) {
                    Thread.sleep(1);
                }
            }
            System.gc();
            long parked = mem.getHeapMemoryUsage().getUsed();
            long t0 = System.nanoTime();
            for (KQueue kq : kqs) {
                kq.close();
            }
            if (!ended.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException(ended.getCount() + " waiters did not wake");
            }
            long t1 = System.nanoTime();
            if (r >= 0) {
                bytes[r] = (parked - before) / (double) waiters;
                wakeMs[r] = (t1 - t0) / 1e6;
                System.out.printf(Locale.ROOT, "  round %d: %.0f B per parked waiter, all woken by close in %.1f ms%n",
                        r + 1, bytes[r], wakeMs[r]);
            }
        }
        Rounds.summary("virtual waiters: heap per parked waiter", Rounds.brief(bytes, "%.0f") + " B", "", "");
        Rounds.summary("virtual waiters: close wakes all " + waiters, Rounds.brief(wakeMs, "%.1f") + " ms", "", "");
    }
}
