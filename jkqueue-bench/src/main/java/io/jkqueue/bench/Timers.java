package io.jkqueue.bench;

import io.jkqueue.KEvent;
import io.jkqueue.KEventList;
import io.jkqueue.KQueue;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * (c) One million one-shot timers, delays spread over 1..1000 ms: jkqueue
 * (EVFILT_TIMER EV_ONESHOT added in batches on one kqueue, then one thread
 * collecting until all have fired) against a ScheduledThreadPoolExecutor
 * with one thread scheduling the same delays and waiting for all, in
 * interleaved rounds. Reported per round: wall time from the first add to
 * the last expiry seen, process CPU time over that interval, time spent
 * adding, and the overrun (wall time past the latest deadline, 1000 ms).
 * Then, three times, the CPU time jkqueue takes to collect all the timers
 * once every one is overdue (the work per timer without wake-ups). Then
 * bytes per pending timer for both: heap used after System.gc() with a
 * million timers pending (delays ~1000 s, so none fires) minus before.
 *
 * <p>Each round also counts the process's voluntary context switches, the
 * times a thread went to sleep (and was woken); with {@code --c-wakeups}
 * (bench/c/wakeups.c) it measures what that many bare wake-ups over one
 * second cost in C: the CPU a round spends on waking alone.
 *
 * <p>jkqueue's per-JVM timer limit must allow it: -Djkqueue.kq_calloutmax=2000000
 * (set here when absent). Options: --rounds=N --warmup=N --timers=N --stpe-threads=N --c-wakeups=PATH
 */
public final class Timers {
    static final int BATCH = 4096;

    final int count;
    final int[] delayMs;
    final int stpeThreads;

    Timers(int count, int stpeThreads) {
        this.count = count;
        this.stpeThreads = stpeThreads;
        delayMs = new int[count];
        for (int i = 0; i < count; i++) {
            delayMs[i] = 1 + (int) ((i * 2654435761L) % 1000);   // 1..1000 ms, evenly spread
        }
    }

    /** {wall ms, cpu ms, add ms, voluntary context switches}. */
    double[] jkqueue(long extraMs) throws Exception {
        try (KQueue kq = KQueue.open()) {
            KEventList changes = new KEventList(BATCH);
            KEventList none = new KEventList(0);
            KEventList events = new KEventList(BATCH);
            long switches0 = Support.voluntarySwitches();
            long cpu0 = Support.processCpuNanos();
            long t0 = System.nanoTime();
            addAll(kq, changes, none, extraMs);
            long tAdded = System.nanoTime();
            long fired = 0;
            while (fired < count) {
                int n = kq.kevent(none, events, -1);
                for (int i = 0; i < n; i++) {
                    if ((events.flags(i) & KEvent.EV_ERROR) != 0) {
                        throw new IllegalStateException("EV_ERROR " + events.data(i));
                    }
                }
                fired += n;
            }
            long t1 = System.nanoTime();
            long cpu1 = Support.processCpuNanos();
            return new double[] {(t1 - t0) / 1e6, (cpu1 - cpu0) / 1e6, (tAdded - t0) / 1e6,
                    Support.voluntarySwitches() - switches0};
        }
    }

    /**
     * {cpu ms, wall ms} to collect all timers once every one is overdue (added as in
     * a round, then a sleep past the last deadline): the work per timer with no
     * wake-up to pay for, a floor for the collecting part of a round's CPU.
     */
    double[] jkqueueOverdue() throws Exception {
        try (KQueue kq = KQueue.open()) {
            KEventList changes = new KEventList(BATCH);
            KEventList none = new KEventList(0);
            KEventList events = new KEventList(BATCH);
            addAll(kq, changes, none, 0);
            Thread.sleep(1_100);
            long cpu0 = Support.processCpuNanos();
            long t0 = System.nanoTime();
            long fired = 0;
            while (fired < count) {
                fired += kq.kevent(none, events, -1);
            }
            return new double[] {(Support.processCpuNanos() - cpu0) / 1e6, (System.nanoTime() - t0) / 1e6};
        }
    }

    private void addAll(KQueue kq, KEventList changes, KEventList none, long extraMs) throws Exception {
        for (int base = 0; base < count; base += BATCH) {
            changes.clear();
            int end = Math.min(count, base + BATCH);
            for (int i = base; i < end; i++) {
                changes.add(i, KEvent.EVFILT_TIMER, KEvent.EV_ADD | KEvent.EV_ONESHOT, KEvent.NOTE_MSECONDS,
                        delayMs[i] + extraMs, null);
            }
            kq.kevent(changes, none, 0);
        }
    }

    double[] stpe() throws Exception {
        ScheduledThreadPoolExecutor ex = new ScheduledThreadPoolExecutor(stpeThreads);
        ex.prestartAllCoreThreads();
        try {
            CountDownLatch done = new CountDownLatch(count);
            Runnable task = done::countDown;
            long switches0 = Support.voluntarySwitches();
            long cpu0 = Support.processCpuNanos();
            long t0 = System.nanoTime();
            for (int i = 0; i < count; i++) {
                ex.schedule(task, delayMs[i], TimeUnit.MILLISECONDS);
            }
            long tAdded = System.nanoTime();
            done.await();
            long t1 = System.nanoTime();
            long cpu1 = Support.processCpuNanos();
            return new double[] {(t1 - t0) / 1e6, (cpu1 - cpu0) / 1e6, (tAdded - t0) / 1e6,
                    Support.voluntarySwitches() - switches0};
        } finally {
            ex.shutdownNow();
            ex.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    static long heapUsedAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** {bytes per timer, ms to EV_DELETE them all}. */
    double[] jkqueueBytesPerTimer() throws Exception {
        try (KQueue kq = KQueue.open()) {
            KEventList changes = new KEventList(BATCH);
            KEventList none = new KEventList(0);
            long before = heapUsedAfterGc();
            addAll(kq, changes, none, 1_000_000);          // ~1000 s: nothing fires meanwhile
            long after = heapUsedAfterGc();
            // Delete them before close(): close() with many pending knotes is slow (see closeMillis).
            long t0 = System.nanoTime();
            for (int base = 0; base < count; base += BATCH) {
                changes.clear();
                for (int i = base; i < Math.min(count, base + BATCH); i++) {
                    changes.add(i, KEvent.EVFILT_TIMER, KEvent.EV_DELETE, 0, 0, null);
                }
                kq.kevent(changes, none, 0);
            }
            long t1 = System.nanoTime();
            return new double[] {(after - before) / (double) count, (t1 - t0) / 1e6};
        }
    }

    /** ms for close() of a kqueue with {@code pending} timers pending. */
    static double closeMillis(int pending) throws Exception {
        KQueue kq = KQueue.open();
        KEventList changes = new KEventList(BATCH);
        KEventList none = new KEventList(0);
        for (int base = 0; base < pending; base += BATCH) {
            changes.clear();
            for (int i = base; i < Math.min(pending, base + BATCH); i++) {
                changes.add(i, KEvent.EVFILT_TIMER, KEvent.EV_ADD | KEvent.EV_ONESHOT, 0, 1_000_000, null);
            }
            kq.kevent(changes, none, 0);
        }
        long t0 = System.nanoTime();
        kq.close();
        return (System.nanoTime() - t0) / 1e6;
    }

    double stpeBytesPerTimer() throws Exception {
        ScheduledThreadPoolExecutor ex = new ScheduledThreadPoolExecutor(stpeThreads);
        ex.prestartAllCoreThreads();
        try {
            Runnable task = () -> { };
            long before = heapUsedAfterGc();
            for (int i = 0; i < count; i++) {
                ex.schedule(task, delayMs[i] + 1_000_000L, TimeUnit.MILLISECONDS);
            }
            long after = heapUsedAfterGc();
            return (after - before) / (double) count;
        } finally {
            ex.shutdownNow();
            ex.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    public static void main(String[] args) throws Exception {
        if (System.getProperty("jkqueue.kq_calloutmax") == null) {
            System.setProperty("jkqueue.kq_calloutmax", "2000000");   // before any jkqueue class loads
        }
        int rounds = (int) Rounds.opt(args, "rounds", 5);
        int warmup = (int) Rounds.opt(args, "warmup", 1);
        int count = (int) Rounds.opt(args, "timers", 1_000_000);
        int threads = (int) Rounds.opt(args, "stpe-threads", 1);
        NativeBaseline wakeups = NativeBaseline.fromArgs(args, "c-wakeups");
        Timers t = new Timers(count, threads);

        System.out.printf(Locale.ROOT, "== (c) %,d one-shot timers, delays 1..1000 ms: jkqueue vs ScheduledThreadPoolExecutor(%d)%n",
                count, threads);
        List<double[]> jk = new ArrayList<>();
        List<double[]> st = new ArrayList<>();
        for (int r = -warmup; r < rounds; r++) {
            heapUsedAfterGc();
            double[] a = t.jkqueue(0);
            heapUsedAfterGc();
            double[] b = t.stpe();
            System.out.printf(Locale.ROOT, "  %s  jkqueue wall %.0f ms cpu %.0f ms add %.0f ms switches %.0f"
                    + " | STPE wall %.0f ms cpu %.0f ms add %.0f ms switches %.0f%n",
                    r < 0 ? "warm-up " : String.format("round %2d", r + 1), a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3]);
            if (r >= 0) {
                jk.add(a);
                st.add(b);
            }
        }
        String[] names = {"wall", "cpu", "add"};
        double[] wallRatio = null;
        for (int m = 0; m < 3; m++) {
            double[] x = column(jk, m, 0);
            double[] y = column(st, m, 0);
            double[] ratio = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                ratio[i] = y[i] / x[i];
            }
            if (m == 0) {
                wallRatio = ratio;
            }
            System.out.printf(Locale.ROOT, "  %-4s ms: jkqueue %s | STPE %s | STPE/jkqueue %s%n", names[m],
                    Rounds.describe(x, "%.0f"), Rounds.describe(y, "%.0f"), Rounds.describe(ratio, "%.2f"));
        }
        double[] ox = column(jk, 0, 1000);
        double[] oy = column(st, 0, 1000);
        double[] oratio = new double[ox.length];
        for (int i = 0; i < ox.length; i++) {
            oratio[i] = oy[i] / Math.max(1, ox[i]);
        }
        System.out.printf(Locale.ROOT, "  overrun past the last deadline, ms: jkqueue %s | STPE %s | STPE/jkqueue %s%n",
                Rounds.describe(ox, "%.0f"), Rounds.describe(oy, "%.0f"), Rounds.describe(oratio, "%.2f"));
        double[] cpuRatio = new double[jk.size()];
        for (int i = 0; i < cpuRatio.length; i++) {
            cpuRatio[i] = st.get(i)[1] / jk.get(i)[1];
        }
        double jkSwitches = Rounds.stats(column(jk, 3, 0))[0];
        double stSwitches = Rounds.stats(column(st, 3, 0))[0];
        String wakeFloor = "";
        if (wakeups != null) {
            double jkFloor = Double.parseDouble(wakeups.runLine(Long.toString(Math.max(1, (long) jkSwitches)))) / 1e6;
            double stFloor = Double.parseDouble(wakeups.runLine(Long.toString(Math.max(1, (long) stSwitches)))) / 1e6;
            wakeFloor = String.format(Locale.ROOT, "; in C, as many bare wake-ups in one second take %.0f ms and %.0f ms of CPU",
                    jkFloor, stFloor);
        }
        String wakes = String.format(Locale.ROOT, "voluntary context switches per round: jkqueue %.0f, STPE %.0f%s",
                jkSwitches, stSwitches, wakeFloor);
        System.out.println("  " + wakes);

        double[] overdueCpu = new double[3];
        for (int i = 0; i < overdueCpu.length; i++) {
            heapUsedAfterGc();
            double[] od = t.jkqueueOverdue();
            overdueCpu[i] = od[0];
            System.out.printf(Locale.ROOT, "  collecting %,d timers all overdue: cpu %.0f ms, wall %.0f ms%n", count, od[0], od[1]);
        }

        double[] jkMem = t.jkqueueBytesPerTimer();
        double jkBytes = jkMem[0];
        double stBytes = t.stpeBytesPerTimer();
        System.out.printf(Locale.ROOT, "  bytes per pending timer (heap after GC): jkqueue %.1f, STPE %.1f%n", jkBytes, stBytes);
        System.out.printf(Locale.ROOT, "  EV_DELETE of %,d pending timers: %.0f ms%n", count, jkMem[1]);
        closeMillis(5_000);                                  // warm-up
        int[] closeSizes = {20_000, 80_000};
        double[] closeMs = new double[closeSizes.length];
        for (int i = 0; i < closeSizes.length; i++) {
            closeMs[i] = closeMillis(closeSizes[i]);
            System.out.printf(Locale.ROOT, "  close() with %,d timers pending: %.1f ms%n", closeSizes[i], closeMs[i]);
        }

        double[] w = Rounds.stats(wallRatio);
        double[] c = Rounds.stats(cpuRatio);
        double[] o = Rounds.stats(oratio);
        System.out.printf(Locale.ROOT, "  target jkqueue >= 3x faster: wall %s, cpu %s, overrun %s%n",
                w[0] >= 3 ? "MET" : "NOT MET", c[0] >= 3 ? "MET" : "NOT MET", o[0] >= 3 ? "MET" : "NOT MET");
        Rounds.summary("(c) timers jkqueue wall", Rounds.brief(column(jk, 0, 0), "%.0f") + " ms", "", "");
        Rounds.summary("(c) timers STPE wall", Rounds.brief(column(st, 0, 0), "%.0f") + " ms", "", "");
        Rounds.summary("(c) timers STPE/jkqueue wall", Rounds.brief(wallRatio, "%.2f"), ">= 3", Rounds.verdict(w[0] >= 3));
        Rounds.summary("(c) timers STPE/jkqueue cpu", Rounds.brief(cpuRatio, "%.2f"), ">= 3", Rounds.verdict(c[0] >= 3));
        Rounds.summary("(c) timers wake-ups", wakes, "", "");
        Rounds.summary("(c) timers STPE/jkqueue overrun", Rounds.brief(oratio, "%.2f")
                + String.format(Locale.ROOT, " (jkqueue %.0f ms, STPE %.0f ms)", Rounds.stats(ox)[0], Rounds.stats(oy)[0]),
                ">= 3", Rounds.verdict(o[0] >= 3));
        Rounds.summary("(c) timers jkqueue collecting all overdue, cpu", Rounds.brief(overdueCpu, "%.0f")
                + String.format(Locale.ROOT, " ms (%.0f ns per timer)", Rounds.stats(overdueCpu)[0] * 1e6 / count), "", "");
        Rounds.summary("(c) timers bytes per timer", String.format(Locale.ROOT, "jkqueue %.1f B, STPE %.1f B", jkBytes, stBytes),
                "", "");
        Rounds.summary("(c) timers close() with pending", String.format(Locale.ROOT, "%,d: %.1f ms, %,d: %.1f ms (x%.1f for x%d timers)",
                closeSizes[0], closeMs[0], closeSizes[1], closeMs[1], closeMs[1] / closeMs[0], closeSizes[1] / closeSizes[0]),
                "linear", closeMs[1] / closeMs[0] < 2.0 * closeSizes[1] / closeSizes[0] ? "" : "SUPERLINEAR");
    }

    private static double[] column(List<double[]> rows, int m, double minus) {
        double[] v = new double[rows.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = rows.get(i)[m] - minus;
        }
        return v;
    }
}
