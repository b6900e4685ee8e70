package io.jkqueue.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** jkq watch's --events and --latency, checked before anything is watched. */
class WatchEventsOptionsTest {
    private static Watch parsed(String... args) {
        Watch watch = new Watch(new PrintStream(new ByteArrayOutputStream()));
        new CommandLine(watch).parseArgs(args);
        return watch;
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
            "--events  | write,frob | --events write,frob: no event frob (one of delete,write,extend,attrib,link,"
                    + "rename,revoke,open,close,close_write,read)",
            "--events  | ''         | '--events : an empty event name (one of delete,write,extend,attrib,link,"
                    + "rename,revoke,open,close,close_write,read)'",
            "--latency | -1s        | --latency -1s: must not be negative",
            "--latency | PT-0.5S    | --latency PT-0.5S: must not be negative",
            "--latency | soon       | --latency soon: not a duration: soon (try 500ms, 2s, 1m or PT1S)",
            "--latency | P1000000D  | --latency P1000000D: too long"})
    void aBadValueIsAUsageError(String option, String value, String message) {
        Watch watch = parsed(option, value);
        assertThatThrownBy(watch::validate).isInstanceOf(ParameterException.class).hasMessage(message);
    }

    @Test
    void goodValuesAreAccepted() {
        assertThatCode(() -> parsed("--events", "WRITE,delete", "--latency", "0").validate())
                .doesNotThrowAnyException();
        assertThatCode(() -> parsed("--latency", "250ms").validate()).doesNotThrowAnyException();
    }
}
