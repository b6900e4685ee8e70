package io.jkqueue.core;

import io.jkqueue.linux.Poll;

import java.util.Arrays;

import static io.jkqueue.KEvent.EVFILT_READ;
import static io.jkqueue.core.KnoteImpl.KN_DETACHED;
import static io.jkqueue.core.KnoteImpl.KN_DISABLED;
import static io.jkqueue.core.KnoteImpl.KN_SCAN;

/**
 * done_ev_add's f_event for the EV_ENABLEs of one change list, batched. A
 * READ knote enabled on an edge-triggered epoll entry (an EV_DISPATCH
 * worker handing a connection back, in a kqueue several threads share) may
 * have bytes left unread that no new edge will report, so enabling it must
 * look at the descriptor. Instead of a FIONREAD per change, such knotes wait
 * here, and one poll(2) after the change list, before the scan, looks at
 * all of them; f_event takes its revents as it takes an epoll report. One
 * per thread, in {@link Register.Copyin}.
 */
final class EnableRecheck {
    private static final int CAPACITY = 256;   // past it, a change's f_event runs at once

    private KnoteImpl[] knotes;
    private Poll.Set fds;
    private int n;
    private boolean open;   // a kevent call applies its change list: enables may wait for its end

    /** kevent starts applying a change list. */
    void open() {
        open = true;
    }

    /**
     * From done_ev_add, the knote in flux and its list locked, for a change
     * that enables it: whether it waits for the poll after the change list
     * (a READ knote on an epoll entry whose readiness is what poll reports:
     * {@link KnoteImpl.LazyData#deferData}) instead of an f_event now.
     */
    boolean defer(KnoteImpl kn) {
        if (!open || n == CAPACITY || kn.filter != EVFILT_READ || !(kn instanceof FdKnote f) || f.fdWatch == null
                || !(kn.hook instanceof KnoteImpl.LazyData d) || !d.deferData(kn)) {
            return false;
        }
        if (knotes == null || n == knotes.length) {
            grow();
        }
        knotes[n++] = kn;
        return true;
    }

    /** Room for more: small at first (a virtual thread per connection has one of these each). */
    private void grow() {
        int size = knotes == null ? 8 : Math.min(knotes.length * 2, CAPACITY);
        knotes = knotes == null ? new KnoteImpl[size] : Arrays.copyOf(knotes, size);
        fds = new Poll.Set(size);
    }

    /**
     * After the change list: polls the waiting knotes' descriptors at once and
     * knotes each that poll found ready. The poll counts as a look at epoll:
     * returns the look count before it, from which the call's scan takes a
     * report as found during the call (its data then left to first access);
     * Long.MAX_VALUE when nothing waited.
     */
    long flush(KqueueImpl kq) {
        open = false;
        int count = n;
        if (count == 0) {
            return Long.MAX_VALUE;
        }
        n = 0;
        for (int i = 0; i < count; i++) {
            fds.set(i, (int) knotes[i].ident, (short) (Poll.POLLIN | Poll.POLLRDHUP));
        }
        long since;
        kq.lock();
        try {
            since = kq.epoll.looks++;
        } finally {
            kq.unlock();
        }
        int ready = fds.pollNow(count);
        for (int i = 0; i < count; i++) {
            KnoteImpl kn = knotes[i];
            knotes[i] = null;
            int revents = ready < 0 ? -1 : fds.revents(i);
            if (revents != 0) {
                // poll's bits are epoll's; a failed poll leaves the measuring to f_event (hint 0)
                knote(kq, kn, revents < 0 ? 0 : WaitPath.fdHint(revents), since + 1);
            }
        }
        return since;
    }

    /**
     * knote() for one knote of its list, as look {@code look} reporting it:
     * f_event with both locks, unless it left, was disabled, or is another's.
     */
    private static void knote(KqueueImpl kq, KnoteImpl kn, long hint, long look) {
        KnListImpl knl = KnListImpl.listLock(kn);
        if (knl == null) {
            return;   // detached since its change
        }
        try {
            kq.lock();
            try {
                kq.epoll.reporting = look;
                if (kn.knlist == knl && (kn.status & (KN_DISABLED | KN_DETACHED)) == 0
                        && (!kn.inFlux() || (kn.status & KN_SCAN) != 0) && kn.event(hint)) {
                    kq.activateLocked(kn);
                }
            } finally {
                kq.unlock();
            }
        } finally {
            knl.lock.unlock();
        }
    }
}
