package io.jkqueue.core;

import io.jkqueue.spi.Knote;

/**
 * A kqueue's time: its callouts (kern_timeout.c's callwheel and softclock),
 * the schedule of the closed-descriptor sweep, and the timerfd they arm, the
 * kqueue's event timer. The sweep is coarse: not a callout, so that it costs
 * no clock read per call; it shares the timerfd, whose expiry the scan's look
 * at epoll reports ({@code run(true)}). Guarded by the kq lock.
 */
final class Softclock {
    /** How often the descriptors of descriptor knotes are looked at for a close nobody told us of. */
    private static final long SWEEP_PERIOD = 1_000_000_000L;

    private final KqueueImpl kq;
    private final TimerRows rows;
    private final Callwheel callouts;
    private long sweepAt = Long.MAX_VALUE;   // when the next sweep is due; MAX_VALUE: no descriptor knote
    private boolean sweepDue;

    Softclock(KqueueImpl kq) {
        this.kq = kq;
        rows = new TimerRows(kq);
        callouts = new Callwheel(rows);
    }

    /** callout_reset: {@code fn} runs on {@code kn} at {@code whenNanos}, replacing its pending callout. */
    void schedule(KnoteImpl kn, long whenNanos, Knote.Callout fn) {
        assert kq.ownsLock();
        kn.callout = fn;
        callouts.schedule(kn, whenNanos);
        arm(false);
    }

    /** callout_stop. */
    void stop(KnoteImpl kn) {
        assert kq.ownsLock();
        callouts.remove(kn);
        kn.callout = null;
    }

    /**
     * Folds {@code kn}, a knote just added and still in flux, into a row of
     * {@link TimerRows} if it is a timer waiting only for its callout on the
     * wheel; the knote object is then forgotten.
     */
    void fold(KnoteImpl kn) {
        assert kq.ownsLock();
        if (kn.calloutOnWheel && rows.canFold(kn)) {
            callouts.fold(kn, rows.fold(kn));
        }
    }

    /** The knote of timer {@code ident} if a row holds it (revived, back in the table), else null. */
    KnoteImpl revive(long ident) {
        assert kq.ownsLock();
        int r = rows.find(ident);
        if (r < 0) {
            return null;
        }
        KnoteImpl kn = callouts.revive(r);
        rows.compactIfSparse();
        return kn;
    }

    /** The rows (for tests). */
    TimerRows rows() {
        return rows;
    }

    /** Revives every row: kqueue_drain finds all the knotes in the table. */
    void reviveAll() {
        assert kq.ownsLock();
        if (rows.live() > 0) {
            callouts.reviveAll();
        }
    }

    /**
     * softclock: runs every callout due now and re-arms the timerfd if
     * anyone waits (see {@link #arm}). The clock is read only when a callout
     * is pending, or for the sweep when {@code timerFired} (the look at epoll
     * saw the timerfd expire) or when no look reports it (no descriptor in
     * epoll).
     */
    void run(boolean timerFired) {
        assert kq.ownsLock();
        if (!callouts.hasLive()
                && (sweepAt == Long.MAX_VALUE || !timerFired && kq.epoll.watchesDescriptors())) {
            return;
        }
        long now = System.nanoTime();
        while (callouts.due(now)) {
            long deadline = callouts.earliest();
            KnoteImpl kn = callouts.pop();
            Knote.Callout fn = kn.callout;
            kn.callout = null;
            try {
                fn.expire(kn, deadline);
            } catch (RuntimeException | Error e) {
                KnoteImpl.filterFault(kn, "callout", e);
            }
        }
        if (sweepAt <= now) {
            // the next scan sweeps; periodic while the fd table has knotes
            sweepDue = true;
            sweepAt = kq.table.fdKnotes() > 0 ? now + SWEEP_PERIOD : Long.MAX_VALUE;
        }
        rows.compactIfSparse();   // after the wheel's walks
        kq.wait.calloutsRan(now);
        arm(false);
    }

    /**
     * Keeps the timerfd armed for the sweep, and for the earliest callout
     * while anyone may wait for it: a thread about to sleep in the scan
     * ({@code sleeping}), one asleep, a poller holding fd(), a kqueue
     * watching this one. A thread awake in the scan runs due callouts
     * itself, so one collecting timers back to back arms nothing.
     */
    void arm(boolean sleeping) {
        assert kq.ownsLock();
        boolean waited = sleeping || kq.wait.hasWaiters() || !kq.sel.isEmpty();
        long next = waited ? Math.min(callouts.wakeAt(), sweepAt) : sweepAt;
        if (next != Long.MAX_VALUE) {
            kq.wait.armTimerfd(next);
        }
    }

    /** The first descriptor knote: the sweep for closed descriptors starts (it stops when none is left). */
    void startSweep() {
        assert kq.ownsLock();
        if (sweepAt == Long.MAX_VALUE) {
            sweepAt = System.nanoTime() + SWEEP_PERIOD;
            arm(false);
        }
    }

    /** Whether a sweep came due since the last one: the caller sweeps now. */
    boolean takeSweep() {
        assert kq.ownsLock();
        boolean due = sweepDue;
        sweepDue = false;
        return due;
    }
}
