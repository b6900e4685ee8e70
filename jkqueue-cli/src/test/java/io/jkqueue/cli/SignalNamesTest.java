package io.jkqueue.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** --signal names and the names jkq prints for signal numbers. */
class SignalNamesTest {
    @ParameterizedTest(name = "{0} is {1}")
    @CsvSource({"HUP, 1", "USR1, 10", "SIGUSR1, 10", "usr1, 10", "sigterm, 15", "WINCH, 28", "SYS, 31", "12, 12",
            "34, 34"})
    void aNameWithOrWithoutSigInAnyCaseOrANumber(String name, int signo) {
        assertThat(SignalNames.number(name)).isEqualTo(signo);
    }

    @ParameterizedTest(name = "{0} is {1}")
    @CsvSource({"1, HUP", "9, KILL", "10, USR1", "31, SYS", "0, 0", "32, 32", "-1, -1"})
    void namesOfNumbersWithoutSig(int signo, String name) {
        assertThat(SignalNames.name(signo)).isEqualTo(name);
    }

    @Test
    void anUnknownNameIsRejected() {
        assertThatThrownBy(() -> SignalNames.number("SIGFOO"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("no signal SIGFOO");
    }
}
