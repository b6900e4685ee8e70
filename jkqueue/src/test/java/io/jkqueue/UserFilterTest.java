package io.jkqueue;

import static io.jkqueue.KEvent.*;
import static io.jkqueue.Kq.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** EVFILT_USER: kqueue_register plus filt_userattach / filt_user / filt_usertouch of the seed. */
@ExtendWith(KqExtension.class)
class UserFilterTest {
    private final KQueue kq;

    UserFilterTest(KQueue kq) {
        this.kq = kq;
    }

    @Test
    void addThenDeleteReportsNothingAndSecondDeleteIsEnoent() throws Exception {
        apply(kq, user(1, EV_ADD));
        assertNoEvents(kq);
        apply(kq, user(1, EV_DELETE));
        assertNoEvents(kq);
        assertThat(applyFails(kq, user(1, EV_DELETE))).isEqualTo(Errno.ENOENT);
    }

    @Test
    void triggerWithoutKnoteIsEnoent() {
        assertThat(applyFails(kq, trigger(77))).isEqualTo(Errno.ENOENT);
    }

    @Test
    void triggerDeliversOnceWithClear() throws Exception {
        Object u = "cookie";
        apply(kq, user(1, EV_ADD | EV_CLEAR, 0, 0, u));
        assertNoEvents(kq);
        apply(kq, user(1, 0, NOTE_TRIGGER, 0, u));

        KEvent e = one(kq);
        assertThat(e.ident()).isEqualTo(1);
        assertThat(e.filter()).isEqualTo(EVFILT_USER);
        // EV_ADD and the other action bits are stripped from kn_kevent.flags
        assertThat(e.flags()).isEqualTo(EV_CLEAR);
        assertThat(e.fflags()).isZero();
        assertThat(e.data()).isZero();
        assertThat(e.udata()).isSameAs(u);

        assertNoEvents(kq);
    }

    @Test
    void severalTriggersBeforeDeliveryCoalesceIntoOneEvent() throws Exception {
        apply(kq, user(2, EV_ADD | EV_CLEAR));
        for (int i = 0; i < 10; i++) {
            apply(kq, trigger(2));
        }
        List<KEvent> got = poll(kq);
        assertThat(got).hasSize(1);
        assertThat(got.get(0).ident()).isEqualTo(2);
        assertNoEvents(kq);
    }

    @Test
    void addWithNoteTriggerDoesNotFire() throws Exception {
        // seed: kqueue_register zeroes kev->fflags before copying it into kn_kevent, so
        // filt_userattach never sees NOTE_TRIGGER in kn_fflags; only a later touch triggers.
        apply(kq, user(3, EV_ADD | EV_CLEAR, NOTE_TRIGGER, 0, null));
        assertNoEvents(kq);
        apply(kq, trigger(3));
        assertThat(poll(kq)).hasSize(1);
    }

    @Test
    void withoutClearTheTriggeredKnoteIsReportedAgainAtEveryScan() throws Exception {
        apply(kq, user(4, EV_ADD));
        apply(kq, trigger(4));
        for (int i = 0; i < 3; i++) {
            List<KEvent> got = poll(kq);
            assertThat(got).as("scan %d", i).hasSize(1);
            assertThat(got.get(0).ident()).isEqualTo(4);
            assertThat(got.get(0).flags()).isZero();
        }
        apply(kq, user(4, EV_DELETE));
        assertNoEvents(kq);
    }

    @Test
    void modifyWithEvClearResetsATriggeredKnote() throws Exception {
        // filt_usertouch EVENT_REGISTER: EV_CLEAR in the change resets kn_hookid
        apply(kq, user(5, EV_ADD));
        apply(kq, trigger(5));
        apply(kq, user(5, EV_CLEAR));
        assertNoEvents(kq);
    }

    static Stream<Arguments> fflagsControls() {
        return Stream.of(
                arguments("NOTE_FFCOPY replaces the low 24 bits", NOTE_FFCOPY, 0xAA, 0xBB, 0xBB),
                arguments("NOTE_FFAND ands into the stored fflags", NOTE_FFAND, 0x0F, 0x0C, 0x0C),
                arguments("NOTE_FFOR ors into the stored fflags", NOTE_FFOR, 0x01, 0x06, 0x07),
                arguments("NOTE_FFNOP ignores the low bits", NOTE_FFNOP, 0x42, 0xFF, 0x42));
    }

    /** filt_usertouch: fflags stored by NOTE_FFCOPY, then {@code ctrl} with {@code operand} and NOTE_TRIGGER. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("fflagsControls")
    void fflagsControl(String what, int ctrl, int stored, int operand, int expected) throws Exception {
        apply(kq, user(10, EV_ADD | EV_CLEAR));
        apply(kq, user(10, 0, NOTE_FFCOPY | stored, 0, null));
        assertNoEvents(kq); // no NOTE_TRIGGER: stores fflags only
        apply(kq, user(10, 0, ctrl | NOTE_TRIGGER | operand, 0, null));
        assertThat(one(kq).fflags()).isEqualTo(expected);
    }

    @Test
    void onlyTheLow24BitsAreStored() throws Exception {
        apply(kq, user(14, EV_ADD | EV_CLEAR));
        apply(kq, user(14, 0, NOTE_FFCOPY | NOTE_TRIGGER | 0x01ffffff, 0, null));
        KEvent e = one(kq);
        assertThat(e.fflags()).isEqualTo(NOTE_FFLAGSMASK);
    }

    @Test
    void ffcontrolOnEvAddIsMaskedOutOfTheLowBits() throws Exception {
        // seed: a new knote stores kev->fflags raw in kn_sfflags (no masking on attach), so only
        // the low 24 bits are compared here, as libkqueue's tests do.
        apply(kq, user(15, EV_ADD | EV_CLEAR, NOTE_FFCOPY | 0x0F, 0, null));
        apply(kq, user(15, 0, NOTE_FFOR | NOTE_TRIGGER | 0x30, 0, null));
        assertThat(one(kq).fflags() & NOTE_FFLAGSMASK).isEqualTo(0x3F);
    }

    @Test
    void forTriggersAccumulateAndStoredFflagsSurviveDelivery() throws Exception {
        apply(kq, user(16, EV_ADD | EV_CLEAR));
        apply(kq, user(16, 0, NOTE_FFOR | NOTE_TRIGGER | 0x1, 0, null));
        apply(kq, user(16, 0, NOTE_FFOR | NOTE_TRIGGER | 0x2, 0, null));
        apply(kq, user(16, 0, NOTE_FFOR | NOTE_TRIGGER | 0x4, 0, null));
        assertThat(one(kq).fflags()).isEqualTo(0x7);
        assertNoEvents(kq);
        // EVENT_PROCESS with EV_CLEAR resets kn_fflags but reports kn_sfflags, which stays
        apply(kq, user(16, 0, NOTE_FFNOP | NOTE_TRIGGER, 0, null));
        assertThat(one(kq).fflags()).isEqualTo(0x7);
    }

    @Test
    void dataIsTheDataOfTheLastChange() throws Exception {
        apply(kq, user(20, EV_ADD | EV_CLEAR));
        apply(kq, user(20, 0, NOTE_TRIGGER, 42, null));
        assertThat(one(kq).data()).isEqualTo(42);
        apply(kq, user(20, 0, NOTE_TRIGGER, 1L << 40, null));
        assertThat(one(kq).data()).isEqualTo(1L << 40);
        // every touch sets kn_sdata, also one without NOTE_TRIGGER
        apply(kq, user(20, 0, NOTE_TRIGGER, 7, null));
        apply(kq, user(20, 0, 0, -3, null));
        assertThat(one(kq).data()).isEqualTo(-3);
    }

    @Test
    void oneshotIsDeliveredOnceThenDeleted() throws Exception {
        apply(kq, user(30, EV_ADD | EV_ONESHOT, 0, 0, "u"));
        assertNoEvents(kq);
        apply(kq, user(30, 0, NOTE_TRIGGER, 0, "u"));
        KEvent e = one(kq);
        assertThat(e.ident()).isEqualTo(30);
        assertThat(e.flags() & EV_ONESHOT).isEqualTo(EV_ONESHOT);
        assertThat(e.udata()).isEqualTo("u");
        assertNoEvents(kq);
        assertThat(applyFails(kq, trigger(30))).isEqualTo(Errno.ENOENT);
        assertThat(applyFails(kq, user(30, EV_DELETE))).isEqualTo(Errno.ENOENT);
    }

    @Test
    void oneshotReportsTheKnotesKeventNotTheTouchedFflags() throws Exception {
        // seed: kqueue_scan copies kn_kevent for EV_ONESHOT without calling f_touch, so
        // fflags/data are kn_fflags/kn_data (0), not kn_sfflags/kn_sdata.
        apply(kq, user(31, EV_ADD | EV_ONESHOT));
        apply(kq, user(31, 0, NOTE_FFCOPY | NOTE_TRIGGER | 0x5, 9, null));
        KEvent e = one(kq);
        assertThat(e.flags()).isEqualTo(EV_ONESHOT);
        assertThat(e.fflags()).isZero();
        assertThat(e.data()).isZero();
    }

    @Test
    void dispatchDisablesAfterDeliveryAndEnableReReportsAHeldCondition() throws Exception {
        apply(kq, user(40, EV_ADD | EV_DISPATCH));
        apply(kq, trigger(40));
        KEvent e = one(kq);
        assertThat(e.flags()).isEqualTo(EV_DISPATCH);
        assertNoEvents(kq); // disabled now
        apply(kq, trigger(40));
        assertNoEvents(kq); // still disabled
        // no EV_CLEAR: kn_hookid is still 1, so EV_ENABLE re-reports
        apply(kq, user(40, EV_ENABLE));
        e = one(kq);
        assertThat(e.ident()).isEqualTo(40);
        assertThat(e.flags()).isEqualTo(EV_DISPATCH);
        assertNoEvents(kq);
    }

    @Test
    void dispatchWithClearNeedsANewTriggerAfterEnable() throws Exception {
        apply(kq, user(41, EV_ADD | EV_CLEAR | EV_DISPATCH));
        apply(kq, trigger(41));
        assertThat(one(kq).flags()).isEqualTo(EV_CLEAR | EV_DISPATCH);
        assertNoEvents(kq);
        apply(kq, user(41, EV_ENABLE));
        assertNoEvents(kq);
        apply(kq, trigger(41));
        assertThat(one(kq).flags()).isEqualTo(EV_CLEAR | EV_DISPATCH);
        assertNoEvents(kq);
        // EV_ENABLE and NOTE_TRIGGER in one change
        apply(kq, user(41, EV_ENABLE, NOTE_TRIGGER, 0, null));
        assertThat(one(kq).flags()).isEqualTo(EV_CLEAR | EV_DISPATCH);
        // EV_DISABLE/EV_ENABLE cycle keeps EV_DISPATCH
        apply(kq, user(41, EV_DISABLE), user(41, EV_ENABLE), trigger(41));
        assertThat(one(kq).flags()).isEqualTo(EV_CLEAR | EV_DISPATCH);
        assertNoEvents(kq);
    }

    @Test
    void disabledKnoteIsNotReportedAndEnableReportsATriggerThatCameMeanwhile() throws Exception {
        apply(kq, user(50, EV_ADD | EV_CLEAR));
        apply(kq, user(50, EV_DISABLE));
        apply(kq, trigger(50));
        assertNoEvents(kq);
        // seed: the touch set kn_hookid although disabled; EV_ENABLE runs f_event and queues it
        apply(kq, user(50, EV_ENABLE));
        assertThat(one(kq).ident()).isEqualTo(50);
        assertNoEvents(kq);
    }

    @Test
    void disableAfterTriggerHidesThePendingEventUntilEnable() throws Exception {
        apply(kq, user(51, EV_ADD | EV_CLEAR));
        apply(kq, trigger(51));
        apply(kq, user(51, EV_DISABLE));
        assertNoEvents(kq);
        assertNoEvents(kq);
        apply(kq, user(51, EV_ENABLE));
        assertThat(poll(kq)).extracting(KEvent::ident).containsExactly(51L);
    }

    @Test
    void deleteDropsAPendingTrigger() throws Exception {
        apply(kq, user(52, EV_ADD | EV_CLEAR));
        apply(kq, trigger(52));
        apply(kq, user(52, EV_DELETE));
        assertNoEvents(kq);
        apply(kq, user(52, EV_ADD | EV_CLEAR));
        assertNoEvents(kq); // a new knote starts untriggered
    }

    @Test
    void receiptAnswersEveryChangeWithEvErrorAndDataZero() throws Exception {
        KEvent[] out = new KEvent[4];
        int n = kq.kevent(new KEvent[] {user(60, EV_ADD | EV_CLEAR | EV_RECEIPT)}, out, WAIT);
        assertThat(n).isEqualTo(1);
        assertThat(out[0].ident()).isEqualTo(60);
        assertThat(out[0].filter()).isEqualTo(EVFILT_USER);
        assertThat(out[0].flags()).isEqualTo(EV_ERROR);
        assertThat(out[0].data()).isZero();
        // EV_RECEIPT stays in kn_flags and is reported with the event
        apply(kq, trigger(60));
        KEvent e = one(kq);
        assertThat(e.flags()).isEqualTo(EV_CLEAR | EV_RECEIPT);
    }

    @Test
    void receiptOnATriggerAlsoAnswersWithoutScanning() throws Exception {
        apply(kq, user(61, EV_ADD | EV_CLEAR), user(62, EV_ADD | EV_CLEAR));
        apply(kq, trigger(62));
        KEvent[] out = new KEvent[4];
        int n = kq.kevent(new KEvent[] {user(61, EV_RECEIPT, NOTE_TRIGGER, 0, null)}, out, WAIT);
        assertThat(n).isEqualTo(1);
        assertThat(out[0].ident()).isEqualTo(61);
        assertThat(out[0].flags()).isEqualTo(EV_ERROR);
        assertThat(out[0].data()).isZero();
        assertThat(poll(kq)).extracting(KEvent::ident).containsExactlyInAnyOrder(61L, 62L);
    }

    @Test
    void forceOneshotFiresAnUntriggeredKnoteOnceAndDeletesIt() throws Exception {
        apply(kq, user(70, EV_ADD | EV_CLEAR));
        assertNoEvents(kq);
        apply(kq, user(70, EV_FORCEONESHOT));
        KEvent e = one(kq);
        assertThat(e.ident()).isEqualTo(70);
        assertThat(e.flags() & EV_ONESHOT).isEqualTo(EV_ONESHOT);
        assertThat(e.flags() & EV_FORCEONESHOT).isZero();
        assertNoEvents(kq);
        assertThat(applyFails(kq, user(70, EV_DELETE))).isEqualTo(Errno.ENOENT);
    }

    @Test
    void forceOneshotOnADisabledKnoteWaitsForEnable() throws Exception {
        // seed: KNOTE_ACTIVATE marks it active but does not queue a disabled knote
        apply(kq, user(72, EV_ADD | EV_CLEAR | EV_DISABLE));
        apply(kq, user(72, EV_FORCEONESHOT));
        assertNoEvents(kq);
        apply(kq, user(72, EV_ENABLE));
        KEvent e = one(kq);
        assertThat(e.ident()).isEqualTo(72);
        assertThat(e.flags() & EV_ONESHOT).isEqualTo(EV_ONESHOT);
        assertThat(applyFails(kq, user(72, EV_DELETE))).isEqualTo(Errno.ENOENT);
    }

    @Test
    void addDisabledKeepsTriggersUntilEnable() throws Exception {
        apply(kq, user(73, EV_ADD | EV_CLEAR | EV_DISABLE));
        apply(kq, trigger(73));
        assertNoEvents(kq);
        apply(kq, user(73, EV_ENABLE));
        assertThat(one(kq).flags()).isEqualTo(EV_CLEAR);
        assertNoEvents(kq);
    }

    @Test
    void reAddWithDisableDisablesAnExistingKnote() throws Exception {
        apply(kq, user(74, EV_ADD));
        apply(kq, user(74, EV_ADD | EV_DISABLE), trigger(74));
        assertNoEvents(kq);
        apply(kq, user(74, EV_ADD | EV_ENABLE));
        assertThat(one(kq).ident()).isEqualTo(74);
    }

    @Test
    void forceOneshotOnMissingKnoteIsEnoent() {
        assertThat(applyFails(kq, user(71, EV_FORCEONESHOT))).isEqualTo(Errno.ENOENT);
    }

    @Test
    void reAddReplacesUdataAndKeepsState() throws Exception {
        apply(kq, user(80, EV_ADD | EV_CLEAR, 0, 0, "first"));
        apply(kq, user(80, 0, NOTE_TRIGGER, 0, "first"));
        apply(kq, user(80, EV_ADD, 0, 0, "second"));
        // the re-add does not reset a filter that already fired
        KEvent e = one(kq);
        assertThat(e.udata()).isEqualTo("second");
        assertThat(e.flags()).isEqualTo(EV_CLEAR);
    }

    @Test
    void reAddDoesNotChangeTheKnotesFlags() throws Exception {
        // seed: EV_ADD on an existing knote only touches it; kn_flags keep EV_CLEAR, no EV_ONESHOT
        apply(kq, user(81, EV_ADD | EV_CLEAR));
        apply(kq, user(81, EV_ADD | EV_ONESHOT));
        apply(kq, trigger(81));
        assertThat(one(kq).flags()).isEqualTo(EV_CLEAR);
        apply(kq, trigger(81));
        assertThat(one(kq).flags()).isEqualTo(EV_CLEAR);
    }

    @Test
    void everyModifyOverwritesUdata() throws Exception {
        apply(kq, user(82, EV_ADD | EV_CLEAR, 0, 0, "marker"));
        apply(kq, trigger(82)); // udata null
        assertThat(one(kq).udata()).isNull();
    }

    @Test
    void keepUdataKeepsTheKnotesUdata() throws Exception {
        // EV_KEEPUDATA is not in the seed revision; FreeBSD's kqueue(2): keep the existing udata
        apply(kq, user(83, EV_ADD | EV_CLEAR, 0, 0, "kept"));
        apply(kq, user(83, EV_KEEPUDATA, NOTE_TRIGGER, 0, "other"));
        assertThat(one(kq).udata()).isEqualTo("kept");
        apply(kq, user(83, EV_ADD | EV_KEEPUDATA, 0, 0, null));
        apply(kq, user(83, EV_KEEPUDATA, NOTE_TRIGGER, 0, null));
        assertThat(one(kq).udata()).isEqualTo("kept");
    }

    @Test
    void sameIdentInTwoKqueuesIsIndependent(KQueue other) throws Exception {
        apply(kq, user(90, EV_ADD | EV_CLEAR));
        apply(other, user(90, EV_ADD | EV_CLEAR));
        apply(kq, trigger(90));
        assertThat(one(kq).ident()).isEqualTo(90);
        assertNoEvents(other);
        apply(other, user(90, EV_DELETE));
        assertThat(applyFails(other, user(90, EV_DELETE))).isEqualTo(Errno.ENOENT);
        apply(kq, user(90, EV_DELETE));
    }

    @Test
    void sameIdentDifferentFiltersAreDifferentKnotes() throws Exception {
        apply(kq, user(91, EV_ADD | EV_CLEAR));
        apply(kq, timer(91, EV_ADD | EV_ONESHOT, 0, 3_600_000));
        apply(kq, user(91, EV_DELETE));
        // the timer knote with the same ident is still there
        apply(kq, timer(91, EV_DELETE, 0, 0));
        assertThat(applyFails(kq, timer(91, EV_DELETE, 0, 0))).isEqualTo(Errno.ENOENT);
    }

    @Test
    void largeIdentsWork() throws Exception {
        long big = Long.MAX_VALUE - 1;
        apply(kq, user(big, EV_ADD | EV_CLEAR), trigger(big));
        assertThat(one(kq).ident()).isEqualTo(big);
        apply(kq, user(-1L, EV_ADD | EV_CLEAR), trigger(-1L));
        assertThat(one(kq).ident()).isEqualTo(-1L);
    }

    @Test
    void triggerFromAnotherThreadWakesABlockedKevent() throws Exception {
        apply(kq, user(100, EV_ADD | EV_CLEAR));
        Background<Void> triggering = onceThisThreadBlocks(() -> apply(kq, trigger(100)));
        KEvent[] out = new KEvent[1];
        int n = kq.kevent(null, out, WAIT);
        triggering.get();
        assertThat(n).isEqualTo(1);
        assertThat(out[0].ident()).isEqualTo(100);
    }
}
