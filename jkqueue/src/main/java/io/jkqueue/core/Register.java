package io.jkqueue.core;

import io.jkqueue.Errno;
import io.jkqueue.KEvent;
import io.jkqueue.KEventList;
import io.jkqueue.linux.Stat;
import io.jkqueue.spi.FilterOps;

import java.nio.channels.Channel;

import static io.jkqueue.KEvent.EV_ADD;
import static io.jkqueue.KEvent.EV_DELETE;
import static io.jkqueue.KEvent.EV_DISABLE;
import static io.jkqueue.KEvent.EV_ENABLE;
import static io.jkqueue.KEvent.EV_FLAG1;
import static io.jkqueue.KEvent.EV_FLAG2;
import static io.jkqueue.KEvent.EV_FORCEONESHOT;
import static io.jkqueue.KEvent.EV_KEEPUDATA;
import static io.jkqueue.KEvent.EV_ONESHOT;
import static io.jkqueue.core.KnoteImpl.KN_ACTIVE;
import static io.jkqueue.core.KnoteImpl.KN_DETACHED;
import static io.jkqueue.core.KnoteImpl.KN_DISABLED;
import static io.jkqueue.core.KnoteImpl.KN_KEPT;
import static io.jkqueue.core.KnoteImpl.KN_QUEUED;
import static io.jkqueue.core.KnoteImpl.KN_SCAN;

/**
 * kqueue_register: one change applied to a kqueue, in the seed's phases:
 * find the knote (fget and findkn, waiting while it is in flux), then add a
 * new one (attach) or change an existing one (delete, touch), then
 * done_ev_add (enable or disable, f_event, the queue).
 */
final class Register {
    private Register() {}

    /**
     * The change kqueue_register works on (the seed's copyin of the change
     * list), which it and a filter's touch may alter and an EV_ERROR entry
     * reports; and what fget found for a descriptor change.
     */
    static final class Copyin {
        final KEventList kev = new KEventList(1);
        boolean inUse;
        Channel channel;   // fget: the channel Fd.of handed the number out for, or null
        long dev;          // ... else the file the number names
        long ino;
        Object hook;       // registerInternal's: the object kev.data points to in the seed (aio_aqueue's job)
        final EnableRecheck recheck = new EnableRecheck();   // kevent's: its change list's enables
        // Knote.uptime's clock read, shared by the changes of this thread's change list; a list nested
        // in it (a filter's kevent) drops it, so that it is read after every list in progress began.
        private boolean changing;
        private boolean clockRead;
        private long clock;

        /** A change list starts. */
        void open() {
            inUse = true;
            changing = true;
            recheck.open();
        }

        /** The change list is applied: what follows reads the clock afresh. */
        void changesDone() {
            changing = false;
            clockRead = false;
        }

        /** Knote.uptime for this thread (its own Copyin): one clock read per change list. */
        long uptime() {
            if (!changing) {
                return System.nanoTime();
            }
            if (!clockRead) {
                clock = System.nanoTime();
                clockRead = true;
            }
            return clock;
        }

        /** For a change list that starts while this, the thread's Copyin, is in use: a copy of its own, and a clock read after it began. */
        Copyin nested() {
            clockRead = false;
            return new Copyin();
        }

        void clear() {
            kev.set(0, 0, 0, 0, 0, 0, null);   // let udata go
            channel = null;
            hook = null;
            changesDone();
            inUse = false;
        }
    }

    static final ThreadLocal<Copyin> COPYIN = ThreadLocal.withInitial(Copyin::new);

    /**
     * kqueue_register from inside jkqueue (knote_fork, aio_aqueue): flags are
     * taken as given, EV_FLAG1/EV_FLAG2 included; a new knote starts with
     * {@code hook} as its kn_hook, for the filter's attach.
     */
    static int registerInternal(KqueueImpl kq, long ident, int filter, int flags, int fflags, long data, Object udata,
            Object hook) {
        if (!kq.isOpen()) {
            return Errno.EBADF.code();
        }
        Copyin c = COPYIN.get();
        boolean busy = c.inUse;   // called while this thread's kevent applies a change: a copy of its own
        c = busy ? c.nested() : c;
        c.inUse = true;
        c.kev.set(0, ident, filter, flags, fflags, data, udata);
        c.hook = hook;
        try {
            return register(kq, c, flags);
        } finally {
            if (!busy) {
                c.clear();
            }
        }
    }

    /**
     * kqueue_register: applies the change in {@code c} (flags already
     * stripped of EV_SYSFLAGS). Returns 0 or an errno code.
     */
    static int register(KqueueImpl kq, Copyin c, int flags) {
        if ((flags & (EV_ENABLE | EV_DISABLE)) == (EV_ENABLE | EV_DISABLE)) {
            return Errno.EINVAL.code();
        }
        long ident = c.kev.ident(0);
        int filter = c.kev.filter(0);
        c.channel = null;   // fget's, for a descriptor filter
        FilterOps fops = FilterTable.find(filter);
        if (fops == null) {
            return Errno.EINVAL.code();
        }
        boolean fopsHeld = true;   // the filter reference passes to a new knote
        boolean haskqglobal = false;
        try {
            KnoteImpl kn;
            for (;;) {   // findkn
                if (fops.isFd()) {
                    int error = fget(kq, ident, c);
                    if (error != 0) {
                        return error;
                    }
                    if (KqRegistry.get((int) ident) != null && !haskqglobal) {
                        KqueueImpl.KQ_GLOBAL.lock();   // a kqueue's knote: kq_global before the kq lock
                        haskqglobal = true;
                    }
                }
                kq.lock();
                if (fops.isFd() && FileTable.isClosing((int) ident)) {
                    kq.unlock();   // Fd.close is closing it: its knotes go, or went, with it
                    return Errno.EBADF.code();
                }
                if (fops.isFd() && kq.table.isStale((int) ident, c.channel, c.dev, c.ino)) {
                    // the descriptor was closed and its number reused: the old file's knotes died with it
                    kq.unlock();
                    kq.fdclose((int) ident);
                    continue;
                }
                // an internal creation of a process tracking note is never coalesced with an existing note
                kn = filter == KEvent.EVFILT_PROC && (flags & (EV_FLAG1 | EV_FLAG2)) != 0 ? null
                        : kq.table.find(fops.isFd(), ident, filter);
                if (kn == null && filter == KEvent.EVFILT_TIMER) {
                    kn = kq.clock.revive(ident);   // a timer folded into a row since its EV_ADD
                }
                if (kn != null && (kn.status & KN_KEPT) != 0 && (flags & EV_FLAG1) == 0) {
                    kn = null;   // kept by its source between two uses: deleted, as far as a change list can tell
                }
                if (kn != null && kn.inFlux()) {
                    // knote is in the process of changing, wait for it to stabilize
                    if (haskqglobal) {
                        KqueueImpl.KQ_GLOBAL.unlock();
                        haskqglobal = false;
                    }
                    kq.awaitFluxLocked();
                    kq.unlock();
                    continue;
                }
                break;
            }
            if (kn == null) {
                if ((flags & EV_ADD) == 0) {
                    kq.unlock();
                    return Errno.ENOENT.code();
                }
                fopsHeld = false;
                return attachNew(kq, c, flags, fops);
            }
            if ((flags & EV_DELETE) != 0) {
                kn.enterFlux();
                kq.unlock();
                kq.drop(kn);
                return 0;
            }
            return modify(kq, kn, c, flags, fops);
        } finally {
            if (haskqglobal) {
                KqueueImpl.KQ_GLOBAL.unlock();
            }
            if (fopsHeld) {
                FilterTable.release(filter);
            }
        }
    }

    /**
     * fget: what descriptor {@code ident} names now, into {@code c}: the
     * channel Fd.of handed it out for, or else the file's dev+ino. EBADF for
     * a number that is not open; EINVAL for this kqueue's own descriptor.
     */
    private static int fget(KqueueImpl kq, long ident, Copyin c) {
        if (ident < 0 || ident > Integer.MAX_VALUE) {
            return Errno.EBADF.code();
        }
        c.channel = FileTable.channel((int) ident);
        if (c.channel == null) {
            Stat.Buffer stx = Stat.threadBuffer();
            if (!stx.fstatx((int) ident)) {
                return Errno.EBADF.code();
            }
            c.dev = stx.dev();
            c.ino = stx.ino();
        }
        return KqRegistry.get((int) ident) == kq ? Errno.EINVAL.code() : 0; // a kqueue cannot watch itself
    }

    /**
     * kqueue_register for a change that adds a knote: links it in, attaches
     * it (f_attach, without the kq lock unless the ops may run with it, the
     * knote in flux), then done_ev_add.
     * Entered with the kq lock held; returns without it.
     */
    private static int attachNew(KqueueImpl kq, Copyin c, int flags, FilterOps fops) {
        KEventList kev = c.kev;
        KnoteImpl kn = fops.isFd() ? new FdKnote(kq, c.channel) : new KnoteImpl(kq);
        kn.fop = fops;
        kn.ident = kev.ident(0);
        kn.filter = (short) kev.filter(0);
        kn.flags = flags & ~(EV_ADD | EV_DELETE | EV_ENABLE | EV_DISABLE | EV_FORCEONESHOT | EV_KEEPUDATA);
        kn.udata = kev.udata(0);
        kn.sfflags = kev.fflags(0);
        kn.sdata = kev.data(0);
        kn.hook = c.hook;
        kev.set(0, kn.ident, kn.filter, kev.flags(0), 0, 0, kn.udata);
        // KN_SCAN: a source that reports while attach runs must not be skipped by knote()
        // (the seed's f_event after attach re-reads the source; ours may rely on that report)
        kn.status = KN_DETACHED | KN_SCAN;
        kn.enterFlux();
        if (kq.table.insert(kn, c.channel, c.dev, c.ino)) {
            kq.clock.startSweep();   // the first descriptor knote
        }
        boolean locked = KqueueImpl.opsRunLocked(kn);
        if (!locked) {
            kq.unlock();
        }
        int error = kn.attachFilter();
        if (error != 0) {
            if (locked) {
                kq.dropLocked(kn);
                kq.unlock();
            } else {
                kq.dropDetached(kn);
            }
            return error;
        }
        doneEvAdd(kq, kn, KnListImpl.listLock(kn), flags, locked, true, null);
        return 0;
    }

    /**
     * kqueue_register for a change to an existing knote: EV_FORCEONESHOT, the
     * new udata, fflags and data (or the filter's touch), then done_ev_add.
     * The user may change some filter values after the initial EV_ADD, but
     * doing so will not reset any filter which has already been triggered.
     * Entered with the kq lock held; returns without it.
     */
    private static int modify(KqueueImpl kq, KnoteImpl kn, Copyin c, int flags, FilterOps fops) {
        KEventList kev = c.kev;
        if ((flags & EV_FORCEONESHOT) != 0) {
            kn.flags |= EV_ONESHOT;
            kq.activateLocked(kn);
        }
        kn.status |= KN_SCAN;
        kn.enterFlux();
        // with no knlist there is no list lock to take first: touch and f_event run with
        // the kq lock held, as knote() runs f_event (KN_HASKQLOCK)
        boolean kqLocked = kn.knlist == null;
        KnListImpl knl = null;
        if (!kqLocked) {
            kq.unlock();
            knl = KnListImpl.listLock(kn);
        }
        if ((flags & EV_KEEPUDATA) == 0) {
            kn.udata = kev.udata(0);
        }
        if (!fops.isFd() && fops.hasTouch()) {
            kn.touch(kev, 0, FilterOps.EVENT_REGISTER);
        } else {
            kn.sfflags = kev.fflags(0);
            kn.sdata = kev.data(0);
        }
        doneEvAdd(kq, kn, knl, flags, kqLocked, false, c.recheck);
        return 0;
    }

    /**
     * done_ev_add: EV_ENABLE/EV_DISABLE, then f_event and the queue. The
     * knote is ours (in flux), so KN_DISABLED is stable until we relock.
     * Entered with the list lock {@code knl} if the knote is on a list, and
     * the kq lock if {@code kqLocked}; returns with neither. A change to a
     * knote on a level-triggered epoll entry ({@code attached} false) skips
     * f_event: epoll reports the descriptor at the next look while it is
     * ready (the watch is level only until epoll reports a disabled knote). So
     * does a change to a descriptor knote already active (epoll reported it
     * while it was disabled, EV_DISPATCH's case): it is queued whatever
     * f_event says, and the scan measures it. A change that enables a READ
     * knote on an edge-triggered entry leaves f_event to {@code recheck}'s
     * poll after the change list, if it takes the knote.
     */
    private static void doneEvAdd(KqueueImpl kq, KnoteImpl kn, KnListImpl knl, int flags, boolean kqLocked,
            boolean attached, EnableRecheck recheck) {
        assert kqLocked == kq.ownsLock();
        boolean disabled = (flags & EV_ENABLE) != 0 ? false
                : (flags & EV_DISABLE) != 0 || (kn.status & KN_DISABLED) != 0;
        // KN_ACTIVE, read without the kq lock, can only have been set meanwhile (the knote is ours): a stale
        // read only costs an f_event
        FdKnote fk = kn instanceof FdKnote f && f.fdWatch != null ? f : null;
        boolean reported = !attached && fk != null && (fk.fdWatch.level || (kn.status & KN_ACTIVE) != 0);
        boolean event = !disabled && !reported && (recheck == null || !recheck.defer(kn)) && kn.event(0);
        if (!kqLocked) {
            kq.lock();
        }
        assert kn.inFlux() : kn;
        if (!disabled && (kn.status & KN_DISABLED) != 0 && kn instanceof FdKnote f) {
            // a report from a look that began before this enable may predate the reads of the thread
            // that held the knote (EV_DISPATCH): the scan measures it unless a later look reports it
            f.reportedLook = -kq.epoll.looks;
        }
        kn.status = disabled ? kn.status | KN_DISABLED : kn.status & ~KN_DISABLED;
        if (event) {
            kn.status |= KN_ACTIVE;
        }
        if ((kn.status & (KN_ACTIVE | KN_DISABLED | KN_QUEUED)) == KN_ACTIVE) {
            kq.enqueue(kn);
        }
        kn.status &= ~KN_SCAN;
        if (attached) {
            kq.clock.fold(kn);   // a new timer waiting only for its callout becomes a row
        }
        kn.leaveFlux();
        KnListImpl.listUnlock(knl);
        kq.fluxWakeup();
        kq.unlock();
    }

}
