package io.jkqueue.core;

import io.jkqueue.Errno;
import io.jkqueue.KEventList;
import io.jkqueue.KQueueException;
import io.jkqueue.spi.FilterOps;

import static io.jkqueue.KEvent.EV_CLEAR;
import static io.jkqueue.KEvent.EV_DISPATCH;
import static io.jkqueue.KEvent.EV_DROP;
import static io.jkqueue.KEvent.EV_ONESHOT;
import static io.jkqueue.core.KnoteImpl.KN_ACTIVE;
import static io.jkqueue.core.KnoteImpl.KN_DISABLED;
import static io.jkqueue.core.KnoteImpl.KN_MARKER;
import static io.jkqueue.core.KnoteImpl.KN_QUEUED;
import static io.jkqueue.core.KnoteImpl.KN_SCAN;

/**
 * kqueue_scan: hands a kevent call the triggered knotes of a kqueue,
 * waiting for the first if need be, with the seed's marker walk of the
 * queue and its re-check of each knote (f_event) before it is copied out.
 */
final class Scan {
    private Scan() {}

    /**
     * kqueue_scan: copies up to {@code maxevents} triggered knotes to
     * {@code out}, waiting up to {@code timeoutNanos} (&lt; 0 forever, 0 poll)
     * for the first. Until something is queued it runs the callouts, sweeps
     * for closed descriptors when due, looks at epoll and sleeps; then
     * {@link #collect} walks the queue. {@code lookedSince}: the look count
     * when the call first looked at descriptors (its enables' poll), or
     * Long.MAX_VALUE: a report stamped later was found during the call.
     */
    static int scan(KqueueImpl kq, KEventList out, int maxevents, long timeoutNanos, long lookedSince)
            throws KQueueException {
        kq.lock();
        if (!kq.scanEntered()) {
            kq.unlock();
            throw new KQueueException(Errno.EBADF, "kqueue is closed");   // kqueue_acquire's error comes first
        }
        WaitPath.ScanContext ctx = null;
        try {
            if (timeoutNanos == KqueueImpl.INVALID_TIMEOUT) {
                throw new KQueueException(Errno.EINVAL, "negative timeout");
            }
            boolean poll = timeoutNanos == 0;
            // < 0 waits forever; a poll never waits, so it needs no clock read either
            long deadline = timeoutNanos <= 0 ? Long.MAX_VALUE : saturatedAdd(System.nanoTime(), timeoutNanos);
            boolean looked = false;   // epoll was consulted during this call
            long since = Math.min(kq.epoll.looks, lookedSince);   // a knote stamped by a later look was found ready during this call
            // (a knote's stamp counts only looks that began after it was last enabled: KnoteImpl.event)
            for (;;) {
                if (!kq.isOpen()) {
                    throw new KQueueException(Errno.EBADF, "kqueue was closed while waiting");
                }
                kq.clock.run(false);
                kq.sweepIfDue();
                if (!looked && (kq.count() > 0 || poll) && kq.wait.mustLook()) {
                    // look at the descriptors before answering, so that queued
                    // in-JVM events never starve them (and take the eventfd's
                    // edge, so that an outside poller sees an emptied queue)
                    ctx = ctx == null ? kq.wait.takeContext(out, maxevents) : ctx;
                    ctx.look = ++kq.epoll.looks;
                    kq.wait.waitForEvents(ctx, 0);
                    looked = true;
                    continue;
                }
                int handed = ctx == null ? 0 : ctx.handed;
                if (kq.count() == 0) {
                    if (handed > 0) {
                        return handed;   // all a look found went straight to the list
                    }
                    if (poll) {
                        return 0;
                    }
                    long waitNanos = -1;
                    if (deadline != Long.MAX_VALUE) {
                        waitNanos = deadline - System.nanoTime();
                        if (waitNanos <= 0) {
                            if (looked || !kq.wait.mustLook()) {
                                return 0;
                            }
                            // timed out before its first look: it answers as a poll, which looks
                            poll = true;
                            continue;
                        }
                    }
                    if (Thread.currentThread().isInterrupted()) {
                        throw new KQueueException(Errno.EINTR, "interrupted");
                    }
                    if (kq.wait.interruptPending()) {
                        kq.wait.awaitInterruptsTaken(deadline);
                        continue;
                    }
                    ctx = ctx == null ? kq.wait.takeContext(out, maxevents) : ctx;
                    ctx.look = ++kq.epoll.looks;
                    kq.wait.waitForEvents(ctx, waitNanos);
                    looked = true;
                    continue;
                }
                ctx = ctx == null ? kq.wait.takeContext(out, maxevents) : ctx;
                int n = collect(kq, out, handed, maxevents, ctx.marker, since);
                if (n > 0) {
                    return n;
                }
            }
        } finally {
            kq.scanLeft();
            kq.fluxWakeup();
            if (ctx != null) {
                kq.wait.putContext(ctx);
            }
            kq.unlock();
        }
    }

    /**
     * The marker walk of kqueue_scan, with the kq lock held: takes knotes off
     * the queue up to {@code marker} (so that level-triggered knotes re-queued
     * behind it are not returned twice in one call), re-checks each with
     * f_event and copies it out after the {@code nkev} entries a look handed
     * over, applying EV_ONESHOT, EV_CLEAR and EV_DISPATCH. Returns how many
     * entries {@code out} holds (0: all were stale).
     */
    private static int collect(KqueueImpl kq, KEventList out, int nkev, int maxevents, KnoteImpl marker, long since) {
        kq.insertTail(marker);
        boolean influx = false;
        while (nkev < maxevents) {
            KnoteImpl kn = kq.firstQueued();
            boolean behindAnother = false;
            while (kn.status == KN_MARKER && kn != marker) {
                kn = kn.tqeNext;   // another scan's marker: what was queued behind it is not that scan's to take
                behindAnother = true;
            }
            if (kn.inFlux() || kn == marker && nkev == 0 && behindAnother) {
                // in flux, or all that is queued is in another scan's hands (kq_count still counts it)
                if (nkev > 0) {
                    break;   // hand out what it has rather than wait for another thread
                }
                if (influx) {
                    influx = false;
                    kq.fluxWakeup();
                }
                kq.awaitFluxLocked();
                continue;
            }
            kq.unlink(kn);
            if (kn == marker) {
                kq.fluxWakeup();
                return nkev;
            }
            if ((kn.status & KN_DISABLED) != 0) {
                kq.unqueued(kn);
                continue;
            }
            kn.enterFlux();
            influx = true;
            if ((kn.flags & (EV_DROP | EV_ONESHOT)) != 0) {
                kq.unqueued(kn);
                boolean locked = KqueueImpl.opsRunLocked(kn);
                if (!locked) {
                    kq.unlock();
                }
                if ((kn.flags & EV_DROP) == 0) {
                    kn.copyOut(out, nkev++);
                }
                if (locked) {
                    kq.dropLocked(kn);
                } else {
                    kq.drop(kn);
                    kq.lock();
                }
            } else if (deliver(kq, kn, out, nkev, since)) {
                nkev++;
            }
        }
        kq.unlink(marker);
        return nkev;
    }

    /**
     * One knote of the walk that stays after delivery, in flux and still
     * KN_QUEUED (so that an activation meanwhile does not queue it twice):
     * f_event again (with the list lock), then the copy out (or the filter's
     * touch) and what its flags say. False when it no longer fires (or its
     * source is gone: EV_DROP). Entered and left with the kq lock held; the
     * knote leaves flux.
     */
    private static boolean deliver(KqueueImpl kq, KnoteImpl kn, KEventList out, int i, long since) {
        kn.status |= KN_SCAN;
        KnListImpl knl = null;   // the list lock, once taken
        boolean kqLocked = true;
        FdKnote fk = kn instanceof FdKnote f ? f : null;
        boolean reported = fk != null && fk.fdWatch != null && fk.reportedLook - since > 0;
        KnoteImpl.LazyData lazy = null;
        // the hook is stable without the list lock: f_event runs only with the kq lock held (knote) or
        // in flux, and the knote is ours
        if (reported && kn.hook instanceof KnoteImpl.LazyData d && d.deferData(kn)) {
            // epoll found it ready during this call: only its data is left, measured if the program reads it
            lazy = d;
        } else {
            if (kn.knlist != null) {
                kq.unlock();   // f_event runs with the list lock alone, as in the seed
                kqLocked = false;
                knl = kn.knlist;
                knl.lock.lock();
            }
            if (!kn.event(0)) {
                if (!kqLocked) {
                    kq.lock();
                }
                if (fk != null && fk.onLevelEntry() && (kn.flags & EV_DROP) == 0) {
                    kq.epoll.demoteToEdge(fk.fdWatch);   // (a dropped knote's number may name another file now)
                }
                kn.status &= ~(KN_ACTIVE | KN_SCAN);
                kq.unqueued(kn);
                KnListImpl.listUnlock(knl);
                if ((kn.flags & EV_DROP) != 0) {
                    // the filter found its source gone (e.g. the descriptor was closed)
                    kq.unlock();
                    kq.drop(kn);
                    kq.lock();
                } else {
                    kn.leaveFlux();
                }
                return false;
            }
        }
        boolean touch = !kn.fop.isFd() && kn.fop.hasTouch();
        if (lazy != null) {
            kn.copyOutDeferred(out, i, lazy);
        } else if (!touch || !kn.touch(out, i, FilterOps.EVENT_PROCESS)) {
            kn.copyOut(out, i);
        }
        if (!kqLocked) {
            kq.lock();
        }
        if ((kn.flags & (EV_CLEAR | EV_DISPATCH)) != 0) {
            // manually clear knotes who weren't 'touch'ed
            if (!touch && (kn.flags & EV_CLEAR) != 0) {
                kn.data = 0;
                kn.fflags = 0;
            }
            if ((kn.flags & EV_DISPATCH) != 0) {
                kn.status |= KN_DISABLED;
            }
            kn.status &= ~KN_ACTIVE;
            kq.unqueued(kn);
        } else if (fk != null && fk.onLevelEntry()) {
            // epoll re-reports the descriptor at the next look while it stays ready
            kn.status &= ~KN_ACTIVE;
            kq.unqueued(kn);
        } else {
            kq.insertTail(kn);
        }
        kn.status &= ~KN_SCAN;
        kn.leaveFlux();
        KnListImpl.listUnlock(knl);
        return true;
    }

    /**
     * knote_enqueue and the walk's taking of the knote in one step, for a
     * report of the look made by a scan into {@code ctx.out}, when the walk
     * would take the knote at once and hand it out as it is:
     * <ul>
     * <li>nothing is queued before it (so the walk would reach it first), and the list has room;</li>
     * <li>it is on a level-triggered epoll entry, which reports it again while it stays ready,
     *     so that {@link #deliver} takes it off the queue after the copy out;</li>
     * <li>only its data is left to measure, and the report counts (the look began after the
     *     knote was last enabled: FdKnote.reportedLook), which is when deliver defers the data.</li>
     * </ul>
     * It ends as deliver leaves it: copied out, inactive, disabled if
     * EV_DISPATCH. The kq lock is held throughout, so no thread sees the
     * steps between. False: the caller activates it.
     */
    static boolean handOff(KnoteImpl kn, WaitPath.ScanContext ctx) {
        assert kn.kq.ownsLock();
        if (ctx.out == null || ctx.handed == ctx.room || kn.kq.count() != 0 || kn.inFlux()
                || (kn.status & (KN_QUEUED | KN_DISABLED)) != 0 || (kn.flags & (EV_ONESHOT | EV_CLEAR | EV_DROP)) != 0
                || !(kn instanceof FdKnote fk) || !fk.onLevelEntry() || fk.reportedLook != ctx.look
                || !(kn.hook instanceof KnoteImpl.LazyData lazy) || !lazy.deferData(kn)) {
            return false;
        }
        kn.copyOutDeferred(ctx.out, ctx.handed++, lazy);
        if ((kn.flags & EV_DISPATCH) != 0) {
            kn.status |= KN_DISABLED;
        }
        kn.status &= ~KN_ACTIVE;
        return true;
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }
}
