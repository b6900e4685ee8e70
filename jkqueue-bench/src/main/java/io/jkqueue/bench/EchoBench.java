package io.jkqueue.bench;

import io.jkqueue.examples.EchoServer;
import io.jkqueue.examples.ShardedEchoServer;
import io.jkqueue.examples.VirtualEchoServer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Load test of the example echo servers io.jkqueue.examples.EchoServer
 * (workers sharing one kqueue, EV_DISPATCH), ShardedEchoServer (a kqueue per
 * worker, connections dealt in turn) and VirtualEchoServer (a virtual thread
 * and a kqueue per connection) beside SelectorEchoServer (a JDK Selector per
 * worker, connections dealt in turn), all but the virtual one with the same
 * number of worker threads, in the same JVM. A load generator (one
 * thread, a JDK Selector) keeps 1,000 loopback connections to each server;
 * in a server's turn each of its connections sends a 16-byte request
 * (connection number, sequence number) and sends the next one when the echo
 * has come back whole and correct. Turns alternate (interleaved rounds); a
 * round's result is the requests completed per second within the turn.
 * Errors (a wrong or missing echo, a closed or failed connection) must be 0.
 * With --c-echo=PATH (bench/c/echo.c), also a C server on raw epoll with the
 * same number of threads, in a process of its own: one read and one write
 * per request, the fewest system calls a server can make, so that its rate
 * under this load generator is the ceiling for every server here (its CPU
 * is counted with the rest).
 *
 * <p>Options: --connections=1000 --workers=1 --round-ms=2000 --rounds=7 --warmup=1 --c-echo=PATH
 */
public final class EchoBench {
    static final int REQ = 16;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** One thread's worth of client connections to one server. */
    static final class LoadGen implements AutoCloseable {
        private final Selector sel = Selector.open();
        private final SocketChannel[] conns;
        private final ByteBuffer[] in;
        private final long[] seq;
        private final ByteBuffer out = ByteBuffer.allocateDirect(REQ);
        private boolean sending;
        private long completed;
        private int outstanding;
        private final LongSupplier serverCpuNanos;   // a server outside this process: its CPU, counted with the rest
        long errors;

        LoadGen(InetSocketAddress target, int n) throws IOException {
            this(target, n, () -> 0);
        }

        LoadGen(InetSocketAddress target, int n, LongSupplier serverCpuNanos) throws IOException {
            this.serverCpuNanos = serverCpuNanos;
            conns = new SocketChannel[n];
            in = new ByteBuffer[n];
            seq = new long[n];
            for (int i = 0; i < n; i++) {
                SocketChannel ch = SocketChannel.open(target);
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                ch.configureBlocking(false);
                ch.register(sel, SelectionKey.OP_READ, i);
                conns[i] = ch;
                in[i] = ByteBuffer.allocateDirect(REQ);
            }
        }

        private void send(int i) {
            out.clear().putLong(i).putLong(++seq[i]).flip();
            try {
                if (conns[i].write(out) != REQ) {
                    errors++;                                   // a fresh socket takes 16 bytes at once
                } else {
                    outstanding++;
                }
            } catch (IOException e) {
                errors++;
            }
        }

        private void onReadable(SelectionKey key) {
            int i = (Integer) key.attachment();
            ByteBuffer b = in[i];
            try {
                if (conns[i].read(b) < 0) {
                    lost(key);
                    return;
                }
            } catch (IOException e) {
                lost(key);
                return;
            }
            if (b.hasRemaining()) {
                return;                                         // the rest of the echo is on its way
            }
            outstanding--;
            if (b.getLong(0) != i || b.getLong(8) != seq[i]) {
                errors++;
            }
            b.clear();
            if (sending) {
                completed++;
                send(i);
            }
        }

        private void lost(SelectionKey key) {
            errors++;
            outstanding--;
            key.cancel();
        }

        /** Per turn: the share of the turn the load generator's thread was on a CPU, and the rest of the process. */
        final List<Double> clientBusy = new ArrayList<>();
        final List<Double> restBusy = new ArrayList<>();

        /** Requests per second over one turn of {@code ms}. */
        double turn(long ms) throws IOException {
            completed = 0;
            sending = true;
            long client0 = THREADS.getCurrentThreadCpuTime();
            long process0 = Support.processCpuNanos() + serverCpuNanos.getAsLong();
            long t0 = System.nanoTime();
            long end = t0 + ms * 1_000_000;
            for (int i = 0; i < conns.length; i++) {
                send(i);
            }
            while (System.nanoTime() < end) {
                sel.select(this::onReadable, 10);
            }
            long wall = System.nanoTime() - t0;
            double rate = completed / (wall / 1e9);
            long client = THREADS.getCurrentThreadCpuTime() - client0;
            clientBusy.add(client / (double) wall);
            restBusy.add((Support.processCpuNanos() + serverCpuNanos.getAsLong() - process0 - client) / (double) wall);
            sending = false;                                    // drain the requests in flight
            long drainEnd = System.nanoTime() + 5_000_000_000L;
            while (outstanding > 0 && System.nanoTime() < drainEnd) {
                sel.select(this::onReadable, 10);
            }
            if (outstanding > 0) {
                throw new IllegalStateException(outstanding + " echoes missing after 5 s");
            }
            return rate;
        }

        @Override
        public void close() throws IOException {
            for (SocketChannel c : conns) {
                c.close();
            }
            sel.close();
        }
    }

    /** Prints and summarizes the per-round ratio of variant {@code a}'s rate to {@code b}'s. */
    private static void ratio(Rounds r, String a, String b, String summary) {
        double[] ratio = r.ratio(a, b);
        System.out.printf(Locale.ROOT, "  ratio %s/%s: %s%n", a, b, Rounds.describe(ratio, "%.3f"));
        Rounds.summary(summary, Rounds.brief(ratio, "%.3f"), "", "");
    }

    public static void main(String[] args) throws Exception {
        int connections = (int) Rounds.opt(args, "connections", 1000);
        int workers = (int) Rounds.opt(args, "workers", 1);
        long roundMs = Rounds.opt(args, "round-ms", 2000);
        int rounds = (int) Rounds.opt(args, "rounds", 7);
        int warmup = (int) Rounds.opt(args, "warmup", 1);
        System.out.printf(Locale.ROOT, "== echo: %,d loopback connections, %d-byte request/echo, %d server worker(s), "
                + "%d ms turns: requests/s (higher is better)%n", connections, REQ, workers, roundMs);
        InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        InetAddress lo = InetAddress.getLoopbackAddress();
        try (EchoServer jk = new EchoServer(any, workers);
             ShardedEchoServer sharded = new ShardedEchoServer(any, workers);
             VirtualEchoServer vjk = new VirtualEchoServer(any, 600_000);
             SelectorEchoServer nio = new SelectorEchoServer(any, workers);
             LoadGen toJk = new LoadGen(new InetSocketAddress(lo, jk.port()), connections);
             LoadGen toSharded = new LoadGen(new InetSocketAddress(lo, sharded.port()), connections);
             LoadGen toVirtual = new LoadGen(new InetSocketAddress(lo, vjk.port()), connections);
             LoadGen toNio = new LoadGen(new InetSocketAddress(lo, nio.port()), connections)) {
            Map<String, LoadGen> loads = new LinkedHashMap<>();
            loads.put("jkqueue", toJk);
            loads.put("sharded", toSharded);
            loads.put("virtual", toVirtual);
            loads.put("Selector", toNio);
            NativeBaseline c = NativeBaseline.fromArgs(args, "c-echo");
            Process cServer = null;
            if (c != null) {
                cServer = c.start(Integer.toString(workers));
                BufferedReader out = new BufferedReader(new InputStreamReader(cServer.getInputStream(), StandardCharsets.US_ASCII));
                int port = Integer.parseInt(out.readLine().trim());
                long pid = cServer.pid();
                loads.put("C epoll", new LoadGen(new InetSocketAddress(lo, port), connections, () -> Support.cpuNanosOf(pid)));
            }
            Rounds r = new Rounds();
            loads.forEach((v, load) -> r.add(v, Support.checked(() -> load.turn(roundMs))));
            r.run(warmup, rounds, "req/s");
            loads.forEach((v, load) -> {
                System.out.printf(Locale.ROOT, "  %-8s req/s: %s, errors %d%n", v, Rounds.describe(r.values(v), "%.0f"),
                        load.errors);
                // a load generator near 100% busy caps every server's rate: no server can be faster than it
                double[] client = load.clientBusy.stream().skip(warmup).mapToDouble(Double::doubleValue).toArray();
                double[] rest = load.restBusy.stream().skip(warmup).mapToDouble(Double::doubleValue).toArray();
                System.out.printf(Locale.ROOT, "  %-8s CPU busy: load generator thread %s, servers and the rest %s (of one CPU)%n",
                        v, Rounds.describe(client, "%.2f"), Rounds.describe(rest, "%.2f"));
                Rounds.summary("echo " + v + " CPU busy, load generator / rest", Rounds.brief(client, "%.2f") + " / "
                        + Rounds.brief(rest, "%.2f"), "", "");
                Rounds.summary("echo " + v + " req/s", Rounds.brief(r.values(v), "%.0f") + ", errors " + load.errors,
                        "errors 0", Rounds.verdict(load.errors == 0));
            });
            ratio(r, "jkqueue", "Selector", "echo jkqueue/Selector req/s");
            ratio(r, "sharded", "Selector", "echo sharded/Selector req/s");
            ratio(r, "virtual", "jkqueue", "echo virtual threads/EV_DISPATCH workers req/s");
            if (cServer != null) {
                // what no server can beat under this load generator: read and write alone
                ratio(r, "C epoll", "Selector", "echo ceiling C epoll/Selector req/s");
                ratio(r, "jkqueue", "C epoll", "echo jkqueue/C epoll req/s");
                loads.get("C epoll").close();
                cServer.getOutputStream().close();   // end of file on its stdin: it exits
                cServer.waitFor();
            }
        }
    }
}
