package io.jkqueue.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static io.jkqueue.KEvent.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** --events names, as jkq prints them, in any case. */
class VnodeEventsTest {
    @Test
    void namesInAnyCaseWithSpaces() {
        assertThat(VnodeEvents.parse("write,delete,rename")).isEqualTo(NOTE_WRITE | NOTE_DELETE | NOTE_RENAME);
        assertThat(VnodeEvents.parse("WRITE, Close_Write ,read")).isEqualTo(NOTE_WRITE | NOTE_CLOSE_WRITE | NOTE_READ);
        assertThat(VnodeEvents.parse("delete,delete")).isEqualTo(NOTE_DELETE);
    }

    @Test
    void allIsEveryNoteJkqNames() {
        assertThat(VnodeEvents.ALL).isEqualTo(NOTE_DELETE | NOTE_WRITE | NOTE_EXTEND | NOTE_ATTRIB | NOTE_LINK
                | NOTE_RENAME | NOTE_REVOKE | NOTE_OPEN | NOTE_CLOSE | NOTE_CLOSE_WRITE | NOTE_READ);
        assertThat(VnodeEvents.parse("delete,write,extend,attrib,link,rename,revoke,open,close,close_write,read"))
                .isEqualTo(VnodeEvents.ALL);
    }

    @ParameterizedTest(name = "''{0}''")
    @CsvSource(delimiter = '|', value = {
            "write,frob | no event frob",
            "modify     | no event modify",
            "''         | an empty event name",
            "write,     | an empty event name"})
    void anUnknownOrEmptyNameIsRejectedWithTheNames(String list, String message) {
        assertThatThrownBy(() -> VnodeEvents.parse(list)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message + " (one of delete,write,extend,attrib,link,rename,revoke,open,close,close_write,"
                        + "read)");
    }
}
