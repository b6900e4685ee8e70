package io.jkqueue.cli;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * bin/jkq's class-data archive (target/jkq.jsa): written by the first run, renewed after a build, replaced when it
 * is not an archive; whatever its state, jkq's output is the same and the JVM says nothing about it.
 */
class JkqArchiveTest {
    private static final Path LAUNCHER = Path.of("..", "bin", "jkq").toAbsolutePath().normalize();
    private static final Path TARGET = Path.of("target").toAbsolutePath();
    private static final Path ARCHIVE = TARGET.resolve("jkq.jsa");
    /** CDS_DYNAMIC_ARCHIVE_MAGIC, the first four bytes of an archive the JVM wrote. */
    private static final int DYNAMIC_ARCHIVE_MAGIC = 0xf00baba8;

    private record Ended(int status, List<String> stdout, String stderr) {}

    /** Runs {@code jkq watch --timer 10ms --count 2} through the launcher to its end. */
    private static Ended twoTicks() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(LAUNCHER.toString(), "watch", "--timer", "10ms", "--count", "2")
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Path out = Files.createTempFile("jkq", ".out"), err = Files.createTempFile("jkq", ".err");
        try {
            Process jkq = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            try {
                assertThat(jkq.waitFor(60, TimeUnit.SECONDS)).as("jkq ended").isTrue();
            } finally {
                jkq.destroy();
            }
            return new Ended(jkq.exitValue(), Files.readAllLines(out), Files.readString(err));
        } finally {
            Files.delete(out);
            Files.delete(err);
        }
    }

    private static void assertTwoTicksAndNothingElse(Ended jkq) {
        assertThat(jkq.stderr()).as("stderr").isEmpty();
        assertThat(jkq.stdout()).as("stdout: the two timer lines, no JVM message").hasSize(2)
                .allSatisfy(line -> assertThat(line).matches("\\S+Z {2}timer {2}10ms {2}TIMER {2}\\(\\d+ expired\\)"));
        assertThat(jkq.status()).isZero();
    }

    private static void assertArchiveWritten() throws Exception {
        assertThat(ARCHIVE).as("the archive the run wrote").exists();
        byte[] head = new byte[4];
        try (var in = Files.newInputStream(ARCHIVE)) {
            assertThat(in.readNBytes(head, 0, 4)).isEqualTo(4);
        }
        assertThat(ByteBuffer.wrap(head).order(ByteOrder.nativeOrder()).getInt()).isEqualTo(DYNAMIC_ARCHIVE_MAGIC);
    }

    @Test
    void aMissingArchiveIsWrittenByTheRunThatFindsItMissing() throws Exception {
        twoTicks(); // whatever state the build left, the launcher is ready
        Files.deleteIfExists(ARCHIVE);
        assertTwoTicksAndNothingElse(twoTicks());
        assertArchiveWritten();
        assertTwoTicksAndNothingElse(twoTicks()); // and the next run starts from it
    }

    @Test
    void anArchiveThatIsNotOneIsReplaced() throws Exception {
        twoTicks();
        Files.writeString(ARCHIVE, "not an archive", StandardCharsets.US_ASCII); // as a dump cut short leaves it
        assertTwoTicksAndNothingElse(twoTicks());
        assertArchiveWritten();
    }

    @Test
    void anArchiveOlderThanTheBuildIsRenewed() throws Exception {
        twoTicks();
        assertArchiveWritten();
        Instant built = Instant.now();
        // what a build does to the launcher's stamp; the jar and the archive made before it are now stale
        Files.setLastModifiedTime(TARGET.resolve("jkq.built"), FileTime.from(built));
        Files.setLastModifiedTime(ARCHIVE, FileTime.from(built.minusSeconds(60)));
        assertTwoTicksAndNothingElse(twoTicks());
        assertArchiveWritten();
        assertThat(Files.getLastModifiedTime(ARCHIVE).toInstant()).as("the archive was written again").isAfter(built);
    }
}
