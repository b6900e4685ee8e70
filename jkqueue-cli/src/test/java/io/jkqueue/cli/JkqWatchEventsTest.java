package io.jkqueue.cli;

import io.jkqueue.cli.Launcher.Ended;
import io.jkqueue.cli.Launcher.Lines;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

import static io.jkqueue.cli.Launcher.runToEnd;
import static io.jkqueue.cli.Launcher.start;
import static org.assertj.core.api.Assertions.assertThat;

/** jkq watch --events and --latency, through the launcher. */
class JkqWatchEventsTest {
    @Test
    void eventsDeleteReportsADeleteAndNotAWrite(@TempDir Path dir) throws Exception {
        Path written = Files.writeString(dir.resolve("written"), "");
        Path deleted = Files.writeString(dir.resolve("deleted"), "");
        Process jkq = start("watch", "--json", "--events", "Delete", "--file", written.toString(),
                "--file", deleted.toString(), "--timer", "200ms", "--timeout", "60s");
        Lines out = new Lines(jkq.getInputStream());
        try {
            out.next("timer line (the loop runs)", l -> l.contains("\"source\":\"timer\""));
            // the write comes first: had it been watched, its line would come before the delete's
            Files.writeString(written, "more", StandardOpenOption.APPEND);
            Files.delete(deleted);
            String line = out.next("file line", l -> l.contains("\"source\":\"file\""));
            assertThat(line).contains("\"name\":\"" + deleted + "\"").contains("\"events\":[\"DELETE\"]");
        } finally {
            jkq.destroy();
        }
        assertThat(jkq.waitFor(60, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void eventsLeaveOutADirectorysOwnNotesTheyDoNotName(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("x"), "");
        Process jkq = start("watch", "--json", "--events", "write", "--file", dir.toString(), "--timer", "200ms",
                "--timeout", "60s");
        Lines out = new Lines(jkq.getInputStream());
        try {
            out.next("timer line (the loop runs)", l -> l.contains("\"source\":\"timer\""));
            // the chmod comes first: had the directory's ATTRIB been reported, its line would come before the write's
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            Files.writeString(file, "more", StandardOpenOption.APPEND);
            String line = out.next("file line", l -> l.contains("\"source\":\"file\""));
            assertThat(line).contains("\"name\":\"" + file + "\"").contains("\"events\":[\"WRITE\"]");
        } finally {
            jkq.destroy();
        }
        assertThat(jkq.waitFor(60, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aFileRenamedAwayIsADeleteOfItsPathWhenEventsDoNotNameRename(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("x"), "");
        Process jkq = start("watch", "--json", "--events", "write", "--file", file.toString(), "--timer", "200ms",
                "--timeout", "60s");
        Lines out = new Lines(jkq.getInputStream());
        try {
            out.next("timer line (the loop runs)", l -> l.contains("\"source\":\"timer\""));
            Files.move(file, dir.resolve("y"));
            String line = out.next("file line", l -> l.contains("\"source\":\"file\""));
            assertThat(line).as("RENAME is watched to follow the file, not reported")
                    .contains("\"name\":\"" + file + "\"").contains("\"events\":[\"DELETE\"]");
        } finally {
            jkq.destroy();
        }
        assertThat(jkq.waitFor(60, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void latencyPrintsABurstOnAFileAsOneLine(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("watched"), "");
        // a latency far longer than the burst below, so that it is one batch on a slow machine too
        Process jkq = start("watch", "--json", "--latency", "5s", "--events", "write,attrib", "--file",
                file.toString(), "--timer", "200ms", "--timeout", "60s");
        Lines out = new Lines(jkq.getInputStream());
        try {
            out.next("timer line (the loop runs)", l -> l.contains("\"source\":\"timer\""));
            Files.writeString(file, "more", StandardOpenOption.APPEND);
            // a pause, so that without a latency the write would be a line of its own before the chmod
            Thread.sleep(200);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            String line = out.next("file line", l -> l.contains("\"source\":\"file\""));
            assertThat(line).contains("\"events\":[\"WRITE\",\"ATTRIB\"]");
            String timer = out.next("timer line after the batch", l -> l.contains("\"source\":\"timer\""));
            assertThat(timer).as("a batch's timer expirations are one line").doesNotContain("\"data\":1}");
        } finally {
            jkq.destroy();
        }
        assertThat(jkq.waitFor(60, TimeUnit.SECONDS)).isTrue();
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
            "--events  | frob | --events frob: no event frob (one of delete,write,extend,attrib,link,rename,revoke,"
                    + "open,close,close_write,read)",
            "--latency | -1s  | --latency -1s: must not be negative",
            "--latency | soon | --latency soon: not a duration: soon (try 500ms, 2s, 1m or PT1S)"})
    void aBadEventsOrLatencyIsRefusedWithStatus2(String option, String value, String message) throws Exception {
        Ended jkq = runToEnd("watch", "--timer", "10ms", option, value);
        assertThat(jkq.stderr()).isEqualTo("jkq: " + message + "\nTry 'jkq watch --help' for more information.\n");
        assertThat(jkq.status()).isEqualTo(2);
    }
}
