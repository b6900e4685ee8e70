package io.jkqueue.core;

import io.jkqueue.KEvent;
import io.jkqueue.spi.KnList;
import io.jkqueue.spi.Knote;

import java.util.concurrent.locks.ReentrantLock;

/**
 * struct knlist: an event source's knotes, linked through kn_selnext and
 * guarded by the list lock. Lock order: knlist lock, then kq lock.
 */
public final class KnListImpl implements KnList {
    final ReentrantLock lock;
    private volatile KnoteImpl first; // volatile: kqueue_wakeup peeks at kq_sel without its lock

    public KnListImpl() {
        this(new ReentrantLock());
    }

    /** A list guarded by {@code lock} (knlist_init_mtx). */
    KnListImpl(ReentrantLock lock) {
        this.lock = lock;
    }

    @Override
    public void add(Knote k) {
        KnoteImpl kn = (KnoteImpl) k;
        lock.lock();
        try {
            addLocked(kn);
        } finally {
            lock.unlock();
        }
    }

    /** knlist_add: the knote is in flux and detached. */
    void addLocked(KnoteImpl kn) {
        assert lock.isHeldByCurrentThread();
        if (kn.knlist != null) {
            throw new IllegalStateException("a knote is on one knlist at a time: " + kn);
        }
        kn.selPrev = null;
        kn.selNext = first;
        if (first != null) {
            first.selPrev = kn;
        }
        first = kn;
        KqueueImpl kq = kn.kq;
        kq.lock();
        kn.knlist = this;
        kn.status &= ~KnoteImpl.KN_DETACHED;
        kq.unlock();
    }

    @Override
    public void remove(Knote k) {
        KnoteImpl kn = (KnoteImpl) k;
        lock.lock();
        try {
            removeLocked(kn, false);
        } finally {
            lock.unlock();
        }
    }

    /** knlist_remove_kq: unlinks the knote and marks it KN_DETACHED. */
    void removeLocked(KnoteImpl kn, boolean kqLocked) {
        assert lock.isHeldByCurrentThread() && kqLocked == kn.kq.ownsLock();
        if (kn.knlist != this) {
            throw new IllegalStateException("knote is not on this knlist: " + kn);
        }
        if (kn.selPrev != null) {
            kn.selPrev.selNext = kn.selNext;
        } else {
            first = kn.selNext;
        }
        if (kn.selNext != null) {
            kn.selNext.selPrev = kn.selPrev;
        }
        kn.selNext = kn.selPrev = null;
        kn.knlist = null;
        KqueueImpl kq = kn.kq;
        if (!kqLocked) {
            kq.lock();
        }
        kn.status |= KnoteImpl.KN_DETACHED;
        if (!kqLocked) {
            kq.unlock();
        }
    }

    /** kn_list_lock: locks the knote's list, if it is on one; returns it. */
    static KnListImpl listLock(KnoteImpl kn) {
        KnListImpl knl = kn.knlist;
        if (knl != null) {
            knl.lock.lock();
        }
        return knl;
    }

    /** kn_list_unlock. */
    static void listUnlock(KnListImpl knl) {
        if (knl != null) {
            knl.lock.unlock();
        }
    }

    /** The union of the knotes' descriptor interests; with the list locked. */
    int watchInterest() {
        assert lock.isHeldByCurrentThread();
        int union = 0;
        for (KnoteImpl kn = first; kn != null; kn = kn.selNext) {
            union |= ((FdKnote) kn).watchInterest;   // a descriptor registration's list holds its knotes alone
        }
        return union;
    }

    /** Whether no knote is EV_CLEAR (each fires on the state alone, as a level-triggered entry reports); with the list locked. */
    boolean allLevel() {
        assert lock.isHeldByCurrentThread();
        for (KnoteImpl kn = first; kn != null; kn = kn.selNext) {
            if ((kn.flags & KEvent.EV_CLEAR) != 0) {
                return false;
            }
        }
        return true;
    }

    /** Whether a report activated a knote while it is disabled; with the list and kq locks held. */
    boolean activeWhileDisabled() {
        assert lock.isHeldByCurrentThread();
        int activeDisabled = KnoteImpl.KN_ACTIVE | KnoteImpl.KN_DISABLED;
        for (KnoteImpl kn = first; kn != null; kn = kn.selNext) {
            if ((kn.status & activeDisabled) == activeDisabled) {
                return true;
            }
        }
        return false;
    }

    KnoteImpl first() {
        return first;
    }

    @Override
    public boolean isEmpty() {
        return first == null;
    }

    @Override
    public void knote(long hint) {
        lock.lock();
        try {
            knoteLocked(hint);
        } finally {
            lock.unlock();
        }
    }

    /**
     * knoteLocked for a caller that already holds the lock of the one kqueue
     * whose knotes are on this list (a look at its descriptors): no relock
     * per knote. A knote the scan that looks can take at once goes straight
     * to its list ({@link Scan#handOff}) instead of the queue.
     */
    void knoteKqLocked(long hint, WaitPath.ScanContext ctx) {
        assert lock.isHeldByCurrentThread();
        for (KnoteImpl kn = first, next; kn != null; kn = next) {
            next = kn.selNext;
            assert kn.kq.ownsLock();
            if (kn.inFlux() && (kn.status & KnoteImpl.KN_SCAN) == 0) {
                continue;
            }
            if (kn.event(hint) && !Scan.handOff(kn, ctx)) {
                kn.kq.activateLocked(kn);
            }
        }
    }

    /**
     * knote(): f_event on every knote with the kq locked; activates those that
     * fire. A knote in flux is skipped unless a scan holds it (KN_SCAN): that
     * scan holds this list's lock and rechecks the knote after we are done.
     */
    void knoteLocked(long hint) {
        assert lock.isHeldByCurrentThread();
        for (KnoteImpl kn = first, next; kn != null; kn = next) {
            next = kn.selNext;
            KqueueImpl kq = kn.kq;
            kq.lock();
            try {
                if (kn.inFlux() && (kn.status & KnoteImpl.KN_SCAN) == 0) {
                    continue;
                }
                if (kn.event(hint)) {
                    kq.activateLocked(kn);
                }
            } finally {
                kq.unlock();
            }
        }
    }

    /**
     * knote_fork: as knote(NOTE_FORK) for the knotes that only want the
     * event; for those with NOTE_TRACK, also registers in their kqueue a
     * one-shot NOTE_CHILD note and a tracking note for the child (with the
     * list and kq unlocked, the knote held in flux); NOTE_TRACKERR when that fails.
     */
    @Override
    public void knoteFork(int pid) {
        lock.lock();
        try {
            for (KnoteImpl kn = first; kn != null; kn = kn.selNext) {
                KqueueImpl kq = kn.kq;
                kq.lock();
                if (kn.inFlux() && (kn.status & KnoteImpl.KN_SCAN) == 0) {
                    kq.unlock();
                    continue;
                }
                if ((kn.sfflags & KEvent.NOTE_TRACK) == 0) {
                    if (kn.event(KEvent.NOTE_FORK)) {
                        kq.activateLocked(kn);
                    }
                    kq.unlock();
                    continue;
                }
                kn.enterFlux();
                kq.unlock();
                lock.unlock();
                try {
                    // first the child note alone: NOTE_CHILD and NOTE_EXIT would both use data
                    int error = Register.registerInternal(kq, pid, kn.filter,
                            kn.flags | KEvent.EV_ADD | KEvent.EV_ENABLE | KEvent.EV_ONESHOT | KEvent.EV_FLAG2,
                            kn.sfflags, kn.ident, kn.udata, null);
                    if (error == 0) {
                        error = Register.registerInternal(kq, pid, kn.filter,
                                kn.flags | KEvent.EV_ADD | KEvent.EV_ENABLE | KEvent.EV_FLAG1, kn.sfflags, kn.ident,
                                kn.udata, null);
                    }
                    kq.lock();
                    if (error != 0) {
                        kn.fflags |= KEvent.NOTE_TRACKERR;
                    }
                    if (kn.event(KEvent.NOTE_FORK)) {
                        kq.activateLocked(kn);
                    }
                    kn.leaveFlux();
                    kq.fluxWakeup();
                    kq.unlock();
                } finally {
                    lock.lock();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * knlist_clear (knlist_cleardel without killnotes): detaches every knote
     * and gives it EV_EOF|EV_ONESHOT, so that it is reported once more and
     * then deleted. Waits for knotes in flux to settle.
     */
    @Override
    public void clear() {
        for (;;) {
            lock.lock();
            KnoteImpl busy;
            try {
                for (KnoteImpl kn = first, next; kn != null; kn = next) {
                    next = kn.selNext;
                    KqueueImpl kq = kn.kq;
                    kq.lock();
                    if (!kn.inFlux()) {
                        removeLocked(kn, true);
                        kn.flags |= KEvent.EV_EOF | KEvent.EV_ONESHOT;
                    }
                    kq.unlock();
                }
                busy = first;
                if (busy == null) {
                    return;
                }
                busy.kq.lock();
            } finally {
                lock.unlock();
            }
            // there are still knotes in flux: wait for one to settle, then rescan
            busy.kq.awaitFluxLocked();
            busy.kq.unlock();
        }
    }
}
