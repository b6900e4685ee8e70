package io.jkqueue;

import static io.jkqueue.KEvent.*;
import static io.jkqueue.Kq.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.BitSet;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * EVFILT_TIMER with enough timers pending that their callouts wait on the
 * kqueue's callwheel: a million of them, and the wheel's edges seen through
 * kevent (deadlines in the past and at the far end of time, a re-add that
 * moves a callout between the wheel and the near-term heap). Orders and
 * counts are asserted, never timing.
 */
@ExtendWith(KqExtension.class)
class TimerWheelTest {
    private static final int FAR_TIMERS = 200;   // enough for a wheel
    private static final long HOUR_S = 3600;
    private final KQueue kq;

    TimerWheelTest(KQueue kq) {
        this.kq = kq;
    }

    /**
     * Adds a million one-shot timers of 1 to 2 s and takes their events;
     * prints what it saw: how many fired, twice, before their deadline, or
     * after one whose deadline was surely later.
     */
    public static final class MillionChild {
        public static void main(String[] args) throws Exception {
            int n = Integer.parseInt(args[0]);
            int batch = 4096;
            long[] earliest = new long[n];   // each deadline lies in [earliest, latest] on System.nanoTime()'s clock
            long[] latest = new long[n];
            Random rnd = new Random(1);
            try (KQueue kq = KQueue.open()) {
                KEventList changes = new KEventList(batch);
                KEventList none = new KEventList(0);
                KEventList events = new KEventList(batch);
                long[] delayNanos = new long[batch];
                for (int base = 0; base < n; base += batch) {
                    changes.clear();
                    int end = Math.min(n, base + batch);
                    for (int i = base; i < end; i++) {
                        long us = 1_000_000 + rnd.nextInt(1_000_000);
                        delayNanos[i - base] = us * 1000;
                        changes.add(i, EVFILT_TIMER, EV_ADD | EV_ONESHOT, NOTE_USECONDS, us, null);
                    }
                    long before = System.nanoTime();
                    kq.kevent(changes, none, 0);
                    long after = System.nanoTime();
                    for (int i = base; i < end; i++) {
                        earliest[i] = before + delayNanos[i - base];
                        latest[i] = after + delayNanos[i - base];
                    }
                }
                BitSet seen = new BitSet(n);
                int twice = 0, early = 0, outOfOrder = 0, wrong = 0;
                long surelyPassed = Long.MIN_VALUE;   // the latest deadline known to have passed at an earlier event
                for (int got = 0; got < n; ) {
                    int k = kq.kevent(none, events, WAIT.toNanos());
                    if (k == 0) {
                        break;
                    }
                    long now = System.nanoTime();
                    for (int j = 0; j < k; j++) {
                        int id = (int) events.ident(j);
                        if (events.filter(j) != EVFILT_TIMER || events.data(j) != 1 || (events.flags(j) & EV_ERROR) != 0) {
                            wrong++;
                            continue;
                        }
                        if (seen.get(id)) {
                            twice++;
                        }
                        seen.set(id);
                        if (now < earliest[id]) {
                            early++;
                        }
                        if (latest[id] < surelyPassed) {
                            outOfOrder++;
                        }
                        surelyPassed = Math.max(surelyPassed, earliest[id]);
                    }
                    got += k;
                }
                System.out.println("fired " + seen.cardinality() + " twice " + twice + " early " + early
                        + " outOfOrder " + outOfOrder + " wrong " + wrong);
            }
        }
    }

    @Test
    void aMillionTimersFireEachOnceNoneEarlyInDeadlineOrder() throws Exception {
        int n = 1_000_000;
        List<String> out = ChildJvm.run(ChildJvm.javaCommand(
                List.of("-Djkqueue.kq_calloutmax=" + n, "-Xmx1g"), MillionChild.class, String.valueOf(n)));
        assertThat(out).containsExactly("fired " + n + " twice 0 early 0 outOfOrder 0 wrong 0");
    }

    private void addFarTimers() throws Exception {
        KEventList changes = new KEventList(FAR_TIMERS);
        for (int i = 0; i < FAR_TIMERS; i++) {
            changes.add(1000 + i, EVFILT_TIMER, EV_ADD, NOTE_SECONDS, HOUR_S + i, null);
        }
        assertThat(kq.kevent(changes, new KEventList(0), 0)).isZero();
    }

    @Test
    void abstimeInThePastFiresAtOnceAndAtTheEndOfTimeNeverAmongManyTimers() throws Exception {
        addFarTimers();
        long nowS = Instant.now().getEpochSecond();
        apply(kq, timer(1, EV_ADD | EV_ONESHOT, NOTE_ABSTIME | NOTE_SECONDS, nowS - 60),
                timer(2, EV_ADD, NOTE_ABSTIME | NOTE_SECONDS, Long.MAX_VALUE / 2),
                timer(3, EV_ADD, NOTE_ABSTIME | NOTE_SECONDS, nowS + 100 * 365 * 24 * HOUR_S));
        KEvent past = one(kq);
        assertThat(past.ident()).isEqualTo(1);
        assertThat(past.data()).isEqualTo(1);
        apply(kq, timer(4, EV_ADD | EV_ONESHOT, NOTE_MSECONDS, 50));
        assertThat(one(kq).ident()).as("only the 50 ms timer, not the far ones").isEqualTo(4);
        apply(kq, timer(2, EV_DELETE, 0, 0), timer(3, EV_DELETE, 0, 0));
        assertThat(applyFails(kq, timer(2, EV_DELETE, 0, 0))).isEqualTo(Errno.ENOENT);
    }

    @Test
    void reAddMovesATimerBetweenTheFarAndTheNearTerm() throws Exception {
        addFarTimers();
        long lastFar = 1000 + FAR_TIMERS - 1;   // added when the wheel was there: its callout is on the wheel
        // a far one made near fires; a near one made far does not
        apply(kq, timer(lastFar, EV_ADD, NOTE_MSECONDS, 20), timer(7, EV_ADD, NOTE_MSECONDS, 30));
        apply(kq, timer(7, EV_ADD, NOTE_SECONDS, HOUR_S));
        KEvent first = one(kq);
        assertThat(first.ident()).isEqualTo(lastFar);
        assertThat(first.data()).isGreaterThanOrEqualTo(1);
        apply(kq, timer(lastFar, EV_DELETE, 0, 0), timer(8, EV_ADD | EV_ONESHOT, NOTE_MSECONDS, 100));
        assertThat(one(kq).ident()).as("the sentinel, not the timer moved an hour away").isEqualTo(8);
        // a far one deleted while those around it stay, and one of them made near
        apply(kq, timer(lastFar - 1, EV_DELETE, 0, 0), timer(lastFar - 2, EV_ADD | EV_ONESHOT, NOTE_MSECONDS, 10));
        assertThat(one(kq).ident()).isEqualTo(lastFar - 2);
        assertThat(applyFails(kq, timer(lastFar - 1, EV_DELETE, 0, 0))).isEqualTo(Errno.ENOENT);
    }
}
