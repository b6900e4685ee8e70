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
     * knote(): f_event on every knote with the kq locked; activates those that
     * fire. A knote in flux is skipped unless a scan holds it (KN_SCAN): that
     * scan holds this list's lock and rechecks the knote after we are done.
     */
    void knoteLocked(long hint) {
        for (KnoteImpl kn = first, next; kn != null; kn = next) {
            next = kn.selNext;
            KqueueImpl kq = kn.kq;
            kq.lock();
            try {
                if (kn.inFlux() && (kn.status & KnoteImpl.KN_SCAN) == 0) {
                    continue;
                }
                if (kq.filterEvent(kn, hint)) {
                    kq.activate(kn);
                }
            } finally {
                kq.unlock();
            }
        }
    }

    @Override
    public void clear() {
        cleardel(false);
    }

    /**
     * knlist_cleardel: detaches every knote. With {@code kill} they are
     * dropped; otherwise they get EV_EOF|EV_ONESHOT so that they are reported
     * once more and then deleted. Waits for knotes in flux to settle.
     */
    void cleardel(boolean kill) {
        for (;;) {
            lock.lock();
            KnoteImpl busy = null;
            try {
                for (KnoteImpl kn = first, next; kn != null; kn = next) {
                    next = kn.selNext;
                    KqueueImpl kq = kn.kq;
                    kq.lock();
                    if (kn.inFlux()) {
                        kq.unlock();
                        continue;
                    }
                    removeLocked(kn, true);
                    if (kill) {
                        kn.enterFlux();
                        kq.unlock();
                        kq.dropDetached(kn);
                    } else {
                        kn.flags |= KEvent.EV_EOF | KEvent.EV_ONESHOT;
                        kq.unlock();
                    }
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
