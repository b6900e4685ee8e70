package io.jkqueue.bench;

import io.jkqueue.KEvent;
import io.jkqueue.KEventList;
import io.jkqueue.KQueue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Latency from a child's exit to its notification. Each sample starts
 * {@code sh -c 'echo r; read x'}, waits for its "r" (it is then blocked in
 * read), takes the time, closes the child's stdin (read sees end of file, sh
 * exits) and waits for the notification in the same thread:
 * <ul>
 * <li>jkqueue: kevent on EVFILT_PROC NOTE_EXIT for the child's pid (registered before the release);
 * <li>onExit: {@code Process.onExit().get()} (the future obtained before the release);
 * <li>waitFor: {@code Process.waitFor()}.
 * </ul>
 * Samples alternate between the variants; p50 / p99 over all samples and the
 * per-round ratio of medians. With {@code --c-procexit}, each round also runs
 * bench/c/procexit.c as a child, before the Java samples, in its three modes
 * (the same samples with pidfd_open and epoll_wait): C alone (waitid(P_PIDFD)
 * for the status), C with a second thread blocked in waitid(WNOWAIT) on the
 * child (two threads woken by the exit, as in a JVM, whose reaper waits for
 * every ProcessBuilder child), and C with a second thread that reaps the
 * child (as the JDK's reaper does) while the first reads the status with
 * PIDFD_GET_INFO (as jkqueue does). With it, also jkqueue watching a
 * process this JVM did not start ({@link CParent}): the same child, started
 * and reaped by procexit.c's parent mode, so that its exit wakes a C reaper
 * instead of the JDK's. Run it under taskset -c 0.
 *
 * <p>The first {@code --warmup} rounds are discarded, so that the figures are
 * those of a JVM that has compiled the path: its methods run once or twice
 * per sample, and C2 compiles jkqueue's kevent and scan after about 5,000
 * samples (-XX:+PrintCompilation), hence 400 rounds (6,000 samples per
 * variant). The first {@link #COLD_ROUNDS} of them are also reported on
 * their own, as the cold figures.
 *
 * <p>Options: --samples=15 (per variant per round) --rounds=15 --warmup=400 --c-procexit=PATH;
 * --single=jkqueue|onExit|waitFor|cparent --n=N runs N samples of one variant alone (for strace or perf;
 * cparent: jkqueue, the child of a C parent, needs --c-procexit).
 */
public final class ProcExit {
    private ProcExit() {}

    static final String[] VARIANTS = {"jkqueue", "onExit", "waitFor"};
    /** bench/c/procexit.c's modes and their names here. */
    static final String[] C_MODES = {"plain", "waiter", "reaper"};
    static final String[] C_NAMES = {"C", "C+waiter", "C+reaper"};
    /** Warm-up rounds whose samples are reported on their own, as a JVM that has not compiled the path sees it. */
    static final int COLD_ROUNDS = 2;

    static long sample(String variant, KQueue kq, KEventList change, KEventList ev) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", "echo r; read x").start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream()));
        if (!"r".equals(out.readLine())) {
            throw new IllegalStateException("the child did not start");
        }
        long t0;
        long t1;
        switch (variant) {
            case "jkqueue" -> {
                change.clear();
                change.add(p.pid(), KEvent.EVFILT_PROC, KEvent.EV_ADD, KEvent.NOTE_EXIT, 0, null);
                kq.kevent(change, null, 0);
                t0 = System.nanoTime();
                p.getOutputStream().close();
                if (kq.kevent(null, ev, -1) != 1 || (ev.fflags(0) & KEvent.NOTE_EXIT) == 0) {
                    throw new IllegalStateException("no NOTE_EXIT: " + ev.get(0));
                }
                t1 = System.nanoTime();
            }
            case "onExit" -> {
                CompletableFuture<Process> f = p.onExit();
                t0 = System.nanoTime();
                p.getOutputStream().close();
                f.get();
                t1 = System.nanoTime();
            }
            default -> {
                t0 = System.nanoTime();
                p.getOutputStream().close();
                p.waitFor();
                t1 = System.nanoTime();
            }
        }
        if (!p.waitFor(5, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the child did not exit");
        }
        out.close();
        p.getErrorStream().close();
        return t1 - t0;
    }

    /**
     * jkqueue on the exit of a process whose parent is C: bench/c/procexit.c
     * in its parent mode starts each child (the same {@code sh}, blocked
     * reading a line of the helper's stdin) and reaps it with waitpid, as the
     * reaper thread of C+reaper does. The exit wakes that reaper and jkqueue's
     * waiter, not the JDK's reaper: what is left is jkqueue's own path.
     */
    static final class CParent implements AutoCloseable {
        private final Process helper;
        private final BufferedReader out;
        private final OutputStream in;
        private final Path helperStat;

        CParent(NativeBaseline c) throws IOException {
            helper = c.start("parent");
            out = new BufferedReader(new InputStreamReader(helper.getInputStream(), StandardCharsets.US_ASCII));
            in = helper.getOutputStream();
            helperStat = Path.of("/proc", Long.toString(helper.pid()), "stat");
        }

        long sample(KQueue kq, KEventList change, KEventList ev) throws Exception {
            in.write('\n');   // the helper starts a child, which prints its pid and reads the next line
            in.flush();
            long pid = Long.parseLong(out.readLine().trim());
            change.clear();
            change.add(pid, KEvent.EVFILT_PROC, KEvent.EV_ADD, KEvent.NOTE_EXIT, 0, null);
            kq.kevent(change, null, 0);
            awaitSleeping(helperStat);   // in waitpid, as the JDK's reaper is for a ProcessBuilder child
            long t0 = System.nanoTime();
            in.write('\n');   // the child's read returns and it exits with status 0
            in.flush();
            if (kq.kevent(null, ev, -1) != 1 || (ev.fflags(0) & KEvent.NOTE_EXIT) == 0 || ev.data(0) != 0) {
                throw new IllegalStateException("no NOTE_EXIT with status 0: " + ev.get(0));
            }
            return System.nanoTime() - t0;
        }

        /** Until the process sleeps (state S in its stat, after the command's closing parenthesis). */
        private static void awaitSleeping(Path stat) throws IOException {
            for (;;) {
                String s = Files.readString(stat, StandardCharsets.US_ASCII);
                int p = s.lastIndexOf(')');
                if (p > 0 && p + 2 < s.length() && s.charAt(p + 2) == 'S') {
                    return;
                }
                Thread.yield();
            }
        }

        @Override
        public void close() throws Exception {
            in.close();   // end of file: the helper exits
            if (!helper.waitFor(5, TimeUnit.SECONDS) || helper.exitValue() != 0) {
                helper.destroyForcibly();
                throw new IllegalStateException("procexit parent failed");
            }
            out.close();
        }
    }

    public static void main(String[] args) throws Exception {
        int perRound = (int) Rounds.opt(args, "samples", 15);
        int rounds = (int) Rounds.opt(args, "rounds", 15);
        int warmup = (int) Rounds.opt(args, "warmup", 400);
        NativeBaseline c = NativeBaseline.fromArgs(args, "c-procexit");
        String single = Rounds.optString(args, "single", null);
        if (single != null) {
            int n = (int) Rounds.opt(args, "n", 200);
            Support.Samples s = new Support.Samples();
            try (KQueue kq = KQueue.open(); CParent parent = single.equals("cparent") ? new CParent(c) : null) {
                KEventList change = new KEventList(1);
                KEventList ev = new KEventList(1);
                for (int i = 0; i < n; i++) {
                    s.add(parent != null ? parent.sample(kq, change, ev) : sample(single, kq, change, ev));
                }
            }
            System.out.printf(Locale.ROOT, "%s: %s%n", single, s.describe());
            return;
        }
        System.out.println("== procexit: child exit -> notification latency, EVFILT_PROC NOTE_EXIT vs Process.onExit() / waitFor()"
                + (c == null ? "" : " vs C pidfd+epoll (alone, with a waiting thread, with a reaping thread)"));
        Support.Samples[] allC = new Support.Samples[C_MODES.length];
        double[][] overC = new double[C_MODES.length][rounds];      // per round: jkqueue p50 / C mode's p50
        for (int m = 0; m < allC.length; m++) {
            allC[m] = new Support.Samples();
        }
        Support.Samples[] all = new Support.Samples[VARIANTS.length];
        Support.Samples[] cold = new Support.Samples[VARIANTS.length];
        for (int v = 0; v < all.length; v++) {
            all[v] = new Support.Samples();
            cold[v] = new Support.Samples();
        }
        Support.Samples coldC = new Support.Samples();
        double[][] ratio = new double[VARIANTS.length][rounds];     // per round: variant p50 / jkqueue p50
        Support.Samples allP = new Support.Samples();               // jkqueue, the child of a C parent
        double[][] parentOverC = new double[C_MODES.length][rounds];
        try (KQueue kq = KQueue.open(); CParent parent = c == null ? null : new CParent(c)) {
            KEventList change = new KEventList(1);
            KEventList ev = new KEventList(1);
            for (int r = -warmup; r < rounds; r++) {
                Support.Samples[] round = new Support.Samples[VARIANTS.length];
                for (int v = 0; v < round.length; v++) {
                    round[v] = new Support.Samples();
                }
                Support.Samples[] roundC = new Support.Samples[C_MODES.length];
                for (int m = 0; c != null && m < C_MODES.length; m++) {
                    roundC[m] = new Support.Samples();
                    for (String ns : c.runLine(Integer.toString(perRound), C_MODES[m]).split(" ")) {
                        roundC[m].add(Long.parseLong(ns));
                        if (r >= 0) {
                            allC[m].add(Long.parseLong(ns));
                        } else if (r < COLD_ROUNDS - warmup && m == 0) {
                            coldC.add(Long.parseLong(ns));
                        }
                    }
                }
                Support.Samples roundP = new Support.Samples();
                for (int i = 0; i < perRound; i++) {
                    if (parent != null) {
                        long ns = parent.sample(kq, change, ev);
                        roundP.add(ns);
                        if (r >= 0) {
                            allP.add(ns);
                        }
                    }
                    for (int v = 0; v < VARIANTS.length; v++) {
                        long ns = sample(VARIANTS[v], kq, change, ev);
                        round[v].add(ns);
                        if (r >= 0) {
                            all[v].add(ns);
                        } else if (r < COLD_ROUNDS - warmup) {
                            cold[v].add(ns);
                        }
                    }
                }
                if (r >= 0) {
                    StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  round %2d ", r + 1));
                    for (int v = 0; v < VARIANTS.length; v++) {
                        ratio[v][r] = round[v].p50us() / round[0].p50us();
                        line.append(String.format(Locale.ROOT, " %s p50 %.1f us", VARIANTS[v], round[v].p50us()));
                    }
                    for (int m = 0; c != null && m < C_MODES.length; m++) {
                        overC[m][r] = round[0].p50us() / roundC[m].p50us();
                        parentOverC[m][r] = roundP.p50us() / roundC[m].p50us();
                        line.append(String.format(Locale.ROOT, " %s p50 %.1f us", C_NAMES[m], roundC[m].p50us()));
                    }
                    if (parent != null) {
                        line.append(String.format(Locale.ROOT, " jkqueue(C parent) p50 %.1f us", roundP.p50us()));
                    }
                    System.out.println(line);
                }
            }
        }
        for (int v = 0; v < VARIANTS.length; v++) {
            System.out.printf(Locale.ROOT, "  %-8s %s%n", VARIANTS[v], all[v].describe());
            Rounds.summary("procexit " + VARIANTS[v], String.format(Locale.ROOT, "p50 %.1f us, p99 %.1f us",
                    all[v].p50us(), all[v].p99us()), "", "");
        }
        for (int m = 0; c != null && m < C_MODES.length; m++) {
            System.out.printf(Locale.ROOT, "  %-8s %s%n", C_NAMES[m], allC[m].describe());
            Rounds.summary("procexit " + C_NAMES[m], String.format(Locale.ROOT, "p50 %.1f us, p99 %.1f us",
                    allC[m].p50us(), allC[m].p99us()), "", "");
        }
        if (c != null) {
            System.out.printf(Locale.ROOT, "  %-8s %s%n", "jkqueue(C parent)", allP.describe());
            Rounds.summary("procexit jkqueue, C parent", String.format(Locale.ROOT, "p50 %.1f us, p99 %.1f us",
                    allP.p50us(), allP.p99us()), "", "");
        }
        if (cold[0].size() > 0) {
            System.out.printf(Locale.ROOT, "  cold, the first %d warm-up rounds: jkqueue %s; onExit %s; C %s%n",
                    COLD_ROUNDS, cold[0].describe(), cold[1].describe(), coldC.size() > 0 ? coldC.describe() : "-");
            Rounds.summary("procexit onExit/jkqueue p50, cold", String.format(Locale.ROOT, "%.2f",
                    cold[1].p50us() / cold[0].p50us()), "", "");
            if (coldC.size() > 0) {
                Rounds.summary("procexit jkqueue/C p50, cold", String.format(Locale.ROOT, "%.2f",
                        cold[0].p50us() / coldC.p50us()), "", "");
            }
        }
        for (int v = 1; v < VARIANTS.length; v++) {
            boolean onExit = VARIANTS[v].equals("onExit");
            boolean met = Rounds.stats(ratio[v])[0] >= 1.0;
            System.out.println("  ratio of medians " + VARIANTS[v] + "/jkqueue: " + Rounds.describe(ratio[v], "%.2f")
                    + (onExit ? "  target >= 1.0 " + Rounds.verdict(met) : ""));
            Rounds.summary("procexit " + VARIANTS[v] + "/jkqueue p50", Rounds.brief(ratio[v], "%.2f"),
                    onExit ? ">= 1.0" : "", onExit ? Rounds.verdict(met) : "");
        }
        for (int m = 0; c != null && m < C_MODES.length; m++) {
            boolean target = m == 0;
            boolean met = Rounds.stats(overC[m])[0] <= 1.2;
            System.out.println("  ratio of medians jkqueue/" + C_NAMES[m] + ": " + Rounds.describe(overC[m], "%.2f")
                    + (target ? "  target <= 1.2 " + Rounds.verdict(met) : ""));
            Rounds.summary("procexit jkqueue/" + C_NAMES[m] + " p50", Rounds.brief(overC[m], "%.2f"),
                    target ? "<= 1.2" : "", target ? Rounds.verdict(met) : "");
        }
        // jkqueue's own path: the same child and a C reaper, no JDK reaper woken by the exit
        for (int m = 0; c != null && m < C_MODES.length; m++) {
            System.out.println("  ratio of medians jkqueue(C parent)/" + C_NAMES[m] + ": "
                    + Rounds.describe(parentOverC[m], "%.2f"));
            Rounds.summary("procexit jkqueue(C parent)/" + C_NAMES[m] + " p50", Rounds.brief(parentOverC[m], "%.2f"), "", "");
        }
    }
}
