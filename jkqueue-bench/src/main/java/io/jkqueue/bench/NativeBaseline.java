package io.jkqueue.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A C baseline (bench/c/*.c, compiled by bench/run.sh) run as a child
 * process: it inherits this JVM's CPU affinity, does its own timing and
 * prints one number, nanoseconds per operation, on its last line of stdout.
 */
final class NativeBaseline {
    private final String binary;

    NativeBaseline(String binary) {
        this.binary = binary;
    }

    static NativeBaseline fromArgs(String[] args, String name) {
        String path = Rounds.optString(args, name, null);
        if (path == null || path.isEmpty()) {
            return null;
        }
        if (!new java.io.File(path).canExecute()) {
            throw new IllegalArgumentException("C baseline not executable: " + path);
        }
        return new NativeBaseline(path);
    }

    /** Runs the binary with {@code iterations}; returns its ns per operation. */
    double run(long iterations) {
        return Double.parseDouble(runLine(Long.toString(iterations)));
    }

    /** Starts the binary with {@code args}, its stderr on ours: a run of its own, or a helper serving this JVM. */
    Process start(String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(binary);
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    /** Runs the binary with {@code args}; returns the last line it printed. */
    String runLine(String... args) {
        try {
            Process p = start(args);
            String last = null;
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII))) {
                for (String line; (line = r.readLine()) != null; ) {
                    last = line.trim();
                }
            }
            int rc = p.waitFor();
            if (rc != 0 || last == null) {
                throw new IllegalStateException(binary + " exited " + rc);
            }
            return last;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
