package io.jkqueue.bench;

import io.jkqueue.KEvent;
import io.jkqueue.KEventList;
import io.jkqueue.KQueue;

import java.io.IOException;
import java.nio.channels.Selector;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;

/**
 * (a) Cross-thread ping-pong. Thread A triggers an EVFILT_USER event on K2,
 * where thread B waits in kevent; B then triggers one on K1, where A waits.
 * Compared, in interleaved rounds inside one JVM (run it under
 * {@code taskset -c 0}), with a java.nio Selector ping-pong (wakeup() from
 * the other thread, select() on each side) and with bench/c/pingpong.c
 * (eventfd + epoll, two threads), run as a child process in the same rounds.
 *
 * <p>Options: --rounds=N --warmup=N --round-ms=MS --c-pingpong=PATH;
 * --single=jkqueue|virtual|Selector --n=N runs one variant alone (for strace/perf).
 * "jkqueue-virtual" is the jkqueue ping-pong between two virtual threads.
 */
public final class PingPong {

    interface Variant {
        /** Runs n round trips; returns ns per round trip. */
        double run(int n) throws Exception;
    }

    /**
     * jkqueue: EVFILT_USER with EV_CLEAR on each of two kqueues; A and B are
     * platform threads, or with {@code virtual} both virtual threads (which
     * park in kevent instead of blocking their carrier).
     */
    static final class Jkqueue implements Variant, AutoCloseable {
        private final KQueue k1 = KQueue.open();
        private final KQueue k2 = KQueue.open();
        private final KEventList trigger = new KEventList(1);
        private final KEventList none = new KEventList(0);
        private final boolean virtual;

        Jkqueue(boolean virtual) throws IOException {
            this.virtual = virtual;
            KEventList add = new KEventList(1);
            add.add(1, KEvent.EVFILT_USER, KEvent.EV_ADD | KEvent.EV_CLEAR, 0, 0, null);
            k1.kevent(add, none, 0);
            k2.kevent(add, none, 0);
            trigger.add(1, KEvent.EVFILT_USER, 0, KEvent.NOTE_TRIGGER, 0, null);
        }

        @Override
        public double run(int n) throws Exception {
            if (!virtual) {
                return pingPong(n);
            }
            double[] ns = new double[1];
            Thread a = Thread.ofVirtual().start(() -> {
                try {
                    ns[0] = pingPong(n);
                } catch (Exception e) {
                    FAILURE.compareAndSet(null, e);
                }
            });
            join(a);
            return ns[0];
        }

        private double pingPong(int n) throws Exception {
            KEventList trigB = copy(trigger);
            Thread b = start(virtual, () -> {
                KEventList ev = new KEventList(1);
                for (int i = 0; i < n; i++) {
                    if (k2.kevent(none, ev, -1) != 1) {
                        throw new IllegalStateException("B woke without an event");
                    }
                    k1.kevent(trigB, none, 0);
                }
            });
            KEventList ev = new KEventList(1);
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                k2.kevent(trigger, none, 0);
                if (k1.kevent(none, ev, -1) != 1) {
                    throw new IllegalStateException("A woke without an event");
                }
            }
            long t1 = System.nanoTime();
            join(b);
            return (t1 - t0) / (double) n;
        }

        private static KEventList copy(KEventList l) {
            KEventList c = new KEventList(l.size());
            for (int i = 0; i < l.size(); i++) {
                c.add(l.get(i));
            }
            return c;
        }

        @Override
        public void close() {
            k1.close();
            k2.close();
        }
    }

    /** java.nio: S2.wakeup(); S1.select() against S2.select(); S1.wakeup(). */
    static final class Nio implements Variant, AutoCloseable {
        private final Selector s1 = Selector.open();
        private final Selector s2 = Selector.open();

        Nio() throws IOException {
        }

        @Override
        public double run(int n) throws Exception {
            Thread b = start(false, () -> {
                for (int i = 0; i < n; i++) {
                    s2.select();
                    s1.wakeup();
                }
            });
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                s2.wakeup();
                s1.select();
            }
            long t1 = System.nanoTime();
            join(b);
            return (t1 - t0) / (double) n;
        }

        @Override
        public void close() throws IOException {
            s1.close();
            s2.close();
        }
    }

    interface IoRunnable {
        void run() throws IOException;
    }

    private static final AtomicReference<Throwable> FAILURE = new AtomicReference<>();

    static Thread start(boolean virtual, IoRunnable body) {
        Runnable r = () -> {
            try {
                body.run();
            } catch (Throwable e) {
                FAILURE.compareAndSet(null, e);
            }
        };
        return virtual ? Thread.ofVirtual().name("pingpong-B").start(r)
                : Thread.ofPlatform().daemon().name("pingpong-B").start(r);
    }

    static void join(Thread t) throws Exception {
        t.join(60_000);
        Throwable f = FAILURE.get();
        if (f != null) {
            throw new IllegalStateException("partner thread failed", f);
        }
        if (t.isAlive()) {
            throw new IllegalStateException("partner thread hung");
        }
    }

    /** Picks n so that a round of this variant takes about roundMs. */
    static int calibrate(Variant v, long roundMs) throws Exception {
        v.run(5_000);
        double ns = v.run(20_000);
        return (int) Math.max(10_000, Math.min(5_000_000, roundMs * 1e6 / ns));
    }

    public static void main(String[] args) throws Exception {
        int rounds = (int) Rounds.opt(args, "rounds", 11);
        int warmup = (int) Rounds.opt(args, "warmup", 2);
        long roundMs = Rounds.opt(args, "round-ms", 400);
        NativeBaseline c = NativeBaseline.fromArgs(args, "c-pingpong");
        String single = Rounds.optString(args, "single", null);
        if (single != null) {
            // For profiling one variant alone (strace -c, perf): --single=jkqueue|Selector --n=N
            int n = (int) Rounds.opt(args, "n", 100_000);
            try (Jkqueue jk = new Jkqueue(false); Jkqueue vjk = new Jkqueue(true); Nio nio = new Nio()) {
                Variant v = single.equals("Selector") ? nio : single.equals("virtual") ? vjk : jk;
                v.run(20_000);
                System.out.printf(Locale.ROOT, "%s: %.0f ns/rt over %d round trips%n", single, v.run(n), n);
            }
            return;
        }

        System.out.println("== (a) cross-thread ping-pong: ns per round trip (lower is better), "
                + Runtime.getRuntime().availableProcessors() + " CPU(s) visible");
        try (Jkqueue jk = new Jkqueue(false); Jkqueue vjk = new Jkqueue(true); Nio nio = new Nio()) {
            int nJk = calibrate(jk, roundMs);
            int nVirtual = calibrate(vjk, roundMs);
            int nNio = calibrate(nio, roundMs);
            int nC = 0;
            if (c != null) {
                double ns = c.run(20_000);
                nC = (int) Math.max(10_000, Math.min(5_000_000, roundMs * 1e6 / ns));
            }
            System.out.printf(Locale.ROOT, "  round trips per round: jkqueue %d, Selector %d, C %d%n", nJk, nNio, nC);
            Rounds r = new Rounds();
            if (c != null) {
                int n = nC;
                r.add("C", () -> c.run(n));
            }
            r.add("jkqueue", unchecked(jk, nJk));
            r.add("jkqueue-virtual", unchecked(vjk, nVirtual));
            r.add("Selector", unchecked(nio, nNio));
            r.run(warmup, rounds, "ns/rt");

            for (String v : new String[] {"C", "jkqueue", "jkqueue-virtual", "Selector"}) {
                if (v.equals("C") && c == null) {
                    continue;
                }
                System.out.printf(Locale.ROOT, "  %-8s ns/rt: %s%n", v, Rounds.describe(r.values(v), "%.0f"));
                double m = Rounds.stats(r.values(v))[0];
                Rounds.summary("(a) ping-pong " + v, Rounds.brief(r.values(v), "%.0f") + " ns/rt, "
                        + String.format(Locale.ROOT, "%.0f rt/s", 1e9 / m), "", "");
            }
            if (c != null) {
                double[] jc = r.ratio("jkqueue", "C");
                boolean met = Rounds.stats(jc)[0] <= 1.15;
                System.out.println("  ratio jkqueue/C:        " + Rounds.describe(jc, "%.3f") + "  target <= 1.15 " + Rounds.verdict(met));
                Rounds.summary("(a) ping-pong jkqueue/C", Rounds.brief(jc, "%.3f"), "<= 1.15", Rounds.verdict(met));
            }
            double[] vp = r.ratio("jkqueue-virtual", "jkqueue");
            boolean vmet = Rounds.stats(vp)[0] <= 1.5;
            System.out.println("  ratio virtual/platform: " + Rounds.describe(vp, "%.3f") + "  target <= 1.5 " + Rounds.verdict(vmet));
            Rounds.summary("(a) ping-pong virtual/platform threads", Rounds.brief(vp, "%.3f"), "<= 1.5", Rounds.verdict(vmet));
            double[] sj = r.ratio("Selector", "jkqueue");
            boolean met = Rounds.stats(sj)[0] >= 2;
            System.out.println("  ratio Selector/jkqueue: " + Rounds.describe(sj, "%.3f") + "  target >= 2 " + Rounds.verdict(met));
            Rounds.summary("(a) ping-pong Selector/jkqueue", Rounds.brief(sj, "%.3f"), ">= 2", Rounds.verdict(met));
        }
    }

    private static java.util.function.DoubleSupplier unchecked(Variant v, int n) {
        return () -> {
            try {
                return v.run(n);
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
    }
}
