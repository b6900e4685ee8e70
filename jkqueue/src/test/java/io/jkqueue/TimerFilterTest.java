package io.jkqueue;

import static io.jkqueue.KEvent.*;
import static io.jkqueue.Kq.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * EVFILT_TIMER: filt_timerattach / filt_timervalidate / timer2sbintime / filt_timerexpire /
 * filt_timertouch of the seed. Only lower bounds on expiration counts are asserted, never timing.
 */
@ExtendWith(KqExtension.class)
class TimerFilterTest {
    private static final long HOUR_MS = 3_600_000;
    private final KQueue kq;

    TimerFilterTest(KQueue kq) {
        this.kq = kq;
    }

    /**
     * How many other timers (idents from 2^40, disabled, due in a
     * millisecond, so never reported) each scenario starts with.
     */
    int background() {
        return 0;
    }

    @BeforeEach
    void addBackground() throws Exception {
        KEvent[] others = new KEvent[background()];
        for (int i = 0; i < others.length; i++) {
            others[i] = timer((1L << 40) + i, EV_ADD | EV_ONESHOT | EV_DISABLE, 0, 1);
        }
        apply(kq, others);
    }

    /**
     * Waits until {@code k} has a queued event, without taking it: another kqueue watching
     * {@code k} reports when k's kq_count becomes non-zero (filt_kqueue).
     */
    private static void awaitPending(KQueue k) throws Exception {
        try (KQueue watcher = KQueue.open()) {
            apply(watcher, ev(k.fd(), EVFILT_READ, EV_ADD));
            assertThat(one(watcher).data()).as("pending events").isGreaterThanOrEqualTo(1);
        }
    }

    @Test
    void addAndDelete() throws Exception {
        apply(kq, timer(1, EV_ADD, 0, HOUR_MS));
        assertNoEvents(kq);
        apply(kq, timer(1, EV_DELETE, 0, 0));
        assertNoEvents(kq);
        assertThat(applyFails(kq, timer(1, EV_DELETE, 0, 0))).isEqualTo(Errno.ENOENT);
    }

    @Test
    void periodicTimerFiresRepeatedlyWithImpliedClear() throws Exception {
        apply(kq, ev(2, EVFILT_TIMER, EV_ADD, 0, 50, "u"));
        for (int i = 0; i < 3; i++) {
            KEvent e = one(kq);
            assertThat(e.ident()).isEqualTo(2);
            assertThat(e.filter()).isEqualTo(EVFILT_TIMER);
            // filt_timerattach sets EV_CLEAR for relative timers
            assertThat(e.flags()).isEqualTo(EV_CLEAR);
            assertThat(e.fflags()).isZero();
            assertThat(e.data()).isGreaterThanOrEqualTo(1);
            assertThat(e.udata()).isEqualTo("u");
        }
        apply(kq, timer(2, EV_DELETE, 0, 0));
    }

    @ParameterizedTest(name = "after {0} ms")
    @ValueSource(longs = {50, 0})   // 0: at once
    void oneshotFiresOnceWithDataOneAndIsDeleted(long ms) throws Exception {
        apply(kq, timer(3, EV_ADD | EV_ONESHOT, 0, ms));
        KEvent e = one(kq);
        assertThat(e.ident()).isEqualTo(3);
        assertThat(e.flags()).isEqualTo(EV_ONESHOT | EV_CLEAR);
        assertThat(e.data()).isEqualTo(1);
        assertThat(e.fflags()).isZero();
        assertThat(applyFails(kq, timer(3, EV_DELETE, 0, 0))).isEqualTo(Errno.ENOENT);
        assertThat(waitFor(kq, 4, Duration.ofMillis(300))).isEmpty();
    }

    /**
     * Timers on a kqueue that a thread polls for a ready descriptor (each
     * call answers at once, with the descriptor) fire, in deadline order,
     * never before their deadlines.
     */
    @Test
    void timersFireInOrderAndNeverEarlyWhileAReadyDescriptorIsPolled() throws Exception {
        java.nio.channels.Pipe p = java.nio.channels.Pipe.open();
        try {
            p.sink().write(java.nio.ByteBuffer.wrap(new byte[1]));
            apply(kq, ev(Fd.of(p.source()), EVFILT_READ, EV_ADD));
            long start = System.nanoTime();
            apply(kq, timer(23, EV_ADD | EV_ONESHOT, NOTE_USECONDS, 30_000),
                    timer(21, EV_ADD | EV_ONESHOT, NOTE_USECONDS, 10_000),
                    timer(22, EV_ADD | EV_ONESHOT, NOTE_USECONDS, 20_000));
            List<Long> fired = new java.util.ArrayList<>();
            long deadline = start + WAIT.toNanos();
            KEventList out = new KEventList(8);
            while (fired.size() < 3 && System.nanoTime() < deadline) {
                int n = kq.kevent(null, out, 0);
                long now = System.nanoTime();
                assertThat(n).as("the pipe is in every answer").isGreaterThanOrEqualTo(1);
                for (int i = 0; i < n; i++) {
                    if (out.filter(i) == EVFILT_TIMER) {
                        long ident = out.ident(i);
                        assertThat(now - start).as("timer %d fired no earlier than its deadline", ident)
                                .isGreaterThanOrEqualTo((ident - 20) * 10_000_000L);
                        fired.add(ident);
                    }
                }
            }
            assertThat(fired).containsExactly(21L, 22L, 23L);
        } finally {
            p.source().close();
            p.sink().close();
        }
    }

    /**
     * The changes of one kevent call share one clock read (Knote.uptime) and
     * the next call reads it again: a timer added after a pause counts its
     * delay from its own call, never from the earlier one.
     */
    @Test
    void aRelativeTimerCountsFromItsOwnCallNotAnEarlierOne() throws Exception {
        apply(kq, timer(24, EV_ADD | EV_ONESHOT, 0, HOUR_MS));   // a change list that read the clock
        Thread.sleep(150);
        long start = System.nanoTime();
        apply(kq, timer(25, EV_ADD | EV_ONESHOT, 0, 100));
        assertThat(one(kq).ident()).isEqualTo(25);
        assertThat(System.nanoTime() - start).as("ns from the second call to its timer").isGreaterThanOrEqualTo(100_000_000L);
    }

    @Test
    void eachUnitFires() throws Exception {
        apply(kq,
                timer(10, EV_ADD | EV_ONESHOT, NOTE_SECONDS, 1),
                timer(11, EV_ADD | EV_ONESHOT, NOTE_MSECONDS, 50),
                timer(12, EV_ADD | EV_ONESHOT, NOTE_USECONDS, 50_000),
                timer(13, EV_ADD | EV_ONESHOT, NOTE_NSECONDS, 50_000_000),
                timer(14, EV_ADD | EV_ONESHOT, 0, 50));
        java.util.Set<Long> seen = new java.util.HashSet<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (seen.size() < 5 && System.nanoTime() < deadline) {
            for (KEvent e : waitFor(kq, 8, WAIT)) {
                assertThat(e.data()).isEqualTo(1);
                assertThat(seen.add(e.ident())).as("ident %d reported once", e.ident()).isTrue();
            }
        }
        assertThat(seen).containsExactlyInAnyOrder(10L, 11L, 12L, 13L, 14L);
    }

    @Test
    void unitsAreHonouredForLongIntervals() throws Exception {
        // about 3 s in each unit (NSECONDS below 1 s: the seed converts >= 1e9 ns with US_TO_SBT): none may have fired right after the add (e.g. read as milliseconds)
        apply(kq,
                timer(20, EV_ADD, NOTE_SECONDS, 3),
                timer(21, EV_ADD, NOTE_USECONDS, 3_000_000),
                timer(22, EV_ADD, NOTE_NSECONDS, 999_999_999),
                timer(23, EV_ADD, NOTE_MSECONDS, 3_000));
        assertNoEvents(kq);
    }

    @Test
    void dataCountsExpirationsSinceLastDelivery() throws Exception {
        apply(kq, timer(30, EV_ADD, 0, 20));
        Thread.sleep(400); // let ~20 expirations accumulate
        KEvent e = one(kq);
        assertThat(e.data()).isGreaterThanOrEqualTo(2);
        apply(kq, timer(30, EV_DELETE, 0, 0));
    }

    @Test
    void reAddThrowsAwayPendingExpirations() throws Exception {
        apply(kq, timer(31, EV_ADD, 0, 10));
        awaitPending(kq); // expirations are now recorded and queued
        // filt_timertouch: dequeue, clear KN_ACTIVE and kn_data, restart with the new period
        apply(kq, timer(31, EV_ADD, 0, HOUR_MS));
        assertNoEvents(kq);
        apply(kq, timer(31, EV_DELETE, 0, 0));
    }

    @Test
    void reAddRestartsWithNewPeriodAndUdata() throws Exception {
        apply(kq, ev(32, EVFILT_TIMER, EV_ADD | EV_ONESHOT, NOTE_SECONDS, 3600, "old"));
        apply(kq, ev(32, EVFILT_TIMER, EV_ADD | EV_ONESHOT, NOTE_USECONDS, 1000, "new"));
        KEvent e = one(kq);
        assertThat(e.ident()).isEqualTo(32);
        assertThat(e.udata()).isEqualTo("new");
        assertThat(e.data()).isEqualTo(1);
        assertThat(e.fflags()).isZero();
    }

    @Test
    void reAddOfAnExpiredOneshotReportsOnlyTheNewExpiration() throws Exception {
        apply(kq, timer(33, EV_ADD | EV_ONESHOT, NOTE_USECONDS, 1000));
        awaitPending(kq); // the first expiration is recorded and queued now
        apply(kq, timer(33, EV_ADD | EV_ONESHOT, NOTE_MSECONDS, HOUR_MS));
        assertNoEvents(kq);
        apply(kq, timer(33, EV_ADD | EV_ONESHOT, NOTE_MSECONDS, 20));
        assertThat(one(kq).data()).isEqualTo(1);
        assertThat(waitFor(kq, 4, Duration.ofMillis(200))).isEmpty();
    }

    @Test
    void reAddPeriodicWithLongerPeriodStillPeriodic() throws Exception {
        apply(kq, timer(34, EV_ADD, 0, HOUR_MS));
        apply(kq, timer(34, EV_ADD, 0, 30));
        assertThat(one(kq).flags()).isEqualTo(EV_CLEAR);
        assertThat(one(kq).flags()).isEqualTo(EV_CLEAR);
        apply(kq, timer(34, EV_DELETE, 0, 0));
    }

    @Test
    void expirationsAccumulateWhileDisabledAndEnableReportsThem() throws Exception {
        apply(kq, timer(40, EV_ADD, 0, 20));
        apply(kq, timer(40, EV_DISABLE, 0, 0));
        Thread.sleep(300);
        assertNoEvents(kq);
        // seed: the callout keeps counting kn_data; EV_ENABLE runs filt_timer, which sees it
        apply(kq, timer(40, EV_ENABLE, 0, 0));
        KEvent e = one(kq);
        assertThat(e.data()).isGreaterThanOrEqualTo(2);
        apply(kq, timer(40, EV_DELETE, 0, 0));
    }

    @Test
    void modifyWhileDisabledResetsAndStaysDisabled() throws Exception {
        apply(kq, timer(41, EV_ADD, 0, 10));
        apply(kq, timer(41, EV_DISABLE, 0, 0));
        Thread.sleep(200);
        assertNoEvents(kq); // a scan while disabled: nothing reported, expirations keep counting
        apply(kq, timer(41, EV_ADD, 0, HOUR_MS)); // resets; EV_ADD does not enable
        apply(kq, timer(41, EV_ENABLE, 0, 0));
        assertNoEvents(kq); // what accumulated under the old parameters was thrown away
        apply(kq, timer(41, EV_DELETE, 0, 0));
    }

    @Test
    void reAddWhileDisabledDoesNotEnable() throws Exception {
        apply(kq, timer(42, EV_ADD, 0, HOUR_MS));
        apply(kq, timer(42, EV_DISABLE, 0, 0));
        apply(kq, timer(42, EV_ADD, 0, 20));
        assertThat(waitFor(kq, 4, Duration.ofMillis(300))).isEmpty();
        apply(kq, timer(42, EV_ENABLE, 0, 0));
        assertThat(one(kq).ident()).isEqualTo(42);
        apply(kq, timer(42, EV_DELETE, 0, 0));
    }

    @Test
    void disableThenEnableOneshot() throws Exception {
        apply(kq, timer(43, EV_ADD | EV_ONESHOT, 0, 100));
        apply(kq, timer(43, EV_DISABLE, 0, 0));
        assertNoEvents(kq);
        apply(kq, timer(43, EV_ENABLE, 0, 0));
        KEvent e = one(kq);
        assertThat(e.flags()).isEqualTo(EV_ONESHOT | EV_CLEAR);
        assertThat(e.data()).isEqualTo(1);
    }

    @Test
    void dispatchDisablesUntilEnable() throws Exception {
        apply(kq, timer(44, EV_ADD | EV_DISPATCH, 0, 20));
        KEvent e = one(kq);
        assertThat(e.flags()).isEqualTo(EV_CLEAR | EV_DISPATCH);
        assertThat(waitFor(kq, 4, Duration.ofMillis(200))).isEmpty();
        apply(kq, timer(44, EV_ENABLE, 0, 0));
        e = one(kq);
        assertThat(e.flags()).isEqualTo(EV_CLEAR | EV_DISPATCH);
        assertThat(e.data()).isGreaterThanOrEqualTo(1);
        apply(kq, timer(44, EV_DELETE, 0, 0));
    }

    @Test
    void zeroDataPeriodicIsTreatedAsOne() throws Exception {
        apply(kq, timer(50, EV_ADD, 0, 0));
        assertThat(one(kq).data()).isGreaterThanOrEqualTo(1);
        assertThat(one(kq).data()).isGreaterThanOrEqualTo(1); // still periodic
        apply(kq, timer(50, EV_DELETE, 0, 0));
    }

    @Test
    void negativeDataIsEinval() throws Exception {
        assertThat(applyFails(kq, timer(52, EV_ADD, 0, -1))).isEqualTo(Errno.EINVAL);
        assertThat(applyFails(kq, timer(52, EV_ADD | EV_ONESHOT, NOTE_SECONDS, -5))).isEqualTo(Errno.EINVAL);
        assertThat(applyFails(kq, timer(52, EV_ADD, NOTE_NSECONDS, Long.MIN_VALUE))).isEqualTo(Errno.EINVAL);
        // nothing was created
        assertThat(applyFails(kq, timer(52, EV_DELETE, 0, 0))).isEqualTo(Errno.ENOENT);
    }

    @Test
    void badFflagsAreEinval() throws Exception {
        assertThat(applyFails(kq, timer(53, EV_ADD, 0x100, 10))).isEqualTo(Errno.EINVAL);
        assertThat(applyFails(kq, timer(53, EV_ADD, NOTE_TRIGGER, 10))).isEqualTo(Errno.EINVAL);
        // two units at once: timer2sbintime has no case for them and returns -1
        assertThat(applyFails(kq, timer(53, EV_ADD, NOTE_SECONDS | NOTE_MSECONDS, 10))).isEqualTo(Errno.EINVAL);
        assertThat(applyFails(kq, timer(53, EV_ADD, NOTE_USECONDS | NOTE_NSECONDS, 10))).isEqualTo(Errno.EINVAL);
        assertThat(applyFails(kq, timer(53, EV_DELETE, 0, 0))).isEqualTo(Errno.ENOENT);
    }

    @Test
    void reAddWithInvalidDataReportsEvErrorThroughTheKnote() throws Exception {
        // seed: filt_timertouch does not fail the change; it sets EV_ERROR in kn_flags and
        // kn_data = error, and filt_timer then reports the knote (kn_data != 0)
        apply(kq, timer(54, EV_ADD, 0, HOUR_MS));
        apply(kq, timer(54, EV_ADD, 0, -1));
        KEvent e = one(kq);
        assertThat(e.ident()).isEqualTo(54);
        assertThat(e.flags() & EV_ERROR).isEqualTo(EV_ERROR);
        assertThat(e.data()).isEqualTo(Errno.EINVAL.code());
        apply(kq, timer(54, EV_DELETE, 0, 0));
    }

    @Test
    void longIntervalsDoNotOverflowIntoAnImmediateFire() throws Exception {
        apply(kq,
                timer(55, EV_ADD, NOTE_SECONDS, 2_000_000_000L),
                timer(56, EV_ADD, NOTE_MSECONDS, 2_000_000_000_000L),
                timer(57, EV_ADD, NOTE_USECONDS, 2_000_000_000_000_000L),
                timer(58, EV_ADD | EV_ONESHOT, NOTE_SECONDS, 1_000_000_000L));
        assertThat(waitFor(kq, 8, Duration.ofMillis(100))).isEmpty();
    }

    @Test
    void abstimeFiresAtWallClockTimeWithoutImpliedClear() throws Exception {
        long at = System.currentTimeMillis() + 200;
        apply(kq, ev(60, EVFILT_TIMER, EV_ADD, NOTE_ABSTIME | NOTE_MSECONDS, at, "abs"));
        KEvent e = one(kq);
        assertThat(e.ident()).isEqualTo(60);
        // seed: EV_CLEAR is only implied for relative timers
        assertThat(e.flags()).isEqualTo(0);
        assertThat(e.data()).isEqualTo(1);
        assertThat(e.udata()).isEqualTo("abs");
        // without EV_CLEAR kn_data stays 1, so the knote is level-triggered and reported again,
        // and an absolute timer does not re-arm, so data never grows
        KEvent again = one(kq);
        assertThat(again.ident()).isEqualTo(60);
        assertThat(again.data()).isEqualTo(1);
        apply(kq, timer(60, EV_DELETE, 0, 0));
        assertNoEvents(kq);
    }

    @Test
    void abstimeWithClearFiresOnce() throws Exception {
        long at = System.currentTimeMillis() + 100;
        apply(kq, timer(61, EV_ADD | EV_CLEAR, NOTE_ABSTIME, at)); // default unit ms
        KEvent e = one(kq);
        assertThat(e.flags()).isEqualTo(EV_CLEAR);
        assertThat(e.data()).isEqualTo(1);
        assertThat(waitFor(kq, 4, Duration.ofMillis(300))).isEmpty();
        apply(kq, timer(61, EV_DELETE, 0, 0));
    }

    @Test
    void abstimeOneshotInMicroseconds() throws Exception {
        long atUs = System.currentTimeMillis() * 1000 + 150_000;
        apply(kq, timer(62, EV_ADD | EV_ONESHOT, NOTE_ABSTIME | NOTE_USECONDS, atUs));
        KEvent e = one(kq);
        assertThat(e.flags()).isEqualTo(EV_ONESHOT);
        assertThat(e.data()).isEqualTo(1);
        assertThat(e.fflags()).isZero();
        assertThat(applyFails(kq, timer(62, EV_DELETE, 0, 0))).isEqualTo(Errno.ENOENT);
    }

    @Test
    void abstimeInSecondsInThePastFiresAtOnce() throws Exception {
        long atS = System.currentTimeMillis() / 1000 - 5;
        apply(kq, timer(63, EV_ADD | EV_ONESHOT, NOTE_ABSTIME | NOTE_SECONDS, atS));
        assertThat(one(kq).ident()).isEqualTo(63);
    }

    @Test
    void abstimeBeforeBootIsEinval() {
        // seed: filt_timervalidate subtracts the boot time; a negative result is EINVAL
        assertThat(applyFails(kq, timer(64, EV_ADD | EV_ONESHOT, NOTE_ABSTIME | NOTE_SECONDS, 1))).isEqualTo(Errno.EINVAL);
    }

    @Test
    void reAddFromRelativeToAbsolute() throws Exception {
        apply(kq, timer(65, EV_ADD | EV_ONESHOT, 0, HOUR_MS));
        apply(kq, timer(65, EV_ADD | EV_ONESHOT, NOTE_ABSTIME, System.currentTimeMillis() + 100));
        assertThat(one(kq).ident()).isEqualTo(65);
    }

    @Test
    void sameIdentInTwoKqueuesIsIndependent(KQueue other) throws Exception {
        apply(kq, timer(70, EV_ADD | EV_ONESHOT, 0, 20));
        apply(other, timer(70, EV_ADD | EV_ONESHOT, 0, HOUR_MS));
        assertThat(one(kq).ident()).isEqualTo(70);
        assertNoEvents(other);
        apply(other, timer(70, EV_DELETE, 0, 0));
    }

    @Test
    void deleteStopsAPeriodicTimer() throws Exception {
        apply(kq, timer(71, EV_ADD, 0, 10));
        one(kq);
        apply(kq, timer(71, EV_DELETE, 0, 0));
        assertThat(waitFor(kq, 4, Duration.ofMillis(200))).isEmpty();
    }

    @Test
    void calloutLimitIsEnomemAtTheDefault4096() throws Exception {
        int max = Integer.getInteger("jkqueue.kq_calloutmax", 4096);
        assertThat(max).isEqualTo(4096);
        KEventList changes = new KEventList(max - background());
        for (int i = 0; i < max - background(); i++) {
            changes.add(1000 + i, EVFILT_TIMER, EV_ADD, NOTE_SECONDS, 3600, null);
        }
        assertThat(kq.kevent(changes, new KEventList(0), 0)).isZero();
        assertThat(applyFails(kq, timer(999, EV_ADD, NOTE_SECONDS, 3600))).isEqualTo(Errno.ENOMEM);
        // the failed attach did not leave a knote
        assertThat(applyFails(kq, timer(999, EV_DELETE, 0, 0))).isEqualTo(Errno.ENOENT);
        // the limit is per JVM, not per kqueue
        try (KQueue other = KQueue.open()) {
            assertThat(applyFails(other, timer(1, EV_ADD, NOTE_SECONDS, 3600))).isEqualTo(Errno.ENOMEM);
            // with nevents > 0 it is an EV_ERROR entry
            KEvent[] out = new KEvent[1];
            assertThat(other.kevent(new KEvent[] {timer(1, EV_ADD, NOTE_SECONDS, 3600)}, out, WAIT)).isEqualTo(1);
            assertThat(out[0].flags()).isEqualTo(EV_ERROR);
            assertThat(out[0].data()).isEqualTo(Errno.ENOMEM.code());
        }
        apply(kq, timer(1000, EV_DELETE, 0, 0));
        apply(kq, timer(999, EV_ADD, NOTE_SECONDS, 3600));
        assertThat(applyFails(kq, timer(998, EV_ADD, NOTE_SECONDS, 3600))).isEqualTo(Errno.ENOMEM);
        // a re-add of an existing timer needs no new callout
        apply(kq, timer(999, EV_ADD, NOTE_SECONDS, 7200));
        // closing the kqueue releases all of them
        kq.close();
        try (KQueue other = KQueue.open()) {
            KEventList again = new KEventList(max);
            for (int i = 0; i < max; i++) {
                again.add(i, EVFILT_TIMER, EV_ADD, NOTE_SECONDS, 3600, null);
            }
            assertThat(other.kevent(again, new KEventList(0), 0)).isZero();
        }
    }

    @Test
    void deliveredOneshotsGiveBackTheirCalloutsAndIdents() throws Exception {
        // the scan drops a one-shot timer as it hands it out: the second pass needs every callout of the first
        int n = Integer.getInteger("jkqueue.kq_calloutmax", 4096) - background();
        KEventList changes = new KEventList(n);
        KEventList events = new KEventList(256);
        for (int pass = 0; pass < 2; pass++) {
            changes.clear();
            for (int i = 0; i < n; i++) {
                changes.add(i, EVFILT_TIMER, EV_ADD | EV_ONESHOT, NOTE_USECONDS, 1 + i % 2_000, null);
            }
            assertThat(kq.kevent(changes, new KEventList(0), 0)).isZero();
            java.util.BitSet seen = new java.util.BitSet();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (seen.cardinality() < n && System.nanoTime() < deadline) {
                int got = kq.kevent(new KEventList(0), events, Duration.ofSeconds(1).toNanos());
                for (int i = 0; i < got; i++) {
                    assertThat(events.flags(i) & EV_ERROR).isZero();
                    assertThat(seen.get((int) events.ident(i))).as("ident %d twice", events.ident(i)).isFalse();
                    seen.set((int) events.ident(i));
                }
            }
            assertThat(seen.cardinality()).isEqualTo(n);
        }
        assertThat(applyFails(kq, timer(0, EV_DELETE, 0, 0))).isEqualTo(Errno.ENOENT);
        assertThat(applyFails(kq, timer(n - 1, EV_DELETE, 0, 0))).isEqualTo(Errno.ENOENT);
    }

    @Test
    void manyTimersAllFire() throws Exception {
        int n = 200;
        KEvent[] changes = new KEvent[n];
        for (int i = 0; i < n; i++) {
            changes[i] = timer(i, EV_ADD | EV_ONESHOT, 0, 10 + (i % 50));
        }
        apply(kq, changes);
        java.util.BitSet seen = new java.util.BitSet();
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (seen.cardinality() < n && System.nanoTime() < deadline) {
            List<KEvent> got = waitFor(kq, 64, WAIT);
            for (KEvent e : got) {
                assertThat(seen.get((int) e.ident())).isFalse();
                seen.set((int) e.ident());
            }
        }
        assertThat(seen.cardinality()).isEqualTo(n);
    }
}
