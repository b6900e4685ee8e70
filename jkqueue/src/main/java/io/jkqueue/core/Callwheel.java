package io.jkqueue.core;

import java.util.Arrays;

/**
 * A kqueue's pending callouts, kept as kern_timeout.c keeps them: a
 * callwheel of {@link #CALLWHEEL_SIZE} buckets of one tick (2^20 ns, about a
 * millisecond) each, a callout hashed into the bucket of its deadline's tick
 * and linked through its knote (c_links), so that scheduling and stopping
 * cost O(1) however many callouts are pending. softclock moves the callouts
 * of each tick that has passed onto a near-term {@link CalloutHeap}, which
 * runs them in exact deadline order: the wheel only decides when a callout
 * is looked at. Until its heap holds {@link #WHEEL_MIN} callouts a kqueue has
 * no wheel (a few callouts cost a few heap entries, not the wheel's arrays).
 * A bucket also holds rows of {@link TimerRows}, timers folded out of their
 * knotes: a row is revived into its knote when it leaves the wheel.
 * Guarded by the kq lock.
 */
final class Callwheel {
    static final int TICK_SHIFT = 20;
    static final int CALLWHEEL_SIZE = 4096;   // 4.3 s of ticks; a later deadline waits in its bucket for its turn
    private static final int CALLWHEEL_MASK = CALLWHEEL_SIZE - 1;
    static final int WHEEL_MIN = 64;
    /**
     * How late a wake-up for a callout may come (the c_precision of
     * callout_reset_sbt): by default Linux's timer slack, which every
     * sleeping Linux thread gets, so that callouts due within it are run by
     * one wake-up. 0 wakes at each deadline, as FreeBSD's EVFILT_TIMER does.
     */
    private static final long PRECISION = Math.max(0, Long.getLong("jkqueue.timer_slack_ns", 50_000));

    private final CalloutHeap near = new CalloutHeap();
    private final TimerRows rows;
    private KnoteImpl[] callwheel;   // bucket heads, null until the heap outgrows WHEEL_MIN
    private long[] bucketMin;        // per bucket: at or before its earliest deadline
    private long softTicks;          // cc_softticks: the first tick softclock has not looked at
    private long wheelNext = Long.MAX_VALUE;   // at or before the earliest deadline on the wheel
    private int onWheel;             // knotes and rows

    Callwheel(TimerRows rows) {
        this.rows = rows;
    }

    /** callout_reset: schedules {@code kn} at {@code deadline}, replacing its pending callout if any. */
    void schedule(KnoteImpl kn, long deadline) {
        if (kn.calloutOnWheel) {
            unlink(kn);
        }
        if (callwheel == null && near.live() >= WHEEL_MIN) {
            callwheel = new KnoteImpl[CALLWHEEL_SIZE];
            bucketMin = new long[CALLWHEEL_SIZE];
            Arrays.fill(bucketMin, Long.MAX_VALUE);
            softTicks = Math.min(deadline, near.earliest()) >> TICK_SHIFT;   // what the heap holds stays there
        }
        if (callwheel == null || deadline >> TICK_SHIFT < softTicks) {
            near.schedule(kn, deadline);   // a tick softclock has passed: straight onto the heap
            return;
        }
        near.remove(kn);
        int b = bucket(deadline);
        KnoteImpl first = callwheel[b];
        kn.calloutTime = deadline;
        kn.calloutOnWheel = true;
        kn.calloutPrev = null;
        kn.calloutNext = first;
        if (first != null) {
            first.calloutPrev = kn;
        }
        callwheel[b] = kn;
        linked(b, deadline);
    }

    /** Puts row {@code r} (see {@link TimerRows#fold}) in place of {@code kn}'s callout on the wheel. */
    void fold(KnoteImpl kn, int r) {
        assert kn.calloutOnWheel && rows.when(r) == kn.calloutTime : kn;
        unlink(kn);
        int b = bucket(rows.when(r));
        rows.link(r, b);
        linked(b, rows.when(r));
    }

    /** The knote row {@code r} holds, its callout back in place of the row's (see {@link TimerRows#revive}). */
    KnoteImpl revive(int r) {
        long deadline = rows.when(r);
        unlinkRow(r);
        KnoteImpl kn = rows.revive(r);
        schedule(kn, deadline);
        return kn;
    }

    /** Revives every row. */
    void reviveAll() {
        for (int b = 0; rows.live() > 0 && b < CALLWHEEL_SIZE; b++) {
            while (rows.first(b) >= 0) {
                revive(rows.first(b));
            }
        }
    }

    static int bucket(long deadline) {
        return (int) (deadline >> TICK_SHIFT) & CALLWHEEL_MASK;
    }

    /** Counts a callout just linked into bucket {@code b} at {@code deadline}. */
    private void linked(int b, long deadline) {
        bucketMin[b] = Math.min(bucketMin[b], deadline);
        wheelNext = Math.min(wheelNext, deadline);
        onWheel++;
    }

    /** callout_stop: cancels {@code kn}'s pending callout, if any. */
    void remove(KnoteImpl kn) {
        if (kn.calloutOnWheel) {
            unlink(kn);
        } else {
            near.remove(kn);
        }
    }

    /** Whether {@code kn} has a callout pending. */
    static boolean pending(KnoteImpl kn) {
        return kn.calloutOnWheel || kn.calloutPending;
    }

    /** Whether any callout is pending. */
    boolean hasLive() {
        return onWheel > 0 || near.hasLive();
    }

    /**
     * softclock: whether a callout is due by {@code now}, moving the wheel's
     * callouts to the near term one tick at a time until the near term's
     * earliest is earlier than anything left on the wheel (so the near term
     * holds about a tick, and callouts run in deadline order). When true,
     * {@link #earliest()} and {@link #pop()} give that callout.
     */
    boolean due(long now) {
        long nowTick = now >> TICK_SHIFT;
        while (onWheel > 0 && softTicks <= nowTick && wheelNext <= now) {
            if (near.hasLive() && near.earliest() < softTicks << TICK_SHIFT) {
                break;   // the near term's earliest comes before the wheel's next tick
            }
            if (nowTick - softTicks >= CALLWHEEL_SIZE) {
                for (int b = 0; b < CALLWHEEL_SIZE; b++) {   // a whole turn (or more) passed: every bucket
                    moveDue(b, (nowTick + 1) << TICK_SHIFT);
                }
                softTicks = nowTick + 1;
            } else {
                moveDue((int) softTicks & CALLWHEEL_MASK, (softTicks + 1) << TICK_SHIFT);
                softTicks++;
            }
            if (softTicks > nowTick) {
                wheelNext = Long.MAX_VALUE;
                for (long m : bucketMin) {
                    wheelNext = Math.min(wheelNext, m);
                }
            }
        }
        if (now < wheelNext) {
            // nothing on the wheel is due: the ticks up to its earliest are passed (later callouts go to the heap)
            softTicks = Math.max(softTicks, Math.min(nowTick + 1, wheelNext >> TICK_SHIFT));
        }
        return near.hasLive() && near.earliest() <= now;
    }

    /** The earliest due callout's deadline; only after {@link #due} returned true. */
    long earliest() {
        return near.earliest();
    }

    /** Takes the earliest due callout's knote; only after {@link #due} returned true. */
    KnoteImpl pop() {
        return near.pop();
    }

    /** Moves the callouts of bucket {@code b} due before {@code end} to the near term as one batch, reviving rows. */
    private void moveDue(int b, long end) {
        if (bucketMin[b] >= end) {
            return;
        }
        long min = Long.MAX_VALUE;
        for (KnoteImpl kn = callwheel[b], next; kn != null; kn = next) {
            next = kn.calloutNext;
            if (kn.calloutTime < end) {
                unlink(kn);
                near.addToBatch(kn, kn.calloutTime);
            } else {
                min = Math.min(min, kn.calloutTime);
            }
        }
        for (int r = rows.first(b), next; r >= 0; r = next) {
            next = rows.next(r);
            long deadline = rows.when(r);
            if (deadline < end) {
                unlinkRow(r);
                near.addToBatch(rows.revive(r), deadline);
            } else {
                min = Math.min(min, deadline);
            }
        }
        bucketMin[b] = min;
        near.endBatch();
    }

    /** When softclock must look again: at or before the earliest pending deadline; MAX_VALUE for none. */
    long nextWake() {
        long next = onWheel > 0 ? wheelNext : Long.MAX_VALUE;
        return near.hasLive() ? Math.min(next, near.earliest()) : next;
    }

    /** When a sleep must end for the callouts: {@link #nextWake()} plus the precision; MAX_VALUE for none. */
    long wakeAt() {
        long next = nextWake();
        return next > Long.MAX_VALUE - PRECISION ? Long.MAX_VALUE : next + PRECISION;
    }

    private void unlink(KnoteImpl kn) {
        KnoteImpl prev = kn.calloutPrev;
        KnoteImpl next = kn.calloutNext;
        if (prev != null) {
            prev.calloutNext = next;
        } else {
            int b = bucket(kn.calloutTime);
            callwheel[b] = next;
            calloutLeft(b);
        }
        if (next != null) {
            next.calloutPrev = prev;
        }
        kn.calloutNext = kn.calloutPrev = null;
        kn.calloutOnWheel = false;
        unlinked();
    }

    private void unlinkRow(int r) {
        int b = bucket(rows.when(r));
        rows.unlink(r, b);
        calloutLeft(b);
        unlinked();
    }

    /** A callout left bucket {@code b} (a knote from its head, or any row): with none left, nothing bounds its deadlines. */
    private void calloutLeft(int b) {
        if (callwheel[b] == null && rows.first(b) < 0) {
            bucketMin[b] = Long.MAX_VALUE;
        }
    }

    private void unlinked() {
        if (--onWheel == 0) {
            wheelNext = Long.MAX_VALUE;
        }
    }
}
