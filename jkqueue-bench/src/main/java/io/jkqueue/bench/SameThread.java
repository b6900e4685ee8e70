package io.jkqueue.bench;

import io.jkqueue.KEvent;
import io.jkqueue.KEventList;
import io.jkqueue.KQueue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;

/**
 * (b) side by side with C: the same-thread trigger + collect (one kevent
 * call, KEventList overload, timeout 0) against bench/c/samethread.c, which
 * does the Linux work a native program would do for the same result
 * (eventfd write + epoll_wait(0) + read), in interleaved rounds. The
 * authoritative jkqueue number is the JMH run of {@link SameThreadBench};
 * this harness gives the per-round ratio against C on the same machine.
 *
 * <p>Options: --rounds=N --warmup=N --iterations=N --c-samethread=PATH
 */
public final class SameThread {

    public static void main(String[] args) throws Exception {
        int rounds = (int) Rounds.opt(args, "rounds", 9);
        int warmup = (int) Rounds.opt(args, "warmup", 3);
        int iterations = (int) Rounds.opt(args, "iterations", 1_000_000);
        NativeBaseline c = NativeBaseline.fromArgs(args, "c-samethread");

        System.out.println("== (b) same-thread trigger + collect: ns per call (lower is better)");
        try (KQueue kq = KQueue.open()) {
            KEventList none = new KEventList(0);
            KEventList add = new KEventList(1);
            add.add(1, KEvent.EVFILT_USER, KEvent.EV_ADD | KEvent.EV_CLEAR, 0, 0, null);
            kq.kevent(add, none, 0);
            KEventList trigger = new KEventList(1);
            trigger.add(1, KEvent.EVFILT_USER, 0, KEvent.NOTE_TRIGGER, 0, null);
            KEventList events = new KEventList(16);

            Rounds r = new Rounds();
            r.add("jkqueue", () -> {
                try {
                    long got = 0;
                    long t0 = System.nanoTime();
                    for (int i = 0; i < iterations; i++) {
                        got += kq.kevent(trigger, events, 0);
                    }
                    long t1 = System.nanoTime();
                    if (got != iterations) {
                        throw new IllegalStateException("collected " + got + " events in " + iterations + " calls");
                    }
                    return (t1 - t0) / (double) iterations;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            if (c != null) {
                r.add("C", () -> c.run(iterations));
            }
            r.run(warmup, rounds, "ns/call");
            double[] jk = Rounds.stats(r.values("jkqueue"));
            System.out.println("  jkqueue ns/call: " + Rounds.describe(r.values("jkqueue"), "%.1f")
                    + "  target <= 300 " + Rounds.verdict(jk[0] <= 300));
            Rounds.summary("(b) same-thread loop jkqueue", Rounds.brief(r.values("jkqueue"), "%.1f") + " ns/call",
                    "<= 300 ns", Rounds.verdict(jk[0] <= 300));
            if (c != null) {
                System.out.println("  C (eventfd write + epoll_wait + read) ns/iter: " + Rounds.describe(r.values("C"), "%.1f"));
                System.out.println("  ratio jkqueue/C: " + Rounds.describe(r.ratio("jkqueue", "C"), "%.3f"));
                Rounds.summary("(b) same-thread C eventfd+epoll", Rounds.brief(r.values("C"), "%.1f") + " ns/iter", "", "");
                Rounds.summary("(b) same-thread jkqueue/C", Rounds.brief(r.ratio("jkqueue", "C"), "%.3f"), "", "");
            }
        }
    }
}
