package io.jkqueue.filters;

import io.jkqueue.Errno;
import io.jkqueue.KEventList;
import io.jkqueue.spi.FilterOps;
import io.jkqueue.spi.Knote;

import static io.jkqueue.KEvent.EV_CLEAR;
import static io.jkqueue.KEvent.EV_DROP;
import static io.jkqueue.KEvent.EV_EOF;
import static io.jkqueue.KEvent.EV_FLAG1;
import static io.jkqueue.KEvent.EV_FLAG2;
import static io.jkqueue.KEvent.EV_ONESHOT;
import static io.jkqueue.KEvent.NOTE_CHILD;
import static io.jkqueue.KEvent.NOTE_EXEC;
import static io.jkqueue.KEvent.NOTE_EXIT;
import static io.jkqueue.KEvent.NOTE_FORK;
import static io.jkqueue.KEvent.NOTE_PCTRLMASK;
import static io.jkqueue.KEvent.NOTE_TRACK;
import static io.jkqueue.KEvent.NOTE_TRACKERR;

/**
 * EVFILT_PROC (filt_procattach, filt_procdetach, filt_proc) for any process
 * this one may see. The exit comes from the process's pidfd
 * ({@link ProcSource}); NOTE_FORK, NOTE_EXEC and NOTE_TRACK from the
 * process-events connector ({@link ProcEventsSource}), which needs
 * CAP_NET_ADMIN: without it they are EPERM. On a kernel that keeps no exit
 * status for a pidfd (before Linux 6.15) every knote holds the connector if
 * it can, for the status in the exit message. When a descriptor cannot be
 * made for either, the answer is EMFILE or ENFILE, as for any file.
 */
final class ProcFilter implements FilterOps {
    private static final ProcEventsSource PROC_EVENTS = ProcEventsSource.SHARED;

    @Override
    public boolean isFd() {
        return false;
    }

    @Override
    public int attach(Knote kn) {
        if (kn.ident() <= 0 || kn.ident() > Integer.MAX_VALUE) {
            return Errno.ESRCH.code();
        }
        boolean child = (kn.flags() & EV_FLAG2) != 0;
        boolean internal = (kn.flags() & (EV_FLAG1 | EV_FLAG2)) != 0;   // knote_fork's, in the middle of a drain
        if (child) {
            // registered by knote_fork to report the child: it does not track further itself (the EV_FLAG1 note does)
            kn.setSfflags(kn.sfflags() & ~(NOTE_EXIT | NOTE_EXEC | NOTE_FORK | NOTE_TRACK));
        }
        Acquired<ProcSource> acquired = ProcSource.acquire((int) kn.ident());
        ProcSource src = acquired.source();
        if (src == null) {
            return acquired.error();
        }
        // hookId 1: the knote holds the process-events connector (sfflags may change later, through EV_ADD)
        boolean events = (kn.sfflags() & (NOTE_FORK | NOTE_EXEC | NOTE_TRACK)) != 0;
        boolean connector = events || !ProcSource.exitStatusKept();
        if (connector) {
            int error = PROC_EVENTS.acquire();
            if (error != 0 && events) {
                src.release();
                return error;
            }
            // without it (no CAP_NET_ADMIN before Linux 6.6, not in the initial namespaces) the exit status
            // comes from waitid or the zombie, before the reaping
            connector = error == 0;
        }
        if (connector && !ProcSource.exitStatusKept() && !src.connectorHeld()) {
            PROC_EVENTS.release();
            src.release();
            return Errno.ESRCH.code();   // exited and reaped before its exit could be heard: as if reaped first
        }
        if (connector && !internal) {
            // what the socket holds happened before this knote (other knotes kept it open): theirs alone
            PROC_EVENTS.drain();
        }
        kn.setHook(src);
        kn.setHookId(connector ? 1 : 0);
        kn.setFlags(kn.flags() | EV_CLEAR);   // automatically set
        if (child) {
            // NOTE_CHILD with the parent's pid, at once
            kn.setData(kn.sdata());
            kn.setFflags(NOTE_CHILD);
        }
        kn.setFlags(kn.flags() & ~(EV_FLAG1 | EV_FLAG2));
        if (src.hasExited()) {
            event(kn, NOTE_EXIT); // an exit another knote already saw: reported at once
        }
        return src.attach(kn, connector);
    }

    @Override
    public void detach(Knote kn) {
        ((ProcSource) kn.hook()).detach(kn);
    }

    @Override
    public boolean hasTouch() {
        return true;
    }

    /**
     * The seed has no touch for EVFILT_PROC: a later EV_ADD just stores the
     * new fflags and data. Here a knote that now asks for forks, execs or
     * tracking also takes the process-events connector it did not need
     * before (when it cannot be had, those notes stay unheard: an EV_ADD of
     * an existing knote has no error to give).
     */
    @Override
    public void touch(Knote kn, KEventList kev, int i, int type) {
        switch (type) {
            case EVENT_REGISTER -> {
                kn.setSfflags(kev.fflags(i));
                kn.setSdata(kev.data(i));
                if ((kn.sfflags() & (NOTE_FORK | NOTE_EXEC | NOTE_TRACK)) != 0 && kn.hookId() == 0
                        && PROC_EVENTS.acquire() == 0) {
                    if (kn.watchSource(PROC_EVENTS) == 0) {
                        kn.setHookId(1);
                    } else {
                        PROC_EVENTS.release();
                    }
                }
            }
            case EVENT_PROCESS -> {
                kn.copyOut(kev, i);
                kn.setData(0);   // EV_CLEAR is implied
                kn.setFflags(0);
            }
            default -> throw new IllegalArgumentException("touch type " + type);
        }
    }

    /** filt_proc. The hint is NOTE_EXIT, NOTE_FORK or NOTE_EXEC (what happened), or NOTE_TRACKERR. */
    @Override
    public boolean event(Knote kn, long hint) {
        if (hint == NOTE_TRACKERR) {
            if ((kn.sfflags() & (NOTE_FORK | NOTE_EXEC | NOTE_TRACK)) == 0) {
                return kn.fflags() != 0;   // it watches no forks or execs: nothing it asked for was lost
            }
            kn.setFflags(kn.fflags() | NOTE_TRACKERR);
            return true;
        }
        int event = (int) hint & NOTE_PCTRLMASK;
        if ((kn.sfflags() & event) != 0) {
            kn.setFflags(kn.fflags() | event);
        }
        if (event == NOTE_EXIT) {
            // the process is gone, so the event is finished
            kn.setFlags(kn.flags() | EV_EOF | EV_ONESHOT);
            if ((kn.fflags() & NOTE_EXIT) != 0) {
                kn.setData(((ProcSource) kn.hook()).exitStatus());
            }
            if (kn.fflags() == 0) {
                kn.setFlags(kn.flags() | EV_DROP);
            }
            return true;
        }
        return kn.fflags() != 0;
    }
}
