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

/** jkq watch's options, checked before anything is watched. */
class WatchOptionsTest {
    private static Watch parsed(String... args) {
        Watch watch = new Watch(new PrintStream(new ByteArrayOutputStream()));
        new CommandLine(watch).parseArgs(args);
        return watch;
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
            "--timer   | 0s     | --timer 0s: a timer's period must be more than 0",
            "--timer   | 0      | --timer 0: a timer's period must be more than 0",
            "--timer   | -1s    | --timer -1s: a timer's period must be more than 0",
            "--timer   | PT-1S  | --timer PT-1S: a timer's period must be more than 0",
            "--timer   | 0.1ns  | --timer 0.1ns: not a duration: 0.1ns (try 500ms, 2s, 1m or PT1S)",
            "--timer   | P1000000D | --timer P1000000D: too long",
            "--count   | 0      | --count 0: must be at least 1",
            "--count   | -1     | --count -1: must be at least 1",
            "--timeout | -1s    | --timeout -1s: must not be negative",
            "--timeout | soon   | --timeout soon: not a duration: soon (try 500ms, 2s, 1m or PT1S)",
            "--signal  | NOPE   | --signal NOPE: no signal NOPE"})
    void aBadValueIsAUsageError(String option, String value, String message) {
        Watch watch = parsed(option, value);
        assertThatThrownBy(watch::validate).isInstanceOf(ParameterException.class).hasMessage(message);
    }

    @Test
    void theSmallestGoodValuesAreAccepted() {
        assertThatCode(() -> parsed("--timer", "1ns", "--count", "1", "--timeout", "0").validate())
                .doesNotThrowAnyException();
    }

    @Test
    void execNeedsACommandAndACommandNeedsExec() {
        assertThatThrownBy(() -> parsed("--exec").validate()).isInstanceOf(ParameterException.class)
                .hasMessage("--exec needs a command after --");
        assertThatThrownBy(() -> parsed("true").validate()).isInstanceOf(ParameterException.class)
                .hasMessage("unexpected arguments [true] (use --exec -- CMD...)");
    }
}
