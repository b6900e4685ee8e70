package io.jkqueue.cli;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** --timer and --timeout values as a person types them. */
class DurationsTest {
    @ParameterizedTest(name = "{0} is {1} ns")
    @CsvSource({
            "500ns, 500",
            "10us, 10000",
            "1.5us, 1500",
            "250ms, 250000000",
            "0.5ms, 500000",
            "2s, 2000000000",
            "1.5s, 1500000000",
            "1m, 60000000000",
            "1h, 3600000000000",
            "' 2S ', 2000000000",
            "PT1.5S, 1500000000",
            "pt1m, 60000000000",
            "P1D, 86400000000000",
            "0, 0"})
    void parsesUnitsAndIso8601(String text, long nanos) {
        assertThat(Durations.parse(text)).isEqualTo(Duration.ofNanos(nanos));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "5", "ms", "5d", "1.5ns", "fast", "PT"})
    void anythingElseIsRejectedWithAHint(String text) {
        assertThatThrownBy(() -> Durations.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("not a duration: " + text + " (try 500ms, 2s, 1m or PT1S)");
    }
}
