package io.jkqueue.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.DoubleSupplier;

/** Helpers shared by the I/O harnesses (LibeventBench, Idle, Churn, VnodeLatency, ProcExit). */
final class Support {
    private Support() {}

    /**
     * The process's voluntary context switches so far, over its live threads
     * (/proc/self/task/N/status): each is a thread going to sleep, so a
     * wake-up follows it.
     */
    static long voluntarySwitches() {
        long sum = 0;
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    for (String line : Files.readAllLines(task.resolve("status"))) {
                        if (line.startsWith("voluntary_ctxt_switches:")) {
                            sum += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                        }
                    }
                } catch (IOException e) {
                    // the thread exited meanwhile
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return sum;
    }

    /** CPU time of another process's threads (each one's schedstat: time on a CPU, in ns); 0 once it has gone. */
    static long cpuNanosOf(long pid) {
        long sum = 0;
        try (var tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path t : tasks) {
                String stat = Files.readString(t.resolve("schedstat"));
                sum += Long.parseLong(stat.substring(0, stat.indexOf(' ')));
            }
        } catch (IOException gone) {
            return 0;
        }
        return sum;
    }

    /** CPU time of the whole process (every thread: the JIT's and the GC's too), in ns. */
    static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /**
     * {@code pairs} connected AF_UNIX stream socket pairs (what libevent's bench
     * uses, socketpair(2)), non-blocking: end {@code i} and end {@code i + pairs}
     * are peers, so 2 × pairs descriptors give 2 × pairs readable ends. (This
     * machine allows 20,000 descriptors per process; pipes would need two per
     * readable end.)
     */
    static SocketChannel[] unixPairs(int pairs) throws IOException {
        Path dir = Files.createTempDirectory("jkq-pairs");
        Path path = dir.resolve("s");
        SocketChannel[] ends = new SocketChannel[2 * pairs];
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(path), 64);
            for (int i = 0; i < pairs; i++) {
                ends[i] = SocketChannel.open(UnixDomainSocketAddress.of(path));
                ends[i + pairs] = server.accept();
                ends[i].configureBlocking(false);
                ends[i + pairs].configureBlocking(false);
            }
        } finally {
            Files.deleteIfExists(path);
            Files.deleteIfExists(dir);
        }
        return ends;
    }

    static void closeAll(SocketChannel[] chs) {
        for (SocketChannel c : chs) {
            try {
                c.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }

    /** A Rounds variant from code that throws. */
    static DoubleSupplier checked(Callable<Double> round) {
        return () -> {
            try {
                return round.call();
            } catch (RuntimeException e) {
                throw e;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
    }

    /** Latency samples in ns: collects them, then p50 / p99 / max in µs. */
    static final class Samples {
        private long[] v = new long[1024];
        private int n;

        void add(long ns) {
            if (n == v.length) {
                v = Arrays.copyOf(v, 2 * n);
            }
            v[n++] = ns;
        }

        int size() {
            return n;
        }

        private long[] sorted() {
            long[] s = Arrays.copyOf(v, n);
            Arrays.sort(s);
            return s;
        }

        double p50us() {
            return Rounds.percentile(sorted(), n, 50) / 1e3;
        }

        double p99us() {
            return Rounds.percentile(sorted(), n, 99) / 1e3;
        }

        String describe() {
            long[] s = sorted();
            return String.format(Locale.ROOT, "p50 %.1f us, p99 %.1f us, max %.1f us (n=%d)",
                    Rounds.percentile(s, n, 50) / 1e3, Rounds.percentile(s, n, 99) / 1e3,
                    n == 0 ? 0 : s[n - 1] / 1e3, n);
        }
    }
}
