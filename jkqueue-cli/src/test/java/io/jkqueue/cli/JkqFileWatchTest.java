package io.jkqueue.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/** bin/jkq watching directories and files as a user would, with real files; reads its JSON lines. */
class JkqFileWatchTest {
    private static final Path LAUNCHER = Path.of("..", "bin", "jkq").toAbsolutePath().normalize();
    /** How long a line that must come is waited for: only a failing test waits this long. */
    private static final long WAIT_SECONDS = 60;
    private static final String END = "\u0000end";

    private Process jkq;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    /** Every line read so far, in order. */
    private final List<String> seen = new ArrayList<>();

    /** Starts jkq with a 200ms timer beside the arguments: its first line says every watch is set. */
    private void start(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(LAUNCHER.toString(), "watch", "--json", "--timer", "200ms"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        jkq = pb.start();
        BufferedReader out = new BufferedReader(new InputStreamReader(jkq.getInputStream(), StandardCharsets.UTF_8));
        Thread.ofPlatform().daemon().start(() -> {
            try {
                for (String line; (line = out.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (IOException e) {
                // closed by destroy
            }
            lines.add(END);
        });
        await(l -> l.contains("\"source\":\"timer\""));
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (jkq != null) {
            jkq.destroy();
            assertThat(jkq.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
        }
    }

    /** The next line (timer lines aside) that matches; fails at the end of the output or after the wait. */
    private String await(Predicate<String> wanted) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (true) {
            String line = lines.poll(Math.max(end - System.nanoTime(), 0), TimeUnit.NANOSECONDS);
            if (line == null || line.equals(END)) {
                fail("no such line came; after the ready one, jkq printed:%n%s", String.join("\n", seen));
            }
            seen.add(line);
            if (wanted.test(line)) {
                return line;
            }
        }
    }

    /** A file line for this path with these events, e.g. {@code "CREATE"} or {@code "REPLACED"}. */
    private static Predicate<String> event(Path path, String what) {
        return l -> l.contains("\"source\":\"file\"") && l.contains("\"name\":\"" + path + "\"")
                && l.contains("\"" + what + "\"");
    }

    /** The file lines seen so far that name this path. */
    private List<String> seenOf(Path path) {
        return seen.stream().filter(l -> l.contains("\"name\":\"" + path + "\"") || l.contains("\"to\":\"" + path + "\""))
                .toList();
    }

    @Test
    void aDirectorysEntriesAreNamedWhenCreatedRenamedWrittenAndDeleted(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("a.txt"), "a");
        start("--file", dir.toString());
        Files.writeString(dir.resolve("new.txt"), "");
        assertThat(await(event(dir.resolve("new.txt"), "CREATE"))).contains("\"type\":\"file\"");
        Files.writeString(dir.resolve("new.txt"), "more", StandardOpenOption.APPEND);
        await(event(dir.resolve("new.txt"), "WRITE"));
        Files.move(dir.resolve("a.txt"), dir.resolve("b.txt"));
        assertThat(await(event(dir.resolve("a.txt"), "RENAME"))).contains("\"to\":\"" + dir.resolve("b.txt") + "\"");
        Files.delete(dir.resolve("b.txt"));
        await(event(dir.resolve("b.txt"), "DELETE"));
        Files.createDirectory(dir.resolve("sub"));
        assertThat(await(event(dir.resolve("sub"), "CREATE"))).contains("\"type\":\"dir\"");
    }

    @Test
    void recursionWatchesANewSubdirectoryAndDropsARemovedOne(@TempDir Path dir) throws Exception {
        start("--file", dir.toString(), "-r");
        Path sub = Files.createDirectories(dir.resolve("sub/deeper"));
        // made before jkq can have watched the new directories: found by listing them at once
        Files.writeString(sub.resolve("early.txt"), "");
        await(event(sub.resolve("early.txt"), "CREATE"));
        Files.writeString(sub.resolve("late.txt"), "");
        await(event(sub.resolve("late.txt"), "CREATE"));
        Files.writeString(sub.resolve("late.txt"), "x", StandardOpenOption.APPEND);
        await(event(sub.resolve("late.txt"), "WRITE"));

        try (Stream<Path> s = Files.walk(dir.resolve("sub"))) {
            s.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
        }
        // each entry is named, before the directory that held it
        await(event(sub.resolve("early.txt"), "DELETE"));
        await(event(sub, "DELETE"));
        await(event(dir.resolve("sub"), "DELETE"));
        assertThat(descriptorsOf(jkq.pid())).as("jkq's descriptors left under the removed directory")
                .noneMatch(target -> target.startsWith(dir.resolve("sub").toString()));
    }

    /** What jkq's open descriptors name. */
    private static List<String> descriptorsOf(long pid) throws IOException {
        List<String> targets = new ArrayList<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    targets.add(Files.readSymbolicLink(fd).toString());
                } catch (IOException closedMeanwhile) {
                    // not open any more
                }
            }
        }
        return targets;
    }

    @Test
    void withoutRecursionASubdirectorysEntriesAreNotReported(@TempDir Path dir) throws Exception {
        Files.createDirectory(dir.resolve("sub"));
        start("--file", dir.toString());
        Files.writeString(dir.resolve("sub/inner.txt"), "");
        Files.writeString(dir.resolve("outer.txt"), "");
        await(event(dir.resolve("outer.txt"), "CREATE"));
        assertThat(seenOf(dir.resolve("sub/inner.txt"))).isEmpty();
    }

    @Test
    void anExcludedFileAndDirectoryPrintNothingWhileOthersDo(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("x.log"), "");
        start("--file", dir.toString(), "-r", "--exclude", "*.log", "--exclude", "build");
        // each excluded change comes before one that is reported, which jkq reports after it
        Files.writeString(dir.resolve("x.log"), "more", StandardOpenOption.APPEND);
        Files.writeString(dir.resolve("y.log"), "");
        Files.createDirectory(dir.resolve("build"));
        Files.writeString(dir.resolve("build/out.txt"), "");
        Files.writeString(dir.resolve("z.txt"), "");
        await(event(dir.resolve("z.txt"), "CREATE"));
        Files.writeString(dir.resolve("build/out.txt"), "more", StandardOpenOption.APPEND);
        Files.writeString(dir.resolve("x.log"), "more", StandardOpenOption.APPEND);
        Files.writeString(dir.resolve("z.txt"), "more", StandardOpenOption.APPEND);
        await(event(dir.resolve("z.txt"), "WRITE"));
        assertThat(seen).noneMatch(l -> l.contains(".log\"") || l.contains("build"));
    }

    @Test
    void onlyAnIncludedFileIsReported(@TempDir Path dir) throws Exception {
        start("--file", dir.toString(), "--include", "*.txt");
        Files.writeString(dir.resolve("a.md"), "");
        Files.writeString(dir.resolve("b.txt"), "");
        await(event(dir.resolve("b.txt"), "CREATE"));
        Files.writeString(dir.resolve("a.md"), "more", StandardOpenOption.APPEND);
        Files.writeString(dir.resolve("b.txt"), "more", StandardOpenOption.APPEND);
        await(event(dir.resolve("b.txt"), "WRITE"));
        assertThat(seenOf(dir.resolve("a.md"))).isEmpty();
    }

    @Test
    void aFileReplacedByAnAtomicSaveIsFollowed(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("config"), "old");
        start("--file", file.toString());
        // as sed -i and editors save: a new file written beside it, renamed over it
        Path tmp = Files.writeString(dir.resolve(".config.tmp"), "new");
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        await(event(file, "REPLACED"));
        Files.writeString(file, " and more", StandardOpenOption.APPEND);
        await(event(file, "WRITE"));
    }

    @Test
    void aFileDeletedIsReportedAndFollowedWhenItComesBack(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("f"), "old");
        start("--file", file.toString());
        Files.delete(file);
        await(event(file, "DELETE"));
        Files.writeString(file, "new");
        await(event(file, "REPLACED"));
        Files.writeString(file, " and more", StandardOpenOption.APPEND);
        await(event(file, "WRITE"));
    }

    @Test
    void aFileRenamedAwayIsADeleteOfItsPath(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("f"), "old");
        start("--file", file.toString());
        Files.move(file, dir.resolve("g"));
        assertThat(await(event(file, "RENAME"))).doesNotContain("DELETE");
        await(event(file, "DELETE"));
        Files.writeString(file, "new");
        await(event(file, "REPLACED"));
    }

    @Test
    void aClosedStdoutEndsJkqWhileItWaits(@TempDir Path dir) throws Exception {
        Path pidFile = dir.resolve("pid");
        // the command shares jkq's stdout; jkq lets it run once everything is watched, so its line says jkq is idle
        ProcessBuilder pb = new ProcessBuilder(LAUNCHER.toString(), "watch", "--timer", "1h", "--exec", "--",
                "sh", "-c", "echo $$ > " + pidFile + "; echo ready; exec sleep 600")
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        jkq = pb.start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(jkq.getInputStream(), StandardCharsets.UTF_8));
            assertThat(out.readLine()).isEqualTo("ready");
            out.close();
            assertThat(jkq.waitFor(20, TimeUnit.SECONDS)).as("jkq ended when its reader left, not at its next line")
                    .isTrue();
            assertThat(jkq.exitValue()).as("128 + SIGPIPE").isEqualTo(141);
        } finally {
            // the command is left running, as it would be without jkq; end it here
            ProcessHandle.of(Long.parseLong(Files.readString(pidFile).trim())).ifPresent(ProcessHandle::destroy);
        }
    }
}
