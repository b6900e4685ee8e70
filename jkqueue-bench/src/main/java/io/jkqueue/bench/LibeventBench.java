package io.jkqueue.bench;

import io.jkqueue.Fd;
import io.jkqueue.KEvent;
import io.jkqueue.KEventList;
import io.jkqueue.KQueue;
import io.netty.channel.epoll.NettyEpoll;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * libevent's test/bench.c: N socket pairs, A active writers. A run writes one
 * byte into A ends spread over the N, then dispatches without blocking until
 * every byte has been read; each read callback reads its byte and, while
 * writes remain (W per run), writes one byte to the next end. Timed: the
 * dispatch loop of a run, as bench.c times it; registration of the N read
 * events is untimed (bench.c re-adds them before every run; here each
 * variant adds them at the start of its turn in a round and removes them at
 * the end, so that the three pollers share one set of descriptors).
 *
 * <p>Variants, interleaved in rounds, all doing the same I/O (the JDK
 * channels' read/write of one byte) and differing only in the poller:
 * jkqueue (EVFILT_READ level-triggered, kevent(KEventList, KEventList, 0)),
 * the JDK Selector (selectNow(Consumer)), and Netty's native epoll
 * (epoll_wait(0) into its EpollEventArray, level-triggered EPOLLIN); and an
 * oracle that knows the ready ends without asking the kernel, the ceiling.
 * With --c-libevent=PATH (bench/c/libevent.c), also the same workload in C on
 * raw epoll, without and with a FIONREAD per event: what kqueue's data
 * costs on Linux without the JVM.
 * Result: runs per second of dispatch time.
 *
 * <p>Options: --n=100,1000,10000 --active=100 --writes=1000 --rounds=15 --warmup=2 --round-ms=300 --c-libevent=PATH;
 * --single=jkqueue|Selector|Netty|oracle runs one variant alone for --round-ms at the first N (for strace/perf).
 */
public final class LibeventBench {
    static final int MAX_EVENTS = 512;

    final int n;
    final int active;
    final int writes;
    final SocketChannel[] ends;      // ends[i] is watched for reading; peer(i) is written to
    final int[] fds;
    final Integer[] boxed;
    final int[] fdToIndex;
    final ByteBuffer rbuf = ByteBuffer.allocateDirect(1);
    final ByteBuffer wbuf = ByteBuffer.allocateDirect(1).put(0, (byte) 'e');
    int count;
    int fired;
    int writesLeft;
    long failures;

    LibeventBench(int n, int active, int writes) throws IOException {
        this.n = n;
        this.active = active;
        this.writes = writes;
        ends = Support.unixPairs((n + 1) / 2);
        fds = new int[n];
        boxed = new Integer[n];
        int maxFd = 0;
        for (int i = 0; i < n; i++) {
            fds[i] = Fd.of(ends[i]);
            boxed[i] = i;
            maxFd = Math.max(maxFd, fds[i]);
        }
        fdToIndex = new int[maxFd + 1];
        for (int i = 0; i < n; i++) {
            fdToIndex[fds[i]] = i;
        }
    }

    /** The end written to make end i readable. */
    private SocketChannel peer(int i) {
        int half = ends.length / 2;
        return ends[i < half ? i + half : i - half];
    }

    /** bench.c's read_cb. */
    void readCallback(int idx) throws IOException {
        int r = ends[idx].read(rbuf.clear());
        if (r >= 0) {
            count += r;
        } else {
            failures++;
        }
        if (writesLeft > 0) {
            int widx = idx + 1;
            if (widx >= n) {
                widx -= n;
            }
            if (peer(widx).write(wbuf.clear()) != 1) {
                failures++;
            }
            madeReadable.push(widx);
            writesLeft--;
            fired++;
        }
    }

    /** Ends written to, in order: the oracle's whole knowledge; the other variants ignore it. */
    final Ring madeReadable = new Ring();

    static final class Ring {
        private int[] items = new int[1024];
        private int head;
        private int tail;
        boolean enabled;

        void push(int i) {
            if (!enabled) {
                return;
            }
            if (tail - head == items.length) {
                int[] grown = new int[items.length * 2];
                for (int k = head; k < tail; k++) {
                    grown[k - head] = items[k & (items.length - 1)];
                }
                tail -= head;
                head = 0;
                items = grown;
            }
            items[tail++ & (items.length - 1)] = i;
        }

        int size() {
            return tail - head;
        }

        int pop() {
            return items[head++ & (items.length - 1)];
        }
    }

    interface Poller extends AutoCloseable {
        void register() throws IOException;

        /** One non-blocking dispatch: calls readCallback for each ready end. */
        void dispatch() throws IOException;

        void unregister() throws IOException;
    }

    /** One variant's turn in a round: runs per second of dispatch time. */
    double turn(Poller p, long roundMs) throws IOException {
        p.register();
        long start = System.nanoTime();
        long busy = 0;
        int runs = 0;
        int space = n / active;
        do {
            fired = 0;
            for (int i = 0; i < active; i++, fired++) {
                peer(i * space).write(wbuf.clear());
                madeReadable.push(i * space);
            }
            count = 0;
            writesLeft = writes;
            long t0 = System.nanoTime();
            do {
                p.dispatch();
            } while (count != fired);
            busy += System.nanoTime() - t0;
            runs++;
        } while (System.nanoTime() - start < roundMs * 1_000_000);
        p.unregister();
        if (failures != 0) {
            throw new IllegalStateException(failures + " failed reads or writes");
        }
        return runs / (busy / 1e9);
    }

    final class Jkqueue implements Poller {
        private final KQueue kq = KQueue.open();
        private final KEventList changes;
        private final KEventList events = new KEventList(MAX_EVENTS);

        Jkqueue() throws IOException {
            changes = new KEventList(n);
        }

        private void change(int flags) throws IOException {
            changes.clear();
            for (int i = 0; i < n; i++) {
                changes.add(fds[i], KEvent.EVFILT_READ, flags, 0, 0, boxed[i]);
            }
            kq.kevent(changes, null, 0);
        }

        @Override
        public void register() throws IOException {
            change(KEvent.EV_ADD);
        }

        @Override
        public void dispatch() throws IOException {
            int k = kq.kevent(null, events, 0);
            for (int i = 0; i < k; i++) {
                readCallback((Integer) events.udata(i));
            }
        }

        @Override
        public void unregister() throws IOException {
            change(KEvent.EV_DELETE);
        }

        @Override
        public void close() {
            kq.close();
        }
    }

    final class Nio implements Poller {
        private final Selector sel = Selector.open();
        private final SelectionKey[] keys = new SelectionKey[n];
        private IOException failure;

        Nio() throws IOException {
        }

        @Override
        public void register() throws IOException {
            for (int i = 0; i < n; i++) {
                keys[i] = ends[i].register(sel, SelectionKey.OP_READ, boxed[i]);
            }
            sel.selectNow();
        }

        @Override
        public void dispatch() throws IOException {
            sel.selectNow(this::onKey);
            if (failure != null) {
                throw failure;
            }
        }

        private void onKey(SelectionKey k) {
            try {
                readCallback((Integer) k.attachment());
            } catch (IOException e) {
                failure = e;
            }
        }

        @Override
        public void unregister() throws IOException {
            for (SelectionKey k : keys) {
                k.cancel();
            }
            sel.selectNow();
        }

        @Override
        public void close() throws IOException {
            sel.close();
        }
    }

    /**
     * The ceiling: a poller that costs nothing, because it knows which ends
     * are readable from the writes themselves. Every variant's rate is bounded
     * by this one's, which is the cost of the reads and writes alone.
     */
    final class Oracle implements Poller {
        @Override
        public void register() {
            madeReadable.enabled = true;
        }

        @Override
        public void dispatch() throws IOException {
            for (int k = madeReadable.size(); k > 0; k--) {
                readCallback(madeReadable.pop());
            }
        }

        @Override
        public void unregister() {
            madeReadable.enabled = false;
        }

        @Override
        public void close() {
        }
    }

    final class Netty implements Poller {
        private final NettyEpoll ep = new NettyEpoll(MAX_EVENTS);

        Netty() throws IOException {
        }

        @Override
        public void register() throws IOException {
            for (int fd : fds) {
                ep.add(fd);
            }
        }

        @Override
        public void dispatch() throws IOException {
            int k = ep.poll();
            for (int i = 0; i < k; i++) {
                readCallback(fdToIndex[ep.fd(i)]);
            }
        }

        @Override
        public void unregister() throws IOException {
            for (int fd : fds) {
                ep.delete(fd);
            }
        }

        @Override
        public void close() throws IOException {
            ep.close();
        }
    }

    private static String[] with(String[] args, String last) {
        String[] all = Arrays.copyOf(args, args.length + 1);
        all[args.length] = last;
        return all;
    }

    public static void main(String[] args) throws Exception {
        String ns = Rounds.optString(args, "n", "100,1000,10000");
        int active = (int) Rounds.opt(args, "active", 100);
        int writes = (int) Rounds.opt(args, "writes", 1000);
        int rounds = (int) Rounds.opt(args, "rounds", 15);
        int warmup = (int) Rounds.opt(args, "warmup", 2);
        long roundMs = Rounds.opt(args, "round-ms", 300);
        System.out.printf(Locale.ROOT, "== libevent bench: N socket pairs, A=%d active, W=%d writes per run; "
                + "runs per second of dispatch (higher is better)%n", active, writes);
        String single = Rounds.optString(args, "single", null);
        NativeBaseline c = NativeBaseline.fromArgs(args, "c-libevent");
        for (String s : ns.split(",")) {
            int n = Integer.parseInt(s.trim().replace("_", ""));
            LibeventBench b = new LibeventBench(n, Math.min(active, n), writes);
            try (Poller jk = b.new Jkqueue(); Poller nio = b.new Nio(); Poller netty = b.new Netty();
                    Poller oracle = b.new Oracle()) {
                if (single != null) {
                    Poller p = switch (single) {
                        case "Selector" -> nio;
                        case "Netty" -> netty;
                        case "oracle" -> oracle;
                        default -> jk;
                    };
                    b.turn(p, 200);
                    System.out.printf(Locale.ROOT, "N=%,d %s: %.0f runs/s%n", n, single, b.turn(p, roundMs));
                    return;
                }
                System.out.printf(Locale.ROOT, "-- N=%,d%n", n);
                Rounds r = new Rounds()
                        .add("jkqueue", Support.checked(() -> b.turn(jk, roundMs)))
                        .add("Selector", Support.checked(() -> b.turn(nio, roundMs)))
                        .add("Netty", Support.checked(() -> b.turn(netty, roundMs)))
                        .add("oracle", Support.checked(() -> b.turn(oracle, roundMs)));
                List<String> variants = new ArrayList<>(List.of("jkqueue", "Selector", "Netty", "oracle"));
                if (c != null) {
                    String[] cargs = {Integer.toString(n), Integer.toString(Math.min(active, n)),
                            Integer.toString(writes), Long.toString(roundMs)};
                    r.add("C epoll", () -> Double.parseDouble(c.runLine(with(cargs, "epoll"))));
                    r.add("C FIONREAD", () -> Double.parseDouble(c.runLine(with(cargs, "fionread"))));
                    variants.addAll(List.of("C epoll", "C FIONREAD"));
                }
                r.run(warmup, rounds, "runs/s");
                for (String v : variants) {
                    System.out.printf(Locale.ROOT, "  %-8s runs/s: %s%n", v, Rounds.describe(r.values(v), "%.0f"));
                    Rounds.summary(String.format(Locale.ROOT, "libevent N=%,d %s", n, v),
                            Rounds.brief(r.values(v), "%.0f") + " runs/s", "", "");
                }
                // what no poller can beat: the reads and writes alone, against the Selector
                double[] os = r.ratio("oracle", "Selector");
                System.out.println("  ceiling oracle/Selector:  " + Rounds.describe(os, "%.3f"));
                Rounds.summary(String.format(Locale.ROOT, "libevent N=%,d ceiling oracle/Selector", n),
                        Rounds.brief(os, "%.3f"), "", "");
                if (c != null) {
                    // what kqueue's data costs on Linux in C: one FIONREAD per event (libkqueue does the same)
                    double[] cf = r.ratio("C FIONREAD", "C epoll");
                    System.out.println("  C epoll+FIONREAD/C epoll: " + Rounds.describe(cf, "%.3f"));
                    Rounds.summary(String.format(Locale.ROOT, "libevent N=%,d C epoll+FIONREAD/C epoll", n),
                            Rounds.brief(cf, "%.3f"), "", "");
                }
                double[] js = r.ratio("jkqueue", "Selector");
                double[] jn = r.ratio("jkqueue", "Netty");
                boolean metS = Rounds.stats(js)[0] >= 1.0;
                boolean metN = Rounds.stats(jn)[0] >= 1.0;
                System.out.println("  ratio jkqueue/Selector: " + Rounds.describe(js, "%.3f") + "  target >= 1.0 " + Rounds.verdict(metS));
                System.out.println("  ratio jkqueue/Netty:    " + Rounds.describe(jn, "%.3f") + "  target >= 1.0 " + Rounds.verdict(metN));
                Rounds.summary(String.format(Locale.ROOT, "libevent N=%,d jkqueue/Selector", n), Rounds.brief(js, "%.3f"),
                        ">= 1.0", Rounds.verdict(metS));
                Rounds.summary(String.format(Locale.ROOT, "libevent N=%,d jkqueue/Netty", n), Rounds.brief(jn, "%.3f"),
                        ">= 1.0", Rounds.verdict(metN));
            } finally {
                Support.closeAll(b.ends);
            }
        }
    }
}
