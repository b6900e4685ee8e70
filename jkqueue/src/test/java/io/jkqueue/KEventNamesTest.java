package io.jkqueue;

import io.jkqueue.spi.FilterOps;
import io.jkqueue.spi.Filters;
import io.jkqueue.spi.Knote;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static io.jkqueue.KEvent.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** KEvent.toString and the exceptions name filters, flags and fflags as sys/event.h does, not as numbers. */
class KEventNamesTest {
    @Test
    void toStringNamesTheFilterFlagsAndFflags() {
        assertThat(KEvent.of(5, EVFILT_TIMER, EV_ADD | EV_ONESHOT, NOTE_SECONDS, 2, "t")).hasToString(
                "KEvent{ident=5, filter=EVFILT_TIMER, flags=EV_ADD|EV_ONESHOT, fflags=NOTE_SECONDS, data=2, udata=t}");
        assertThat(KEvent.of(3, EVFILT_VNODE, EV_ADD | EV_CLEAR, NOTE_DELETE | NOTE_WRITE | NOTE_RENAME, 0, null))
                .hasToString("KEvent{ident=3, filter=EVFILT_VNODE, flags=EV_ADD|EV_CLEAR,"
                        + " fflags=NOTE_DELETE|NOTE_WRITE|NOTE_RENAME, data=0, udata=null}");
        assertThat(KEvent.of(1234, EVFILT_PROC, EV_EOF | EV_ONESHOT, NOTE_EXIT, 0, null).toString())
                .contains("filter=EVFILT_PROC, flags=EV_ONESHOT|EV_EOF, fflags=NOTE_EXIT");
        assertThat(KEvent.of(0, EVFILT_FS, EV_ADD, VQ_MOUNT | VQ_UNMOUNT, 0, null).toString())
                .contains("filter=EVFILT_FS, flags=EV_ADD, fflags=VQ_MOUNT|VQ_UNMOUNT");
    }

    @Test
    void noBitsAre0AndBitsWithoutANameAreHex() {
        assertThat(KEvent.of(1, EVFILT_SIGNAL, 0)).hasToString(
                "KEvent{ident=1, filter=EVFILT_SIGNAL, flags=0, fflags=0, data=0, udata=null}");
        assertThat(KEvent.of(1, EVFILT_VNODE, EV_ADD | 0x800, NOTE_WRITE | 0x10000, 0, null).toString())
                .contains("flags=EV_ADD|0x800, fflags=NOTE_WRITE|0x10000");
        // a bit that is a note of another filter is not named for this one
        assertThat(KEvent.fflagsName(EVFILT_SIGNAL, NOTE_SECONDS)).isEqualTo("0x1");
        assertThat(KEvent.fflagsName(EVFILT_TIMER, NOTE_SECONDS)).isEqualTo("NOTE_SECONDS");
    }

    @Test
    void userFflagsAreAControlNoteTriggerAndTheProgramsBits() {
        assertThat(KEvent.fflagsName(EVFILT_USER, NOTE_FFOR | NOTE_TRIGGER | 0x5))
                .isEqualTo("NOTE_FFOR|NOTE_TRIGGER|0x5");
        assertThat(KEvent.fflagsName(EVFILT_USER, NOTE_FFCOPY)).isEqualTo("NOTE_FFCOPY");
        assertThat(KEvent.fflagsName(EVFILT_USER, NOTE_TRIGGER)).isEqualTo("NOTE_TRIGGER");
        assertThat(KEvent.fflagsName(EVFILT_USER, NOTE_FFAND | 0xff)).isEqualTo("NOTE_FFAND|0xff");
        assertThat(KEvent.fflagsName(EVFILT_USER, NOTE_FFNOP)).isEqualTo("0");
    }

    @Test
    void everySystemFilterHasItsNameAndAJavaSourceItsNumber() {
        int[] filters = {EVFILT_READ, EVFILT_WRITE, EVFILT_AIO, EVFILT_VNODE, EVFILT_PROC, EVFILT_SIGNAL,
                EVFILT_TIMER, EVFILT_PROCDESC, EVFILT_FS, EVFILT_LIO, EVFILT_USER, EVFILT_SENDFILE, EVFILT_EMPTY};
        String[] names = {"EVFILT_READ", "EVFILT_WRITE", "EVFILT_AIO", "EVFILT_VNODE", "EVFILT_PROC",
                "EVFILT_SIGNAL", "EVFILT_TIMER", "EVFILT_PROCDESC", "EVFILT_FS", "EVFILT_LIO", "EVFILT_USER",
                "EVFILT_SENDFILE", "EVFILT_EMPTY"};
        for (int i = 0; i < filters.length; i++) {
            assertThat(KEvent.filterName(filters[i])).isEqualTo(names[i]);
        }
        assertThat(KEvent.of(7, -20, EV_ADD, 0x3, 0, null).toString()).contains("filter=-20, flags=EV_ADD, fflags=0x3");
    }

    @Test
    void aFailedChangeReturnedAsAnEventNamesItsErrno() throws Exception {
        try (KQueue kq = KQueue.open()) {
            KEvent[] out = new KEvent[1];
            // a descriptor number far above any open one: EBADF, returned as an EV_ERROR event with EV_RECEIPT
            assertThat(kq.kevent(new KEvent[] {KEvent.of(1_000_000, EVFILT_READ, EV_ADD | EV_RECEIPT)}, out,
                    Duration.ZERO)).isOne();
            assertThat(out[0]).hasToString(   // flags = EV_ERROR alone, as kern_kevent writes them
                    "KEvent{ident=1000000, filter=EVFILT_READ, flags=EV_ERROR, fflags=0, data=EBADF, udata=null}");
        }
    }

    @Test
    void aFailedChangeThrownNamesItsFilterAndFlags() throws Exception {
        try (KQueue kq = KQueue.open()) {
            assertThatThrownBy(() -> kq.kevent(new KEvent[] {KEvent.of(1_000_000, EVFILT_READ, EV_ADD | EV_ONESHOT)},
                    null, Duration.ZERO))
                    .isInstanceOf(KQueueException.class)
                    .hasMessage("EBADF: change 0 (ident 1000000, filter EVFILT_READ, flags EV_ADD|EV_ONESHOT) failed");
        }
    }

    @Test
    void theFilterTableNamesASystemFilter() {
        FilterOps ops = new FilterOps() {
            @Override
            public boolean isFd() {
                return false;
            }

            @Override
            public int attach(Knote kn) {
                return 0;
            }

            @Override
            public void detach(Knote kn) {}

            @Override
            public boolean event(Knote kn, long hint) {
                return false;
            }
        };
        assertThatThrownBy(() -> Filters.add(EVFILT_TIMER, ops)).isInstanceOf(KQueueException.class)
                .hasMessage("EEXIST: filter EVFILT_TIMER is already installed");
    }
}
