package io.jkqueue;

import static io.jkqueue.KEvent.*;
import static io.jkqueue.Kq.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** General kevent semantics: kqueue_kevent, kqueue_register and kqueue_scan of the seed (SPEC §2). */
@ExtendWith(KqExtension.class)
class KeventTest {
    private final KQueue kq;

    KeventTest(KQueue kq) {
        this.kq = kq;
    }

    @Test
    void changesAreAppliedInOrder() throws Exception {
        apply(kq,
                user(1, EV_ADD | EV_CLEAR, 0, 0, "a"),
                user(1, 0, NOTE_TRIGGER, 7, "a"),
                user(1, EV_DELETE),
                user(1, EV_ADD | EV_CLEAR, 0, 0, "b"),
                user(1, 0, NOTE_TRIGGER | NOTE_FFCOPY | 3, 8, "b"),
                user(1, 0, NOTE_FFCOPY | 4, 9, "c"));
        List<KEvent> got = poll(kq);
        assertThat(got).hasSize(1);
        KEvent e = got.get(0);
        assertThat(e.udata()).isEqualTo("c");
        assertThat(e.data()).isEqualTo(9);
        assertThat(e.fflags()).isEqualTo(4);
    }

    @Test
    void changesInTheSameCallAsTheScanAreSeenByTheScan() throws Exception {
        KEvent[] out = new KEvent[4];
        int n = kq.kevent(new KEvent[] {user(2, EV_ADD | EV_CLEAR), trigger(2)}, out, WAIT);
        assertThat(n).isEqualTo(1);
        assertThat(out[0].ident()).isEqualTo(2);
    }

    @Test
    void filterZeroIsSkipped() throws Exception {
        KEvent junk = ev(5, 0, EV_ADD | EV_DELETE | EV_ENABLE | EV_DISABLE, -1, -1, null);
        // nevents == 0: no exception
        apply(kq, junk, user(5, EV_ADD | EV_CLEAR), junk, trigger(5), junk);
        // nevents > 0: no EV_ERROR entry, the scan happens
        KEvent[] out = new KEvent[4];
        int n = kq.kevent(new KEvent[] {junk}, out, WAIT);
        assertThat(n).isEqualTo(1);
        assertThat(out[0].ident()).isEqualTo(5);
        assertThat(out[0].filter()).isEqualTo(EVFILT_USER);
        assertThat(out[0].flags() & EV_ERROR).isZero();
    }

    @Test
    void sysflagsInChangesAreIgnored() throws Exception {
        apply(kq, user(6, EV_ADD | EV_CLEAR | EV_SYSFLAGS));
        apply(kq, user(6, EV_SYSFLAGS, NOTE_TRIGGER, 0, null));
        KEvent e = one(kq);
        assertThat(e.flags()).isEqualTo(EV_CLEAR);
        // EV_DROP (one of the sysflags) in a change must not drop the knote
        apply(kq, user(6, EV_DROP, NOTE_TRIGGER, 0, null));
        assertThat(one(kq).ident()).isEqualTo(6);
        apply(kq, user(6, EV_DELETE | EV_ERROR));
        assertThat(applyFails(kq, user(6, EV_DELETE | EV_EOF))).isEqualTo(Errno.ENOENT);
    }

    @Test
    void failingChangeWithRoomForEventsBecomesAnEvErrorEntryWithoutScanning() throws Exception {
        apply(kq, user(10, EV_ADD | EV_CLEAR), trigger(10));
        KEvent[] out = new KEvent[8];
        int n = kq.kevent(new KEvent[] {
                user(99, EV_DELETE),            // ENOENT
                user(11, EV_ADD | EV_CLEAR),    // applied
                user(12, EV_ENABLE | EV_DISABLE), // EINVAL
                trigger(11),                    // applied
        }, out, WAIT);
        assertThat(n).as("only the error entries, no scan").isEqualTo(2);
        assertThat(out[0].ident()).isEqualTo(99);
        assertThat(out[0].filter()).isEqualTo(EVFILT_USER);
        assertThat(out[0].flags()).isEqualTo(EV_ERROR);
        assertThat(out[0].data()).isEqualTo(Errno.ENOENT.code());
        assertThat(out[1].ident()).isEqualTo(12);
        assertThat(out[1].flags()).isEqualTo(EV_ERROR);
        assertThat(out[1].data()).isEqualTo(Errno.EINVAL.code());
        // the later changes were applied, and the pending events are still there
        assertThat(poll(kq)).extracting(KEvent::ident).containsExactlyInAnyOrder(10L, 11L);
    }

    @Test
    void moreErrorsThanRoomThrowsTheNextError() throws Exception {
        // seed: each error entry uses one of nevents; when none is left the next error is returned
        KQueueException e = catchThrowableOfType(KQueueException.class, () -> kq.kevent(
                new KEvent[] {user(98, EV_DELETE), user(97, EV_ENABLE | EV_DISABLE)}, new KEvent[1], WAIT));
        assertThat(e).isNotNull();
        assertThat(e.errno()).isEqualTo(Errno.EINVAL);
    }

    @Test
    void receiptEntriesReplaceTheScan() throws Exception {
        apply(kq, user(20, EV_ADD | EV_CLEAR), trigger(20));
        KEvent[] out = new KEvent[8];
        int n = kq.kevent(new KEvent[] {
                user(21, EV_ADD | EV_RECEIPT),
                user(22, EV_ADD),
                user(23, EV_DELETE | EV_RECEIPT), // ENOENT
        }, out, WAIT);
        assertThat(n).isEqualTo(2);
        assertThat(out[0].ident()).isEqualTo(21);
        assertThat(out[0].flags()).isEqualTo(EV_ERROR);
        assertThat(out[0].data()).isZero();
        assertThat(out[1].ident()).isEqualTo(23);
        assertThat(out[1].flags()).isEqualTo(EV_ERROR);
        assertThat(out[1].data()).isEqualTo(Errno.ENOENT.code());
        assertThat(poll(kq)).extracting(KEvent::ident).containsExactly(20L);
        apply(kq, user(21, EV_DELETE), user(22, EV_DELETE));
    }

    @Test
    void receiptWithoutRoomForEventsEndsTheCallSuccessfully() throws Exception {
        // seed: with nevents == 0 a change with EV_RECEIPT returns its (zero) error at once,
        // so the call succeeds and the changes after it are not applied
        apply(kq, user(24, EV_ADD | EV_RECEIPT), user(25, EV_ADD));
        apply(kq, user(24, EV_DELETE));
        assertThat(applyFails(kq, user(25, EV_DELETE))).isEqualTo(Errno.ENOENT);
    }

    @Test
    void receiptWithNoEventListAtAllEndsTheCallSuccessfully() throws Exception {
        KEventList changes = new KEventList(2);
        changes.add(26, EVFILT_USER, EV_ADD | EV_RECEIPT, 0, 0, null);
        changes.add(27, EVFILT_USER, EV_ADD, 0, 0, null);
        assertThat(kq.kevent(changes, null, 0)).isZero();
        apply(kq, user(26, EV_DELETE));
        assertThat(applyFails(kq, user(27, EV_DELETE))).as("the change after the receipt was not applied")
                .isEqualTo(Errno.ENOENT);
    }

    @Test
    void aNullChangeIsEfaultBeforeAnyChangeIsApplied() throws Exception {
        KQueueException e = catchThrowableOfType(KQueueException.class,
                () -> kq.kevent(new KEvent[] {user(28, EV_ADD), null}, new KEvent[1], Duration.ZERO));
        assertThat(e).isNotNull();
        assertThat(e.errno()).isEqualTo(Errno.EFAULT);
        assertThat(applyFails(kq, user(28, EV_DELETE))).as("the change before it was not applied either")
                .isEqualTo(Errno.ENOENT);
    }

    @Test
    void receiptsReportTheChangeAsRegisterLeftIt() throws Exception {
        // seed: a new knote's kevent has fflags and data zeroed before it is copied out as the receipt;
        // filt_usertouch masks fflags with NOTE_FFLAGSMASK; a failed lookup leaves the change alone
        KEvent[] out = new KEvent[4];
        int n = kq.kevent(new KEvent[] {
                user(40, EV_ADD | EV_RECEIPT, NOTE_FFCOPY | 0x5, 77, "a"),
                user(40, EV_RECEIPT, NOTE_TRIGGER | NOTE_FFOR | 0x2, 0, "b"),
                timer(41, EV_ADD | EV_RECEIPT, NOTE_SECONDS, 60),
                user(42, EV_DELETE | EV_RECEIPT, 0x3, 5, null),
        }, out, Duration.ZERO);
        assertThat(n).isEqualTo(4);
        assertThat(out[0]).isEqualTo(new KEvent(40, EVFILT_USER, EV_ERROR, 0, 0, "a"));
        assertThat(out[1]).isEqualTo(new KEvent(40, EVFILT_USER, EV_ERROR, 0x2, 0, "b"));
        assertThat(out[2]).isEqualTo(new KEvent(41, EVFILT_TIMER, EV_ERROR, 0, 0, null));
        assertThat(out[3]).isEqualTo(new KEvent(42, EVFILT_USER, EV_ERROR, 0x3, Errno.ENOENT.code(), null));
        apply(kq, user(40, EV_DELETE), timer(41, EV_DELETE, 0, 0));
    }

    @Test
    void failingChangeWithoutRoomThrowsAndLaterChangesAreNotApplied() throws Exception {
        KQueueException e = catchThrowableOfType(KQueueException.class, () -> kq.kevent(
                new KEvent[] {user(30, EV_ADD), user(99, EV_DELETE), user(31, EV_ADD)}, null, Duration.ZERO));
        assertThat(e).isNotNull();
        assertThat(e.errno()).isEqualTo(Errno.ENOENT);
        apply(kq, user(30, EV_DELETE)); // the earlier change happened
        assertThat(applyFails(kq, user(31, EV_DELETE))).as("the later change did not").isEqualTo(Errno.ENOENT);
    }

    @Test
    void failingChangeWithEmptyEventArrayAlsoThrows() throws Exception {
        KQueueException e = catchThrowableOfType(KQueueException.class,
                () -> kq.kevent(new KEvent[] {user(32, EV_DELETE)}, new KEvent[0], Duration.ZERO));
        assertThat(e).isNotNull();
        assertThat(e.errno()).isEqualTo(Errno.ENOENT);
    }

    @Test
    void noKnoteWithoutEvAddIsEnoent() {
        assertThat(applyFails(kq, user(40, EV_DELETE))).isEqualTo(Errno.ENOENT);
        assertThat(applyFails(kq, user(40, EV_ENABLE))).isEqualTo(Errno.ENOENT);
        assertThat(applyFails(kq, user(40, EV_DISABLE))).isEqualTo(Errno.ENOENT);
        assertThat(applyFails(kq, user(40, 0))).isEqualTo(Errno.ENOENT);
        assertThat(applyFails(kq, timer(40, EV_ENABLE, 0, 0))).isEqualTo(Errno.ENOENT);
    }

    @Test
    void enableAndDisableTogetherIsEinval() throws Exception {
        assertThat(applyFails(kq, user(41, EV_ADD | EV_ENABLE | EV_DISABLE))).isEqualTo(Errno.EINVAL);
        assertThat(applyFails(kq, user(41, EV_DELETE))).as("nothing was added").isEqualTo(Errno.ENOENT);
        apply(kq, user(41, EV_ADD));
        assertThat(applyFails(kq, user(41, EV_ENABLE | EV_DISABLE))).isEqualTo(Errno.EINVAL);
        apply(kq, user(41, EV_DELETE));
    }

    @Test
    void unknownFilterIsEinval() {
        for (int f : new int[] {-100, 5, 1, Integer.MIN_VALUE, Integer.MAX_VALUE, -65}) {
            assertThat(applyFails(kq, ev(1, f, EV_ADD))).as("filter %d", f).isEqualTo(Errno.EINVAL);
            assertThat(applyFails(kq, ev(1, f, EV_DELETE))).as("filter %d", f).isEqualTo(Errno.EINVAL);
        }
    }

    @Test
    void aioAndLioFromAChangeListAreEpermSendfileIsEnxio() {
        for (int f : new int[] {EVFILT_AIO, EVFILT_LIO}) {
            // filt_aioattach/filt_lioattach: only a submission (EV_FLAG1) may register
            assertThat(applyFails(kq, ev(1, f, EV_ADD))).as("filter %d", f).isEqualTo(Errno.EPERM);
        }
        assertThat(applyFails(kq, ev(1, EVFILT_SENDFILE, EV_ADD))).isEqualTo(Errno.ENXIO);
    }

    @ParameterizedTest
    @ValueSource(longs = {Integer.MAX_VALUE, 1L << 40, -1L, -5L, 100_000L})
    void fdFilterOnAnInvalidDescriptorIsEbadf(long fd) {
        // kqueue_register: ident > INT_MAX or a descriptor fget cannot find is EBADF, also for EV_DELETE
        assertThat(applyFails(kq, ev(fd, EVFILT_READ, EV_ADD))).isEqualTo(Errno.EBADF);
        assertThat(applyFails(kq, ev(fd, EVFILT_WRITE, EV_ADD))).isEqualTo(Errno.EBADF);
        assertThat(applyFails(kq, ev(fd, EVFILT_READ, EV_DELETE))).isEqualTo(Errno.EBADF);
    }

    @Test
    void unknownFilterWithRoomForEventsIsAnEvErrorEntry() throws Exception {
        KEvent[] out = new KEvent[2];
        assertThat(kq.kevent(new KEvent[] {ev(3, -100, EV_ADD)}, out, WAIT)).isEqualTo(1);
        assertThat(out[0].flags()).isEqualTo(EV_ERROR);
        assertThat(out[0].data()).isEqualTo(Errno.EINVAL.code());
        assertThat(kq.kevent(new KEvent[] {ev(3, EVFILT_SENDFILE, EV_ADD)}, out, WAIT)).isEqualTo(1);
        assertThat(out[0].data()).isEqualTo(Errno.ENXIO.code());
    }

    @Test
    void closedKqueueIsEbadfForEveryCall() {
        kq.close();
        assertThat(kq.isOpen()).isFalse();
        assertThat(errno(() -> kq.kevent(null, null, Duration.ZERO))).isEqualTo(Errno.EBADF);
        assertThat(errno(() -> kq.kevent(null, new KEvent[4], Duration.ZERO))).isEqualTo(Errno.EBADF);
        assertThat(errno(() -> kq.kevent(null, new KEvent[4], null))).isEqualTo(Errno.EBADF);
        assertThat(errno(() -> kq.kevent(null, new KEvent[4], Duration.ofMillis(-1)))).as("the descriptor before the timeout")
                .isEqualTo(Errno.EBADF);
        assertThat(errno(() -> kq.kevent(new KEvent[] {user(1, EV_ADD)}, null, Duration.ZERO))).isEqualTo(Errno.EBADF);
        assertThat(errno(() -> kq.kevent(new KEventList(1), new KEventList(4), 0))).isEqualTo(Errno.EBADF);
        assertThat(errno(() -> kq.kevent(new KEventList(1), new KEventList(4), -1))).isEqualTo(Errno.EBADF);
    }

    @Test
    void negativeTimeoutIsEinval() {
        assertThat(errno(() -> kq.kevent(null, new KEvent[1], Duration.ofNanos(-1)))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> kq.kevent(null, new KEvent[1], Duration.ofSeconds(-5)))).isEqualTo(Errno.EINVAL);
    }

    @Test
    void negativeTimeoutFailsTheScanAfterTheChangesWereApplied() throws Exception {
        // seed: kqueue_kevent applies the changes, then kqueue_scan rejects the timespec
        assertThat(errno(() -> kq.kevent(new KEvent[] {user(1, EV_ADD | EV_CLEAR), trigger(1)}, new KEvent[2],
                Duration.ofMillis(-1)))).isEqualTo(Errno.EINVAL);
        assertThat(poll(kq)).extracting(KEvent::ident).containsExactly(1L);
    }

    @Test
    void negativeTimeoutWithAFailingChangeReturnsTheErrorEntry() throws Exception {
        // seed: with error entries kqueue_kevent returns before kqueue_scan looks at the timeout
        KEvent[] out = new KEvent[2];
        assertThat(kq.kevent(new KEvent[] {user(2, EV_DELETE)}, out, Duration.ofSeconds(-1))).isEqualTo(1);
        assertThat(out[0].flags()).isEqualTo(EV_ERROR);
        assertThat(out[0].data()).isEqualTo(Errno.ENOENT.code());
    }

    @Test
    void nullTimeoutWaitsForAnEvent() throws Exception {
        apply(kq, user(50, EV_ADD | EV_CLEAR));
        Background<Void> triggering = onceThisThreadBlocks(() -> apply(kq, trigger(50)));
        KEvent[] out = new KEvent[2];
        int n = kq.kevent(null, out, null);
        triggering.get();
        assertThat(n).isEqualTo(1);
        assertThat(out[0].ident()).isEqualTo(50);
    }

    @Test
    void zeroTimeoutPolls() throws Exception {
        assertThat(kq.kevent(null, new KEvent[4], Duration.ZERO)).isZero();
        KEventList ev = new KEventList(4);
        assertThat(kq.kevent(new KEventList(0), ev, 0)).isZero();
        assertThat(ev.size()).isZero();
    }

    @Test
    void aShortTimeoutExpiresWithZeroEvents() throws Exception {
        assertThat(kq.kevent(null, new KEvent[4], Duration.ofMillis(30))).isZero();
        assertThat(kq.kevent(new KEventList(0), new KEventList(4), 30_000_000L)).isZero();
    }

    /** A timeout that ends before the scan first looks at epoll still sees what a poll would. */
    @Test
    void aTimeoutThatEndsAtOnceStillReportsAReadyDescriptor() throws Exception {
        java.nio.channels.Pipe p = java.nio.channels.Pipe.open();
        try {
            p.sink().write(java.nio.ByteBuffer.wrap(new byte[2]));
            KEventList changes = new KEventList(1);
            changes.add(Fd.of(p.source()), EVFILT_READ, EV_ADD, 0, 0, null);
            KEventList ev = new KEventList(4);
            assertThat(kq.kevent(changes, ev, 1)).as("the pipe, readable since before the call").isEqualTo(1);
            assertThat(ev.data(0)).isEqualTo(2);
            assertThat(kq.kevent(null, new KEvent[4], Duration.ofNanos(1))).isEqualTo(1);
        } finally {
            p.source().close();
            p.sink().close();
        }
    }

    @Test
    void hugeTimeoutIsAcceptedWhenAnEventIsPending() throws Exception {
        apply(kq, user(51, EV_ADD), trigger(51));
        assertThat(kq.kevent(null, new KEvent[1], Duration.ofSeconds(Long.MAX_VALUE))).isEqualTo(1);
        assertThat(kq.kevent(new KEventList(0), new KEventList(1), Long.MAX_VALUE)).isEqualTo(1);
    }

    @Test
    void noEventsArrayMeansNoScan() throws Exception {
        apply(kq, user(52, EV_ADD | EV_CLEAR), trigger(52));
        // nevents 0 with a null timeout must not block (no scan happens)
        assertThat(kq.kevent(null, null, null)).isZero();
        assertThat(kq.kevent(new KEvent[0], new KEvent[0], null)).isZero();
        assertThat(kq.kevent(new KEventList(0), new KEventList(0), -1)).isZero();
        assertThat(poll(kq)).extracting(KEvent::ident).containsExactly(52L);
    }

    @Test
    void levelTriggeredKnoteIsReportedAgain() throws Exception {
        apply(kq, user(60, EV_ADD), trigger(60));
        for (int i = 0; i < 5; i++) {
            assertThat(poll(kq)).extracting(KEvent::ident).containsExactly(60L);
        }
    }

    @Test
    void aScanNeverReturnsOneKnoteTwice() throws Exception {
        apply(kq, user(61, EV_ADD), user(62, EV_ADD), user(63, EV_ADD),
                trigger(61), trigger(62), trigger(63));
        for (int i = 0; i < 3; i++) {
            List<KEvent> got = poll(kq, 32);
            assertThat(got).extracting(KEvent::ident).containsExactlyInAnyOrder(61L, 62L, 63L);
        }
    }

    @Test
    void disabledAndDeletedKnotesAreNeverReturned() throws Exception {
        apply(kq, user(64, EV_ADD), user(65, EV_ADD), user(66, EV_ADD),
                trigger(64), trigger(65), trigger(66));
        apply(kq, user(64, EV_DISABLE), user(65, EV_DELETE));
        assertThat(poll(kq)).extracting(KEvent::ident).containsExactly(66L);
    }

    @Test
    void eventsBeyondNeventsWaitForTheNextCall() throws Exception {
        int total = 10;
        for (int i = 0; i < total; i++) {
            apply(kq, user(100 + i, EV_ADD | EV_CLEAR), trigger(100 + i));
        }
        java.util.Set<Long> seen = new java.util.HashSet<>();
        for (int round = 0; round < 4; round++) {
            for (KEvent e : poll(kq, 3)) {
                assertThat(seen.add(e.ident())).isTrue();
            }
        }
        assertThat(seen).hasSize(total);
        assertNoEvents(kq);
    }

    @Test
    void keventListOverload() throws Exception {
        KEventList changes = new KEventList(2);
        for (int i = 0; i < 6; i++) {
            changes.add(200 + i, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, "u" + i);
            changes.add(200 + i, EVFILT_USER, 0, NOTE_TRIGGER | NOTE_FFCOPY | i, i * 10L, "u" + i);
        }
        KEventList events = new KEventList(4);
        events.add(0, 0, 0, 0, 0, null); // a stale size that the call must overwrite
        assertThat(kq.kevent(changes, events, 0)).isEqualTo(4);
        assertThat(events.size()).isEqualTo(4);
        assertThat(events.capacity()).isEqualTo(4);
        java.util.Set<Long> seen = new java.util.HashSet<>();
        for (int i = 0; i < events.size(); i++) {
            long id = events.ident(i);
            int k = (int) (id - 200);
            assertThat(events.filter(i)).isEqualTo(EVFILT_USER);
            assertThat(events.flags(i)).isEqualTo(EV_CLEAR);
            assertThat(events.fflags(i)).isEqualTo(k);
            assertThat(events.data(i)).isEqualTo(k * 10L);
            assertThat(events.udata(i)).isEqualTo("u" + k);
            assertThat(events.get(i)).isEqualTo(new KEvent(id, EVFILT_USER, EV_CLEAR, k, k * 10L, "u" + k));
            seen.add(id);
        }
        changes.clear();
        assertThat(kq.kevent(changes, events, 0)).isEqualTo(2);
        assertThat(events.size()).isEqualTo(2);
        seen.add(events.ident(0));
        seen.add(events.ident(1));
        assertThat(seen).hasSize(6);
        assertThat(kq.kevent(changes, events, 0)).isZero();
        assertThat(events.size()).isZero();
    }

    @Test
    void keventListErrorsAreEntriesToo() throws Exception {
        KEventList changes = new KEventList(4);
        changes.add(7, EVFILT_USER, EV_DELETE, 0, 0, null);
        changes.add(8, EVFILT_USER, EV_ADD | EV_RECEIPT, 0, 0, null);
        KEventList events = new KEventList(4);
        assertThat(kq.kevent(changes, events, -1)).isEqualTo(2);
        assertThat(events.size()).isEqualTo(2);
        assertThat(events.flags(0)).isEqualTo(EV_ERROR);
        assertThat(events.data(0)).isEqualTo(Errno.ENOENT.code());
        assertThat(events.ident(1)).isEqualTo(8);
        assertThat(events.data(1)).isZero();
        KQueueException e = catchThrowableOfType(KQueueException.class,
                () -> kq.kevent(changes, new KEventList(0), 0));
        assertThat(e).isNotNull();
        assertThat(e.errno()).isEqualTo(Errno.ENOENT);
    }

    @Test
    void closeIsIdempotentAndIsOpenFollowsIt() {
        assertThat(kq.isOpen()).isTrue();
        assertThat(kq.fd()).isNotNegative();
        kq.close();
        assertThat(kq.isOpen()).isFalse();
        kq.close();
        kq.close();
        assertThat(kq.isOpen()).isFalse();
    }

    @Test
    void eachKqueueHasItsOwnDescriptor(KQueue a, KQueue b) throws Exception {
        assertThat(a.fd()).isNotEqualTo(b.fd()).isNotEqualTo(kq.fd());
    }

    @Test
    void closeReleasesTheDescriptor() throws Exception {
        KQueue.open().close();
        int before = openFds();
        for (int i = 0; i < 50; i++) {
            KQueue k = KQueue.open();
            apply(k, user(1, EV_ADD), trigger(1), timer(2, EV_ADD, 0, 1000));
            k.close();
        }
        assertThat(awaitOpenFds(before)).isEqualTo(before);
    }

    private interface Call {
        void run() throws Exception;
    }

    private static Errno errno(Call c) {
        KQueueException e = catchThrowableOfType(KQueueException.class, c::run);
        assertThat(e).as("KQueueException expected").isNotNull();
        return e.errno();
    }
}
