package io.jkqueue.cli;

import io.jkqueue.KEventList;
import io.jkqueue.cli.EventFormat.Source;
import org.junit.jupiter.api.Test;

import static io.jkqueue.KEvent.*;
import static org.assertj.core.api.Assertions.assertThat;

/** The lines jkq watch prints, human-readable and JSON, for each kind of event. */
class EventFormatTest {
    private static final String T = "2026-01-01T00:00:00Z";
    private static final EventFormat HUMAN = new EventFormat(false);
    private static final EventFormat JSON = new EventFormat(true);

    private static KEventList one(long ident, int filter, int fflags, long data) {
        KEventList ev = new KEventList(1);
        ev.add(ident, filter, 0, fflags, data, null);
        return ev;
    }

    @Test
    void fileNotes() {
        KEventList ev = one(5, EVFILT_VNODE, NOTE_WRITE | NOTE_EXTEND, 0);
        Source src = new Source("file", "/tmp/w");
        assertThat(HUMAN.line(T, src, ev, 0)).isEqualTo(T + "  file   /tmp/w  WRITE|EXTEND");
        assertThat(JSON.line(T, src, ev, 0)).isEqualTo("{\"time\":\"" + T + "\",\"source\":\"file\",\"name\":\"/tmp/w\","
                + "\"ident\":5,\"events\":[\"WRITE\",\"EXTEND\"],\"fflags\":6,\"data\":0}");
    }

    @Test
    void anExitWhoseStatusTheKernelDidNotKeep() {
        KEventList ev = one(1234, EVFILT_PROC, NOTE_EXIT, -1);
        Source src = new Source("pid", "1234");
        assertThat(HUMAN.line(T, src, ev, 0)).isEqualTo(T + "  pid    1234  EXIT  (exit status unknown)");
        assertThat(JSON.line(T, src, ev, 0)).isEqualTo("{\"time\":\"" + T + "\",\"source\":\"pid\",\"name\":\"1234\","
                + "\"ident\":1234,\"events\":[\"EXIT\"],\"fflags\":" + Integer.toUnsignedLong(NOTE_EXIT)
                + ",\"data\":-1}");
    }

    @Test
    void anExitWithItsCode() {
        KEventList ev = one(1234, EVFILT_PROC, NOTE_EXIT, 5 << 8);
        Source src = new Source("exec", "sh -c x");
        assertThat(HUMAN.line(T, src, ev, 0)).isEqualTo(T + "  exec   sh -c x  EXIT  (exit code 5)");
        assertThat(JSON.line(T, src, ev, 0)).isEqualTo("{\"time\":\"" + T + "\",\"source\":\"exec\",\"name\":\"sh -c x\","
                + "\"ident\":1234,\"events\":[\"EXIT\"],\"fflags\":2147483648,\"data\":1280,\"exitCode\":5}");
    }

    @Test
    void anExitByASignal() {
        KEventList ev = one(1234, EVFILT_PROC, NOTE_EXIT, 0x80 | 9);   // SIGKILL, core dumped
        Source src = new Source("pid", "1234");
        assertThat(HUMAN.line(T, src, ev, 0)).isEqualTo(T + "  pid    1234  EXIT  (killed by KILL)");
        assertThat(JSON.line(T, src, ev, 0)).endsWith(",\"data\":137,\"signal\":\"KILL\"}");
    }

    @Test
    void aTrackedChildNamesItsParent() {
        KEventList ev = one(1235, EVFILT_PROC, NOTE_CHILD, 1234);
        Source src = new Source("child", "1235");
        assertThat(HUMAN.line(T, src, ev, 0)).isEqualTo(T + "  child  1235  CHILD  (child of 1234)");
        assertThat(JSON.line(T, src, ev, 0)).endsWith("\"events\":[\"CHILD\"],\"parent\":1234,\"fflags\":4,\"data\":1234}");
    }

    @Test
    void aChildsExitIsAnExitAndStillNamesItsParentInJson() {
        KEventList ev = one(1235, EVFILT_PROC, NOTE_CHILD | NOTE_EXIT, 0);
        Source src = new Source("child", "1235");
        assertThat(HUMAN.line(T, src, ev, 0)).isEqualTo(T + "  child  1235  EXIT|CHILD  (exit code 0)");
        assertThat(JSON.line(T, src, ev, 0)).endsWith("\"events\":[\"EXIT\",\"CHILD\"],\"parent\":0,"
                + "\"fflags\":2147483652,\"data\":0,\"exitCode\":0}");
    }

    @Test
    void mountsAndUnmounts() {
        Source src = new Source("mounts", "mnt:[4026531841]");
        assertThat(HUMAN.line(T, src, one(0, EVFILT_FS, VQ_MOUNT, 0), 0))
                .isEqualTo(T + "  mounts mnt:[4026531841]  MOUNT");
        assertThat(HUMAN.line(T, src, one(0, EVFILT_FS, VQ_MOUNT | VQ_UNMOUNT, 0), 0))
                .isEqualTo(T + "  mounts mnt:[4026531841]  MOUNT|UNMOUNT");
        assertThat(JSON.line(T, src, one(0, EVFILT_FS, VQ_UNMOUNT, 0), 0)).isEqualTo("{\"time\":\"" + T
                + "\",\"source\":\"mounts\",\"name\":\"mnt:[4026531841]\",\"ident\":0,\"events\":[\"UNMOUNT\"],"
                + "\"fflags\":16,\"data\":0}");
    }

    @Test
    void signalsAndTimersCountInData() {
        assertThat(HUMAN.line(T, new Source("signal", "USR1"), one(10, EVFILT_SIGNAL, 0, 3), 0))
                .isEqualTo(T + "  signal USR1  SIGNAL  (3 delivered)");
        assertThat(HUMAN.line(T, new Source("timer", "500ms"), one(1, EVFILT_TIMER, 0, 2), 0))
                .isEqualTo(T + "  timer  500ms  TIMER  (2 expired)");
        assertThat(JSON.line(T, new Source("timer", "500ms"), one(1, EVFILT_TIMER, 0, 2), 0))
                .endsWith("\"ident\":1,\"events\":[\"TIMER\"],\"fflags\":0,\"data\":2}");
    }

    @Test
    void jsonEscapesTheName() {
        assertThat(JSON.line(T, new Source("file", "a\"b\\c\nd\u0001"), one(5, EVFILT_VNODE, NOTE_ATTRIB, 0), 0))
                .contains("\"name\":\"a\\\"b\\\\c\\nd\\u0001\"");
    }
}
