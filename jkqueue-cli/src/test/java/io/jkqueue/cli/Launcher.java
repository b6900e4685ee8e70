package io.jkqueue.cli;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/** Runs bin/jkq as a user would, and waits (60 s at most) for what it prints. */
final class Launcher {
    private Launcher() {}

    static final Path LAUNCHER = Path.of("..", "bin", "jkq").toAbsolutePath().normalize();
    /** How long a test waits for anything: a bound for a broken jkq, not a timing. */
    static final long WAIT_SECONDS = 60;
    private static final boolean SIGINT_IGNORED = (ignoredSignals() & 1L << (2 - 1)) != 0;

    /** This process's ignored signals (/proc's SigIgn mask: bit n-1 for signal n). */
    private static long ignoredSignals() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("SigIgn:")) {
                    return Long.parseUnsignedLong(line.substring("SigIgn:".length()).trim(), 16);
                }
            }
            return 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Process start(String... args) throws IOException {
        return builder(args).start();
    }

    /**
     * jkq as started from a terminal: with SIGINT at its default, even when
     * these tests inherited it ignored (as a background job of a shell does,
     * and a JVM keeps it so), through env(1) then.
     */
    static ProcessBuilder builder(String... args) {
        List<String> cmd = new ArrayList<>();
        if (SIGINT_IGNORED) {
            cmd.addAll(List.of("env", "--default-signal=INT"));
        }
        cmd.add(LAUNCHER.toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        return pb;
    }

    record Ended(int status, String stderr) {}

    /** Runs jkq to its end with nothing on stdin and its stdout discarded; its status and stderr. */
    static Ended runToEnd(String... args) throws Exception {
        Path err = Files.createTempFile("jkq", ".err");
        try {
            Process jkq = builder(args).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectError(err.toFile()).start();
            try {
                assertThat(jkq.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)).as("jkq %s ended", List.of(args)).isTrue();
            } finally {
                jkq.destroy();
            }
            return new Ended(jkq.exitValue(), Files.readString(err));
        } finally {
            Files.delete(err);
        }
    }

    /** The lines of a stream, read by a thread of their own so that a wait for one can be bounded. */
    static final class Lines {
        private static final String END = new String("end of stream");
        private final BlockingQueue<String> queue = new LinkedBlockingQueue<>();
        private final List<String> seen = new ArrayList<>();

        Lines(InputStream in) {
            Thread.ofPlatform().daemon().start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        queue.add(line);
                    }
                } catch (IOException e) {
                    // the stream was closed under us: its end
                } finally {
                    queue.add(END);
                }
            });
        }

        /** The next line that {@code wanted} accepts; fails at the end of the stream or after 60 s. */
        String next(String what, Predicate<String> wanted) throws InterruptedException {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
            while (true) {
                String line = queue.poll(end - System.nanoTime(), TimeUnit.NANOSECONDS);
                if (line == null || line == END) {
                    queue.add(END);
                    return fail("no %s %s; lines so far: %s", what, line == null ? "within 60 s" : "before the end",
                            seen);
                }
                seen.add(line);
                if (wanted.test(line)) {
                    return line;
                }
            }
        }

        /** Every line read so far, in order. */
        List<String> seen() {
            return seen;
        }
    }

    /** Waits until {@code condition} holds; fails after 60 s. */
    static void awaitUntil(String what, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - end > 0) {
                fail("not within 60 s: " + what);
            }
            Thread.sleep(10);
        }
    }

    /**
     * Waits for {@code jkq} to end; after 60 s fails with what its threads
     * were doing: each one's name, state and kernel wait channel from /proc,
     * and the JVM's own thread dump (jstack, itself bounded).
     */
    static void awaitEnd(Process jkq, String what) throws Exception {
        if (jkq.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)) {
            return;
        }
        fail("%s: still running after %d s%n%s", what, WAIT_SECONDS, threadsOf(jkq.pid()));
    }

    private static String threadsOf(long pid) throws Exception {
        StringBuilder out = new StringBuilder();
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks.sorted().toList()) {
                String stat = Files.readString(task.resolve("stat"));
                out.append(task.getFileName()).append(' ').append(stat, stat.indexOf('('), stat.lastIndexOf(')') + 3)
                        .append(' ').append(Files.readString(task.resolve("wchan"))).append('\n');
            }
        } catch (IOException e) {
            out.append("/proc: ").append(e).append('\n');
        }
        // into a file, so that a jstack that never ends is bounded by the wait below, not by a read of its output
        Path text = Files.createTempFile("jstack", ".txt");
        try {
            Path jstack = Path.of(System.getProperty("java.home"), "bin", "jstack");
            Process dump = new ProcessBuilder(jstack.toString(), Long.toString(pid)).redirectErrorStream(true)
                    .redirectOutput(text.toFile()).start();
            if (!dump.waitFor(20, TimeUnit.SECONDS)) {
                dump.destroyForcibly();
                out.append("(jstack did not end within 20 s)\n");
            }
            return out.append(Files.readString(text)).toString();
        } finally {
            Files.delete(text);
        }
    }

    static List<String> readLines(Path p) {
        try {
            return Files.exists(p) ? Files.readAllLines(p) : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
