package io.jkqueue.cli;

import io.jkqueue.cli.Launcher.Ended;
import io.jkqueue.cli.Launcher.Lines;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static io.jkqueue.cli.Launcher.awaitEnd;
import static io.jkqueue.cli.Launcher.awaitUntil;
import static io.jkqueue.cli.Launcher.readLines;
import static io.jkqueue.cli.Launcher.runToEnd;
import static org.assertj.core.api.Assertions.assertThat;

/** jkq run through the launcher: real commands, files and signals. */
class JkqRunTest {
    /** jkq run ARGS in {@code dir}, its stdout discarded; its stderr is read by the caller. */
    private static Process run(Path dir, String... args) throws IOException {
        String[] all = new String[args.length + 1];
        all[0] = "run";
        System.arraycopy(args, 0, all, 1, args.length);
        return Launcher.builder(all).directory(dir.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    private static void change(Path file) throws IOException {
        Files.writeString(file, "x\n", StandardOpenOption.APPEND);
    }

    /** Ends jkq as Ctrl-C or kill would; returns its status. */
    private static int end(Process jkq, String signal) throws Exception {
        assertThat(new ProcessBuilder("kill", "-s", signal, Long.toString(jkq.pid())).start().waitFor()).isZero();
        awaitEnd(jkq, "jkq after SIG" + signal);
        return jkq.exitValue();
    }

    /** Whether process {@code pid} has ended (gone, or a zombie nobody reaped yet). */
    private static boolean ended(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (NoSuchFileException e) {
            return true;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static long pid(Path pids, int line) {
        return Long.parseLong(readLines(pids).get(line).trim());
    }

    @Test
    void aChangeRunsTheCommandAgainAndSigintEndsJkq(@TempDir Path dir) throws Exception {
        Path watched = Files.writeString(dir.resolve("watched"), "");
        Process jkq = run(dir, "--file", "watched", "--", "sh", "-c", "echo run >> log");
        Lines err = new Lines(jkq.getErrorStream());
        try {
            err.next("the first run's end", l -> l.equals("jkq run: sh -c echo run >> log: exit code 0"));
            assertThat(readLines(dir.resolve("log"))).containsExactly("run");
            change(watched);
            err.next("the second run's end", l -> l.endsWith(": exit code 0"));
            assertThat(readLines(dir.resolve("log"))).containsExactly("run", "run");
            assertThat(end(jkq, "INT")).as("128 + SIGINT").isEqualTo(130);
        } finally {
            jkq.destroy();
        }
    }

    @Test
    void aFileThatAnAtomicSaveReplacedIsWatchedInItsPlace(@TempDir Path dir) throws Exception {
        Path watched = Files.writeString(dir.resolve("watched"), "");
        Process jkq = run(dir, "--debounce", "0", "--file", "watched", "--", "sh", "-c", "echo run >> log");
        Lines err = new Lines(jkq.getErrorStream());
        try {
            err.next("the first run's end", l -> l.endsWith(": exit code 0"));
            // as an editor saves: a new file renamed over the old one
            Path tmp = Files.writeString(dir.resolve(".watched.tmp"), "saved\n");
            Files.move(tmp, watched, StandardCopyOption.ATOMIC_MOVE);
            err.next("the run for the save", l -> l.endsWith(": exit code 0"));
            change(watched);
            err.next("the run for a change to the new file", l -> l.endsWith(": exit code 0"));
            assertThat(readLines(dir.resolve("log"))).hasSize(3);
        } finally {
            jkq.destroy();
        }
        awaitEnd(jkq, "jkq after destroy()");
    }

    /** A run's view of {@code file}: the command copies it to {@code seen} (renamed into place, never half written). */
    private static String[] copying(String file, String... before) {
        String[] args = new String[before.length + 4];
        System.arraycopy(before, 0, args, 0, before.length);
        args[before.length] = "--";
        args[before.length + 1] = "sh";
        args[before.length + 2] = "-c";
        args[before.length + 3] = "cat " + file + " > seen.tmp 2>/dev/null; mv seen.tmp seen";
        return args;
    }

    @Test
    void aWriteToAFileInAWatchedDirectoryRunsTheCommandAgain(@TempDir Path dir) throws Exception {
        Path src = Files.createDirectory(dir.resolve("src"));
        Path file = Files.writeString(src.resolve("a.txt"), "one\n");
        Process jkq = run(dir, copying("src/a.txt", "--debounce", "0", "--file", "src"));
        try {
            awaitUntil("the first run", () -> readLines(dir.resolve("seen")).equals(List.of("one")));
            Files.writeString(file, "two\n", StandardOpenOption.APPEND);   // no entry of src is added or removed
            awaitUntil("a run after the write", () -> readLines(dir.resolve("seen")).equals(List.of("one", "two")));
        } finally {
            jkq.destroy();
        }
        awaitEnd(jkq, "jkq after destroy()");
    }

    @Test
    void withRecursiveAFileInASubdirectoryMadeAfterTheStartRunsTheCommandAgain(@TempDir Path dir) throws Exception {
        Path src = Files.createDirectory(dir.resolve("src"));
        Process jkq = run(dir, copying("src/sub/new.txt", "--debounce", "0", "-r", "--file", "src"));
        Lines err = new Lines(jkq.getErrorStream());
        try {
            err.next("the first run's end", l -> l.endsWith(": exit code 0"));
            Path sub = Files.createDirectory(src.resolve("sub"));
            // made whole outside, then renamed in: its content is there when jkq lists sub
            Path made = Files.writeString(dir.resolve("new.txt"), "one\n");
            Path file = Files.move(made, sub.resolve("new.txt"), StandardCopyOption.ATOMIC_MOVE);
            awaitUntil("a run after the file came", () -> readLines(dir.resolve("seen")).equals(List.of("one")));
            Files.writeString(file, "two\n", StandardOpenOption.APPEND);
            awaitUntil("a run after its write", () -> readLines(dir.resolve("seen")).equals(List.of("one", "two")));
        } finally {
            jkq.destroy();
        }
        awaitEnd(jkq, "jkq after destroy()");
    }

    @Test
    void anExcludedFilesChangeIsNoChangeWhileAnIncludedOnesIs(@TempDir Path dir) throws Exception {
        Path src = Files.createDirectory(dir.resolve("src"));
        Path included = Files.writeString(src.resolve("a.txt"), "");
        Path excluded = Files.writeString(src.resolve("b.log"), "");
        Path runs = dir.resolve("runs");
        Path gate = dir.resolve("gate");
        assertThat(new ProcessBuilder("mkfifo", gate.toString()).start().waitFor()).isZero();
        // each run waits at the gate (a FIFO) until the test opens it for writing and closes it
        Process jkq = run(dir, "--debounce", "0", "--file", "src", "--exclude", "*.log", "--", "sh", "-c",
                "echo run >> runs; cat gate > /dev/null");
        Lines err = new Lines(jkq.getErrorStream());
        try {
            awaitUntil("the first run started", () -> readLines(runs).size() == 1);
            // a change now, while the first run waits, would say "changed while running"
            change(excluded);
            Files.writeString(gate, "");
            err.next("the first run's end", l -> l.endsWith(": exit code 0"));
            change(included);
            awaitUntil("a run for the included file", () -> readLines(runs).size() == 2);
            Files.writeString(gate, "");
            err.next("the second run's end", l -> l.endsWith(": exit code 0"));
            assertThat(err.seen()).as("no change but the included file's").hasSize(2)
                    .allMatch(l -> l.endsWith(": exit code 0"));
        } finally {
            jkq.destroy();
        }
        awaitEnd(jkq, "jkq after destroy()");
        assertThat(readLines(runs)).hasSize(2);
    }

    @Test
    void aChangeWhileTheCommandRunsQueuesARunAfterItEnds(@TempDir Path dir) throws Exception {
        Path watched = Files.writeString(dir.resolve("watched"), "");
        Path log = dir.resolve("log");
        Path gate = dir.resolve("gate");
        assertThat(new ProcessBuilder("mkfifo", gate.toString()).start().waitFor()).isZero();
        // each run waits at the gate (a FIFO) until the test opens it for writing and closes it
        Process jkq = run(dir, "--debounce", "0", "--file", "watched", "--", "sh", "-c",
                "echo start >> log; cat gate > /dev/null; echo end >> log");
        Lines err = new Lines(jkq.getErrorStream());
        try {
            awaitUntil("the first run started", () -> readLines(log).size() == 1);
            change(watched);
            change(watched);
            change(watched);
            assertThat(err.next("a change while it runs", l -> l.startsWith("jkq run: "))).isEqualTo("jkq run: "
                    + "sh -c echo start >> log; cat gate > /dev/null; echo end >> log: changed while running; "
                    + "runs again when it ends");
            Files.writeString(gate, ""); // lets the first run end
            awaitUntil("a second run started after the first ended", () -> readLines(log).size() == 3);
            assertThat(readLines(log)).containsExactly("start", "end", "start");
            Files.writeString(gate, "");
            awaitUntil("the second run ended", () -> readLines(log).size() == 4);
        } finally {
            jkq.destroy();
        }
        awaitEnd(jkq, "jkq after destroy()");
    }

    @Test
    void restartStopsTheRunningCommandAndSigtermEndsItToo(@TempDir Path dir) throws Exception {
        Path watched = Files.writeString(dir.resolve("watched"), "");
        Path pids = dir.resolve("pids");
        Process jkq = run(dir, "--restart", "--file", "watched", "--", "sh", "-c", "echo $$ >> pids; exec sleep 600");
        Lines err = new Lines(jkq.getErrorStream());
        try {
            awaitUntil("the first run started", () -> readLines(pids).size() == 1);
            long first = pid(pids, 0);
            change(watched);
            assertThat(err.next("the first run's end", l -> l.startsWith("jkq run: "))).endsWith(": killed by TERM");
            awaitUntil("a second run started", () -> readLines(pids).size() == 2);
            long second = pid(pids, 1);
            assertThat(ended(first)).isTrue();
            assertThat(ended(second)).as("the second run is running").isFalse();
            assertThat(end(jkq, "TERM")).as("128 + SIGTERM").isEqualTo(143);
            awaitUntil("jkq's SIGTERM ended the command too", () -> ended(second));
        } finally {
            jkq.destroy();
            readLines(pids).forEach(p -> ProcessHandle.of(Long.parseLong(p.trim())).ifPresent(ProcessHandle::destroy));
        }
    }

    @Test
    void restartKillsAProcessGroupThatIgnoresSigtermAfterTheGrace(@TempDir Path dir) throws Exception {
        Path watched = Files.writeString(dir.resolve("watched"), "");
        Path pids = dir.resolve("pids");
        // the shell and its sleep (same process group) both ignore SIGTERM
        Process jkq = run(dir, "--restart", "--grace", "300ms", "--file", "watched", "--", "sh", "-c",
                "trap '' TERM; echo $$ >> pids; sleep 600 & echo $! >> pids; wait");
        Lines err = new Lines(jkq.getErrorStream());
        try {
            awaitUntil("the first run started", () -> readLines(pids).size() == 2);
            List<Long> first = List.of(pid(pids, 0), pid(pids, 1));
            change(watched);
            assertThat(err.next("the first run's end", l -> l.startsWith("jkq run: "))).endsWith(": killed by KILL");
            awaitUntil("the whole group was killed", () -> first.stream().allMatch(JkqRunTest::ended));
            awaitUntil("a second run started", () -> readLines(pids).size() == 4);
        } finally {
            jkq.destroy();
            awaitUntil("jkq ended", () -> !jkq.isAlive());
            readLines(pids).forEach(p -> ProcessHandle.of(Long.parseLong(p.trim())).ifPresent(ProcessHandle::destroyForcibly));
        }
    }

    @Test
    void debounceMakesABurstOfChangesFewerRuns(@TempDir Path dir) throws Exception {
        Path watched = Files.writeString(dir.resolve("watched"), "");
        Path log = dir.resolve("log");
        // each run logs how many lines the watched file had
        Process jkq = run(dir, "--debounce", "2s", "--file", "watched", "--", "sh", "-c", "wc -l < watched >> log");
        int changes = 20;
        try {
            awaitUntil("the first run", () -> readLines(log).size() == 1);
            for (int i = 0; i < changes; i++) {
                change(watched);
                Thread.sleep(30); // a burst spread out, so that an undebounced jkq would run between the changes
            }
            awaitUntil("a run saw every change", () -> readLines(log).stream().anyMatch(l -> l.trim().equals("20")));
            List<String> runs = readLines(log);
            assertThat(runs.size() - 1).as("runs for %d changes: %s", changes, runs).isLessThan(changes / 4);
        } finally {
            jkq.destroy();
        }
        awaitEnd(jkq, "jkq after destroy()");
    }

    @Test
    void countEndsJkqWithTheLastRunsStatus(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("watched"), "");
        Ended jkq = runToEnd("run", "--count", "1", "--file", dir.resolve("watched").toString(), "--", "sh", "-c",
                "exit 5");
        assertThat(jkq).isEqualTo(new Ended(5, "jkq run: sh -c exit 5: exit code 5\n"));
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
            "--debounce | -1s  | --debounce -1s: must not be negative",
            "--debounce | soon | --debounce soon: not a duration: soon (try 500ms, 2s, 1m or PT1S)",
            "--grace    | -1s  | --grace -1s: must not be negative",
            "--events   | frob | --events frob: no event frob (one of delete,write,extend,attrib,link,rename,revoke,"
                    + "open,close,close_write,read)",
            "--count    | 0    | --count 0: must be at least 1"})
    void aBadFlagIsRefusedWithStatus2(String option, String value, String message) throws Exception {
        // a refused flag taken as valid would run `true` again and again, and never end
        Ended jkq = runToEnd("run", option, value, "--", "true");
        assertThat(jkq).isEqualTo(new Ended(2, "jkq: " + message + "\nTry 'jkq run --help' for more information.\n"));
    }

    @Test
    void noCommandIsStatus2() throws Exception {
        Ended jkq = runToEnd("run", "--file", ".");
        assertThat(jkq.status()).isEqualTo(2);
        assertThat(jkq.stderr()).startsWith("jkq: Missing required parameter: 'CMD'");
    }
}
