package io.jkqueue.core;

import io.jkqueue.Kq;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static io.jkqueue.core.Callwheel.CALLWHEEL_SIZE;
import static io.jkqueue.core.Callwheel.TICK_SHIFT;
import static io.jkqueue.core.Callwheel.WHEEL_MIN;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The callwheel on a clock of its own: every callout runs once, at or after
 * its deadline, in deadline order, and at the softclock that follows it,
 * whether it waited on the wheel or on the heap, across turns of the wheel.
 */
class CallwheelTest {
    private static final long TURN = (long) CALLWHEEL_SIZE << TICK_SHIFT;   // one turn of the wheel, ns
    private static final long MS = 1_000_000;

    private final Callwheel wheel = new Callwheel(new TimerRows(null));
    private final Map<KnoteImpl, Long> model = new HashMap<>();
    private long now = 1_000_000 * MS;

    private static KnoteImpl[] knotes(int n) {
        KnoteImpl[] kns = new KnoteImpl[n];
        for (int i = 0; i < n; i++) {
            kns[i] = new KnoteImpl(null);
            kns[i].ident = i;
        }
        return kns;
    }

    private void schedule(KnoteImpl kn, long deadline) {
        wheel.schedule(kn, deadline);
        model.put(kn, deadline);
    }

    private void remove(KnoteImpl kn) {
        wheel.remove(kn);
        model.remove(kn);
        assertThat(Callwheel.pending(kn)).isFalse();
    }

    /** softclock at {@code t}: what it runs, checked against the model; returns the knotes run, in order. */
    private List<KnoteImpl> runAt(long t) {
        now = t;
        List<KnoteImpl> ran = new ArrayList<>();
        long last = Long.MIN_VALUE;
        while (wheel.due(now)) {
            long deadline = wheel.earliest();
            KnoteImpl kn = wheel.pop();
            assertThat(deadline).as("none early").isLessThanOrEqualTo(now);
            assertThat(deadline).as("deadline order").isGreaterThanOrEqualTo(last);
            assertThat(model.remove(kn)).as("ran once, at its own deadline").isEqualTo(deadline);
            assertThat(Callwheel.pending(kn)).isFalse();
            last = deadline;
            ran.add(kn);
        }
        long earliestLeft = Long.MAX_VALUE;
        for (long d : model.values()) {
            earliestLeft = Math.min(earliestLeft, d);
        }
        assertThat(earliestLeft).as("everything due ran").isGreaterThan(now);
        assertThat(wheel.hasLive()).isEqualTo(!model.isEmpty());
        // the timerfd is armed at or before the earliest deadline left, and never for a time already handled
        assertThat(wheel.nextWake()).isLessThanOrEqualTo(earliestLeft);
        assertThat(wheel.wakeAt()).as("a sleep never ends before the earliest deadline").isGreaterThanOrEqualTo(wheel.nextWake());
        if (!model.isEmpty()) {
            assertThat(wheel.nextWake()).isGreaterThan(now);
        }
        return ran;
    }

    @Test
    void randomScheduleStopAndClockAgreeWithAModel() {
        Random rnd = new Random(Kq.seed(7));
        KnoteImpl[] kns = knotes(5_000);
        for (int step = 0; step < 200_000; step++) {
            KnoteImpl kn = kns[rnd.nextInt(kns.length)];
            int op = rnd.nextInt(100);
            if (op < 55) {
                long delay = switch (rnd.nextInt(10)) {
                    case 0 -> -rnd.nextInt(5_000) * MS;                    // already past
                    case 1 -> rnd.nextLong(3 * TURN);                      // later turns of the wheel
                    case 2 -> Long.MAX_VALUE - now;                        // never
                    default -> rnd.nextLong(2_000 * MS);
                };
                schedule(kn, now + delay);
            } else if (op < 75) {
                remove(kn);
            } else if (op < 99) {
                runAt(now + rnd.nextLong(3 * MS));
            } else {
                runAt(now + rnd.nextLong(2 * TURN));                        // a long sleep: whole turns pass
            }
        }
        model.values().removeIf(d -> d == Long.MAX_VALUE);
        for (KnoteImpl kn : kns) {
            if (!model.containsKey(kn)) {
                wheel.remove(kn);
            }
        }
        runAt(now + 4 * TURN);
        assertThat(model).isEmpty();
        assertThat(wheel.hasLive()).isFalse();
    }

    @Test
    void deadlinesAcrossTurnsOfTheWheelRunInTheirOwnTurn() {
        KnoteImpl[] kns = knotes(3 * WHEEL_MIN);
        // the same bucket, several turns apart, scheduled out of order
        for (int i = 0; i < kns.length; i++) {
            schedule(kns[i], now + ((kns.length - 1 - i) % 5) * TURN + 10 * MS + i);
        }
        assertThat(kns[kns.length - 1].calloutOnWheel).isTrue();
        int ran = 0;
        for (long t = now; ran < kns.length; t += TURN / 8) {
            ran += runAt(t).size();   // runAt checks that nothing ran early, late or twice
        }
        assertThat(model).isEmpty();
    }

    @Test
    void stopOnTheWheelAndOnTheHeap() {
        KnoteImpl[] kns = knotes(2 * WHEEL_MIN);
        for (KnoteImpl kn : kns) {
            schedule(kn, now + 500 * MS);
        }
        KnoteImpl far = kns[kns.length - 1];
        assertThat(far.calloutOnWheel).isTrue();
        KnoteImpl near = kns[0];
        assertThat(near.calloutPending).as("the first few stay on the heap").isTrue();
        remove(far);
        remove(near);
        assertThat(runAt(now + 600 * MS)).hasSize(kns.length - 2).doesNotContain(far, near);
    }

    @Test
    void rearmMovesACalloutBetweenWheelAndHeap() {
        KnoteImpl[] kns = knotes(2 * WHEEL_MIN);
        for (KnoteImpl kn : kns) {
            schedule(kn, now + TURN + 100 * MS);
        }
        runAt(now + 5 * MS);                   // the wheel's ticks move on
        KnoteImpl onWheel = kns[kns.length - 1];
        KnoteImpl onHeap = kns[0];
        assertThat(onWheel.calloutOnWheel).isTrue();
        assertThat(onHeap.calloutPending).isTrue();
        schedule(onWheel, now - MS);           // a tick softclock has passed: onto the heap
        assertThat(onWheel.calloutOnWheel).isFalse();
        assertThat(onWheel.calloutPending).isTrue();
        schedule(onHeap, now + 2 * TURN);      // a later turn: onto the wheel
        assertThat(onHeap.calloutOnWheel).isTrue();
        assertThat(onHeap.calloutPending).isFalse();
        assertThat(runAt(now)).containsExactly(onWheel);
        assertThat(runAt(now + TURN + 100 * MS)).hasSize(kns.length - 2).doesNotContain(onHeap);
        assertThat(runAt(now + TURN)).containsExactly(onHeap);
    }

    @Test
    void aDeadlineAtTheEndOfTimeNeverRunsAndCostsNoWakeups() {
        KnoteImpl[] kns = knotes(2 * WHEEL_MIN);
        for (KnoteImpl kn : kns) {
            schedule(kn, Long.MAX_VALUE);
        }
        for (int i = 0; i < 20; i++) {
            assertThat(runAt(now + TURN / 3)).isEmpty();
            assertThat(wheel.nextWake()).as("no wake-up for it").isGreaterThan(now + 1_000 * TURN);
        }
        for (KnoteImpl kn : kns) {
            remove(kn);
        }
        assertThat(wheel.hasLive()).isFalse();
        assertThat(wheel.nextWake()).isEqualTo(Long.MAX_VALUE);
        assertThat(wheel.wakeAt()).as("no callout: no wake-up, the precision not added").isEqualTo(Long.MAX_VALUE);
    }
}
