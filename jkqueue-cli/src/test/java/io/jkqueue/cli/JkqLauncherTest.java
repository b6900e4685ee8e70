package io.jkqueue.cli;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Runs the bin/jkq launcher as a user would and reads its JSON lines. */
class JkqLauncherTest {
    private static final Path LAUNCHER = Path.of("..", "bin", "jkq").toAbsolutePath().normalize();

    private static Process start(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(LAUNCHER.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        return pb.start();
    }

    @Test
    void watchesAFileAChildProcessAndATimerInOneLoop(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("watched"), "");
        Process jkq = start("watch", "--json", "--file", file.toString(), "--timer", "300ms", "--count", "100",
                "--timeout", "60s", "--exec", "--", "sh", "-c", "read line; sh -c 'sleep 1; exec true'; exit 5");
        jkq.getErrorStream().close();
        List<String> lines = new ArrayList<>();
        BufferedReader out = new BufferedReader(new InputStreamReader(jkq.getInputStream(), StandardCharsets.UTF_8));
        try {
            // the timer shows the loop is running; then change the file and let the child go on to its end
            lines.add(out.readLine());
            Files.writeString(file, "more", StandardOpenOption.APPEND);
            jkq.getOutputStream().write("go\n".getBytes(StandardCharsets.UTF_8)); // the child inherits our pipe
            jkq.getOutputStream().close();
            for (String line; (line = out.readLine()) != null; ) {
                lines.add(line);
                if (line.contains("\"source\":\"exec\"") && line.contains("\"EXIT\"")) {
                    break;
                }
            }
        } finally {
            jkq.destroy(); // the timer would go on: Ctrl-C, as a user would
        }
        assertThat(jkq.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(lines).allSatisfy(l -> assertThat(l).startsWith("{\"time\":\"").endsWith("}"));
        assertThat(lines).anySatisfy(l -> assertThat(l).contains("\"source\":\"timer\"").contains("\"events\":[\"TIMER\"]"));
        assertThat(lines).anySatisfy(l -> assertThat(l).contains("\"source\":\"file\"")
                .contains("\"name\":\"" + file + "\"").contains("\"WRITE\"").contains("\"EXTEND\""));
        assertThat(lines).anySatisfy(l -> assertThat(l).contains("\"source\":\"exec\"")
                .contains("\"events\":[\"FORK\"]"));
        assertThat(lines).anySatisfy(l -> assertThat(l).contains("\"source\":\"child\"")
                .contains("\"CHILD\"").contains("\"parent\":"));
        assertThat(lines).anySatisfy(l -> assertThat(l).contains("\"source\":\"child\"")
                .contains("\"EXEC\""));
        assertThat(lines).anySatisfy(l -> assertThat(l).contains("\"source\":\"exec\"")
                .contains("\"events\":[\"EXIT\"]").contains("\"exitCode\":5"));
    }

    @Test
    void aWatchedSignalIsReportedEachTimeAndDoesNotEndJkq() throws Exception {
        Process jkq = start("watch", "--json", "--signal", "USR1", "--timer", "200ms", "--count", "100",
                "--timeout", "60s");
        jkq.getErrorStream().close();
        BufferedReader out = new BufferedReader(new InputStreamReader(jkq.getInputStream(), StandardCharsets.UTF_8));
        try {
            assertThat(out.readLine()).as("the loop runs").contains("\"source\":\"timer\"");
            for (int i = 0; i < 2; i++) {
                assertThat(new ProcessBuilder("kill", "-USR1", Long.toString(jkq.pid())).start().waitFor()).isZero();
                String line;
                while ((line = out.readLine()) != null && !line.contains("\"source\":\"signal\"")) {
                    // timer lines
                }
                assertThat(line).as("signal %d reported", i + 1).isNotNull().contains("\"name\":\"USR1\"");
            }
            assertThat(jkq.isAlive()).as("SIGUSR1 (default: terminate) did not end jkq").isTrue();
        } finally {
            jkq.destroy();
        }
        assertThat(jkq.waitFor(60, TimeUnit.SECONDS)).isTrue();
    }

    private static int run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s ended", List.of(command)).isTrue();
        return p.exitValue();
    }

    /** Reads lines until one from the mount table; null at the end of the output. */
    private static String nextMountLine(BufferedReader out) throws IOException {
        String line;
        while ((line = out.readLine()) != null && !line.contains("\"source\":\"mounts\"")) {
            // timer lines
        }
        return line;
    }

    @Test
    void mountsAndUnmountsAreReported(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=1m", "jkq-probe", dir.toString()) == 0,
                "mounting a tmpfs needs root (CAP_SYS_ADMIN)");
        assertThat(run("umount", dir.toString())).isZero();
        Process jkq = start("watch", "--json", "--mounts", "--timer", "200ms", "--count", "1000", "--timeout", "60s");
        jkq.getErrorStream().close();
        BufferedReader out = new BufferedReader(new InputStreamReader(jkq.getInputStream(), StandardCharsets.UTF_8));
        try {
            assertThat(out.readLine()).as("the loop runs").contains("\"source\":\"timer\"");
            assertThat(run("mount", "-t", "tmpfs", "-o", "size=1m", "jkq-test", dir.toString())).isZero();
            try {
                assertThat(nextMountLine(out)).isNotNull().contains("\"name\":\"mnt:[").contains("\"MOUNT\"");
            } finally {
                assertThat(run("umount", dir.toString())).isZero();
            }
            assertThat(nextMountLine(out)).isNotNull().contains("\"UNMOUNT\"");
        } finally {
            jkq.destroy();
        }
        assertThat(jkq.waitFor(60, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void badInputIsReportedWithStatus2() throws Exception {
        Process jkq = start("watch", "--pid", "1073741823");
        String err = new String(jkq.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(jkq.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(jkq.exitValue()).isEqualTo(2);
        assertThat(err).contains("cannot watch pid 1073741823: ESRCH (no such process)");
    }

    /**
     * Runs jkq with these arguments to its end (ended after 60 s if it does not end), with nothing on its stdin
     * and its stdout discarded (not closed: that would end it, 141); returns its status and its stderr.
     */
    private static Ended runToEnd(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(LAUNCHER.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Path err = Files.createTempFile("jkq", ".err");
        try {
            Process jkq = pb.redirectError(err.toFile()).start();
            try {
                assertThat(jkq.waitFor(60, TimeUnit.SECONDS)).as("jkq %s ended", List.of(args)).isTrue();
            } finally {
                jkq.destroy();
            }
            return new Ended(jkq.exitValue(), Files.readString(err));
        } finally {
            Files.delete(err);
        }
    }

    private record Ended(int status, String stderr) {}

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
            "--timer   | 0s   | --timer 0s: a timer's period must be more than 0",
            "--timer   | -1s  | --timer -1s: a timer's period must be more than 0",
            "--timer   | fast | --timer fast: not a duration: fast (try 500ms, 2s, 1m or PT1S)",
            "--count   | 0    | --count 0: must be at least 1",
            "--count   | -1   | --count -1: must be at least 1",
            "--timeout | -1s  | --timeout -1s: must not be negative",
            "--signal  | FOO  | --signal FOO: no signal FOO"})
    void aBadFlagIsRefusedWithAMessageAndStatus2(String option, String value, String message) throws Exception {
        // with --timer 10ms beside it, a refused flag taken as valid would print lines, or never end
        Ended jkq = runToEnd("watch", "--timer", "10ms", option, value);
        assertThat(jkq.stderr()).isEqualTo("jkq: " + message + "\nTry 'jkq watch --help' for more information.\n");
        assertThat(jkq.status()).isEqualTo(2);
    }

    @Test
    void aClosedStdoutEndsJkqAtOnce() throws Exception {
        Process jkq = start("watch", "--timer", "100ms");
        jkq.getOutputStream().close();
        BufferedReader out = new BufferedReader(new InputStreamReader(jkq.getInputStream(), StandardCharsets.UTF_8));
        try {
            assertThat(out.readLine()).contains("timer");
            assertThat(out.readLine()).contains("timer");
            out.close(); // as `jkq watch --timer 100ms | head -2` does
            assertThat(jkq.waitFor(60, TimeUnit.SECONDS)).as("jkq ended after its reader left").isTrue();
            assertThat(new String(jkq.getErrorStream().readAllBytes(), StandardCharsets.UTF_8)).isEmpty();
            assertThat(jkq.exitValue()).as("128 + SIGPIPE").isEqualTo(141);
        } finally {
            jkq.destroy(); // only if it did not end (destroy also closes the streams)
        }
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"exit 5, 5", "exit 0, 0", "'kill -TERM $$', 143", "'kill -KILL $$', 137"})
    void execEndsWithItsCommandsStatus(String script, int status) throws Exception {
        Ended jkq = runToEnd("watch", "--exec", "--", "sh", "-c", script);
        assertThat(jkq.stderr()).isEmpty();
        assertThat(jkq.status()).isEqualTo(status);
    }

    @Test
    void aTimeoutEndsWithStatus2AndACountWith0() throws Exception {
        assertThat(runToEnd("watch", "--timer", "1h", "--timeout", "200ms")).as("--timeout").isEqualTo(new Ended(2, ""));
        assertThat(runToEnd("watch", "--timer", "10ms", "--count", "2", "--timeout", "60s")).as("--count")
                .isEqualTo(new Ended(0, ""));
    }

    @Test
    void aTimeoutEndsExecWithStatus2WhileItsCommandRuns(@TempDir Path dir) throws Exception {
        Path pidFile = dir.resolve("pid");
        try {
            assertThat(runToEnd("watch", "--timeout", "1s", "--exec", "--", "sh", "-c",
                    "echo $$ > " + pidFile + "; exec sleep 600")).isEqualTo(new Ended(2, ""));
        } finally {
            // the command is left running, as it would be without jkq; end it here
            ProcessHandle.of(Long.parseLong(Files.readString(pidFile).trim())).ifPresent(ProcessHandle::destroy);
        }
    }
}
