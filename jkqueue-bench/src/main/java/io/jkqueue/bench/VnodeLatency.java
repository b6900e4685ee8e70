package io.jkqueue.bench;

import io.jkqueue.Fd;
import io.jkqueue.KEvent;
import io.jkqueue.KEventList;
import io.jkqueue.KQueue;
import io.jkqueue.linux.Epoll;
import io.jkqueue.linux.Inotify;
import io.jkqueue.linux.Libc;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;

/**
 * Latency from a write to a file to its notification: EVFILT_VNODE NOTE_WRITE
 * on the file (jkqueue) against the JDK WatchService's ENTRY_MODIFY on its
 * directory. One thread writes 8 bytes at offset 0 (the file does not grow)
 * and takes the time just before the write, then parks until the waiter
 * hands over its time; another thread, blocked in kevent /
 * WatchService.take(), takes the time when it returns. Each variant has its
 * own directory and file. In each round every variant takes its samples in
 * a row, 0.2 ms apart (so that the waiter is asleep when the write comes), as
 * the C child does; {@code --order=alternate} alternates the variants sample
 * by sample instead (each then runs after the others touched the caches).
 * p50 / p99 over all samples, and the per-round ratio of medians. With
 * {@code --c-vnode}, each round also runs bench/c/vnode.c as a child (the
 * same samples with an inotify descriptor in epoll, the event read), before
 * the Java samples. A third variant, {@code epoll}, is the JVM's floor for
 * the same wake-up: the same writer, and a Java thread blocked in epoll_wait
 * on an inotify descriptor watching its file for IN_MODIFY (through
 * jkqueue's FFM bindings, no kqueue), which reads the event, as the C
 * waiter does. jkqueue/epoll is then what jkqueue adds, epoll/C what the JVM
 * adds. Run it under taskset -c 0.
 *
 * <p>The first {@code --warmup} rounds are discarded, so that the figures are
 * those of a JVM that has compiled the path (C2's thresholds take some
 * thousands of samples); the first {@link #COLD_ROUNDS} of them are also
 * reported on their own, as the cold figures.
 *
 * <p>Options: --samples=200 (per variant per round) --rounds=20 --warmup=60 --c-vnode=PATH
 * --order=blocks|alternate; --single=jkqueue|WatchService|epoll --n=N runs N samples of one variant alone
 * (for strace or perf).
 */
public final class VnodeLatency {
    private VnodeLatency() {}

    interface Wait {
        void await() throws Exception;
    }

    /**
     * A thread blocked in {@code wait}, reporting when it returned for the
     * current sample. The writer blocks as C's does after its pwrite: parked
     * until the waiter hands over its time (no queue, no lock), so that what
     * it does between its write and its sleep, which on one CPU delays the
     * waiter, is as little as the JVM allows.
     */
    static final class Probe {
        final String name;
        final FileChannel file;
        final Support.Samples all = new Support.Samples();
        private final Thread writer = Thread.currentThread();
        private volatile long woke;                              // the waiter's time for the current sample, 0 before
        private volatile long sample;
        long lost;

        Probe(String name, Path path, Wait wait) throws Exception {
            this.name = name;
            this.file = FileChannel.open(path, StandardOpenOption.WRITE);
            Thread.ofPlatform().name("vnode-" + name).daemon().start(() -> {
                long reported = 0;
                try {
                    for (;;) {
                        wait.await();
                        long t = System.nanoTime();
                        long s = sample;
                        if (s != reported) {                    // ignore a second notice for one write
                            reported = s;
                            woke = t;
                            LockSupport.unpark(writer);
                        }
                    }
                } catch (Exception closed) {
                    // the kqueue or watch service was closed
                }
            });
        }

        /** One sample, kept in {@code round} and over all unless it is a warm-up's ({@code round} null). */
        /** One sample, added to {@code round} (if any) and, when {@code measured}, to the run's figures. */
        void take(ByteBuffer data, Support.Samples round, boolean measured) throws Exception {
            long ns = sample(data);
            if (ns >= 0 && round != null) {
                round.add(ns);
            }
            if (ns >= 0 && measured) {
                all.add(ns);
            }
        }

        /** One write → notification latency, ns; -1 if none came within a second. */
        long sample(ByteBuffer data) throws Exception {
            for (long now = System.nanoTime(), until = now + 200_000; now < until; now = System.nanoTime()) {
                LockSupport.parkNanos(until - now);             // an unpark left over from the last sample ends one early
            }
            woke = 0;
            sample++;
            long t0 = System.nanoTime();
            file.write(data.clear(), 0);
            long t1;
            while ((t1 = woke) == 0) {
                if (System.nanoTime() - t0 > 1_000_000_000L) {
                    lost++;
                    return -1;
                }
                LockSupport.parkNanos(100_000_000L);
            }
            return t1 - t0;
        }
    }

    /** The JVM's floor: epoll_wait on an inotify descriptor watching {@code file} for IN_MODIFY, then one read. */
    static final class EpollFloor implements Wait, AutoCloseable {
        private final int ino = Inotify.init1(Inotify.IN_NONBLOCK | Inotify.IN_CLOEXEC);
        private final int ep = Epoll.create1(Epoll.EPOLL_CLOEXEC);
        private final Epoll.Events ready = new Epoll.Events(1);
        private final Inotify.Events events = new Inotify.Events();

        EpollFloor(Path file) {
            if (ino < 0 || ep < 0 || Inotify.addWatch(ino, file.toString(), Inotify.IN_MODIFY) < 0
                    || Epoll.ctl(ep, Epoll.EPOLL_CTL_ADD, ino, Epoll.EPOLLIN, 0) < 0) {
                throw new IllegalStateException("inotify/epoll set-up failed");
            }
        }

        @Override
        public void await() {
            if (ready.epollWait(ep, -1) < 0) {
                throw new IllegalStateException("epoll_wait failed");   // closed: the waiter ends
            }
            events.read(ino);
        }

        @Override
        public void close() {
            Libc.close(ep);
            Libc.close(ino);
        }
    }

    /** Warm-up rounds whose samples are reported on their own, as a JVM that has not compiled the path sees it. */
    static final int COLD_ROUNDS = 2;

    public static void main(String[] args) throws Exception {
        int perRound = (int) Rounds.opt(args, "samples", 200);
        int rounds = (int) Rounds.opt(args, "rounds", 20);
        int warmup = (int) Rounds.opt(args, "warmup", 60);
        String single = Rounds.optString(args, "single", null);
        boolean alternate = Rounds.optString(args, "order", "blocks").equals("alternate");
        NativeBaseline c = NativeBaseline.fromArgs(args, "c-vnode");
        if (single == null) {
            System.out.println("== vnode: write -> notification latency, EVFILT_VNODE NOTE_WRITE vs WatchService ENTRY_MODIFY"
                    + " vs epoll+inotify in the JVM" + (c == null ? "" : " vs C inotify+epoll"));
        }
        Support.Samples allC = new Support.Samples();
        Support.Samples coldK = new Support.Samples();
        Support.Samples coldE = new Support.Samples();
        Support.Samples coldC = new Support.Samples();
        double[] overC = new double[rounds];                         // per round: jkqueue p50 / C p50
        double[] overFloor = new double[rounds];                     // per round: jkqueue p50 / epoll p50
        double[] floorOverC = new double[rounds];                    // per round: epoll p50 / C p50
        Path root = Files.createTempDirectory("jkq-vnode");
        Path fileK = Files.write(Files.createDirectory(root.resolve("k")).resolve("f"), new byte[8]);
        Path dirW = Files.createDirectory(root.resolve("w"));
        Path fileW = Files.write(dirW.resolve("f"), new byte[8]);
        Path fileE = Files.write(Files.createDirectory(root.resolve("e")).resolve("f"), new byte[8]);
        ByteBuffer data = ByteBuffer.allocateDirect(8);
        try (KQueue kq = KQueue.open(); FileChannel watched = FileChannel.open(fileK);
             WatchService ws = FileSystems.getDefault().newWatchService(); EpollFloor floor = new EpollFloor(fileE)) {
            KEventList add = new KEventList(1);
            add.add(Fd.of(watched), KEvent.EVFILT_VNODE, KEvent.EV_ADD | KEvent.EV_CLEAR, KEvent.NOTE_WRITE, 0, null);
            kq.kevent(add, null, 0);
            KEventList ev = new KEventList(1);
            dirW.register(ws, StandardWatchEventKinds.ENTRY_MODIFY);
            Probe k = new Probe("jkqueue", fileK, () -> kq.kevent(null, ev, -1));
            Probe w = new Probe("WatchService", fileW, () -> {
                WatchKey key = ws.take();
                key.pollEvents();
                key.reset();
            });
            Probe e = new Probe("epoll", fileE, floor);
            if (single != null) {
                Probe p = switch (single) {
                    case "jkqueue" -> k;
                    case "WatchService" -> w;
                    case "epoll" -> e;
                    default -> throw new IllegalArgumentException("--single=jkqueue|WatchService|epoll");
                };
                int n = (int) Rounds.opt(args, "n", 2000);
                for (int i = 0; i < n; i++) {
                    long ns = p.sample(data);
                    if (ns >= 0) {
                        p.all.add(ns);
                    }
                }
                System.out.printf(Locale.ROOT, "%s: %s, lost %d%n", single, p.all.describe(), p.lost);
                return;
            }
            double[] ratio = new double[rounds];
            for (int r = -warmup; r < rounds; r++) {
                Support.Samples rk = new Support.Samples();
                Support.Samples rw = new Support.Samples();
                Support.Samples re = new Support.Samples();
                Support.Samples rc = new Support.Samples();
                if (c != null) {
                    for (String ns : c.runLine(Integer.toString(perRound)).split(" ")) {
                        rc.add(Long.parseLong(ns));
                        if (r >= 0) {
                            allC.add(Long.parseLong(ns));
                        }
                        if (r < COLD_ROUNDS - warmup && r < 0) {
                            coldC.add(Long.parseLong(ns));
                        }
                    }
                }
                Probe[] probes = {k, w, e};
                boolean cold = r < COLD_ROUNDS - warmup && r < 0;
                Support.Samples[] round = r >= 0 ? new Support.Samples[] {rk, rw, re}
                        : cold ? new Support.Samples[] {coldK, null, coldE} : new Support.Samples[3];
                if (alternate) {
                    for (int i = 0; i < perRound; i++) {
                        for (int p = 0; p < probes.length; p++) {
                            probes[p].take(data, round[p], r >= 0);
                        }
                    }
                } else {
                    for (int p = 0; p < probes.length; p++) {
                        for (int i = 0; i < perRound; i++) {
                            probes[p].take(data, round[p], r >= 0);
                        }
                    }
                }
                if (r >= 0) {
                    ratio[r] = rw.p50us() / rk.p50us();
                    overFloor[r] = rk.p50us() / re.p50us();
                    System.out.printf(Locale.ROOT, "  round %2d  jkqueue p50 %.1f us  WatchService p50 %.1f us  ratio %.2f"
                            + "  epoll p50 %.1f us  jkqueue/epoll %.2f", r + 1, rk.p50us(), rw.p50us(), ratio[r],
                            re.p50us(), overFloor[r]);
                    if (c != null) {
                        overC[r] = rk.p50us() / rc.p50us();
                        floorOverC[r] = re.p50us() / rc.p50us();
                        System.out.printf(Locale.ROOT, "  C p50 %.1f us  jkqueue/C %.2f  epoll/C %.2f",
                                rc.p50us(), overC[r], floorOverC[r]);
                    }
                    System.out.println();
                }
            }
            for (Probe p : new Probe[] {k, w, e}) {
                System.out.printf(Locale.ROOT, "  %-12s %s, lost %d%n", p.name, p.all.describe(), p.lost);
                Rounds.summary("vnode " + p.name, String.format(Locale.ROOT, "p50 %.1f us, p99 %.1f us, lost %d",
                        p.all.p50us(), p.all.p99us(), p.lost), "lost 0", Rounds.verdict(p.lost == 0));
            }
            boolean met = Rounds.stats(ratio)[0] >= 10;
            System.out.println("  ratio of medians WatchService/jkqueue: " + Rounds.describe(ratio, "%.2f")
                    + "  target >= 10 " + Rounds.verdict(met));
            Rounds.summary("vnode WatchService/jkqueue p50", Rounds.brief(ratio, "%.2f"), ">= 10", Rounds.verdict(met));
            System.out.println("  ratio of medians jkqueue/epoll (what jkqueue adds to the JVM's floor): "
                    + Rounds.describe(overFloor, "%.2f"));
            Rounds.summary("vnode jkqueue/epoll p50", Rounds.brief(overFloor, "%.2f"), "", "");
            if (coldK.size() > 0) {
                System.out.printf(Locale.ROOT, "  cold, the first %d warm-up rounds: jkqueue %s; epoll %s%n",
                        COLD_ROUNDS, coldK.describe(), coldE.describe());
                Rounds.summary("vnode jkqueue/epoll p50, cold", String.format(Locale.ROOT, "%.2f",
                        coldK.p50us() / coldE.p50us()), "", "");
                if (coldC.size() > 0) {
                    Rounds.summary("vnode jkqueue/C p50, cold", String.format(Locale.ROOT, "%.2f",
                            coldK.p50us() / coldC.p50us()), "", "");
                }
            }
            if (c != null) {
                System.out.printf(Locale.ROOT, "  %-12s %s%n", "C", allC.describe());
                Rounds.summary("vnode C", String.format(Locale.ROOT, "p50 %.1f us, p99 %.1f us",
                        allC.p50us(), allC.p99us()), "", "");
                boolean close = Rounds.stats(overC)[0] <= 1.2;
                System.out.println("  ratio of medians jkqueue/C: " + Rounds.describe(overC, "%.2f")
                        + "  target <= 1.2 " + Rounds.verdict(close));
                Rounds.summary("vnode jkqueue/C p50", Rounds.brief(overC, "%.2f"), "<= 1.2", Rounds.verdict(close));
                System.out.println("  ratio of medians epoll/C (the JVM's floor over C): " + Rounds.describe(floorOverC, "%.2f"));
                Rounds.summary("vnode epoll/C p50", Rounds.brief(floorOverC, "%.2f"), "", "");
            }
            k.file.close();
            w.file.close();
            e.file.close();
        } finally {
            for (Path p : new Path[] {fileK, fileW, fileE, fileK.getParent(), dirW, fileE.getParent(), root}) {
                Files.deleteIfExists(p);
            }
        }
    }
}
