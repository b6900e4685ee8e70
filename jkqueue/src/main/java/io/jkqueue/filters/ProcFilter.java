package io.jkqueue.filters;

import io.jkqueue.Errno;
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
 * CAP_NET_ADMIN: without it they are EPERM.
 */
final class ProcFilter implements FilterOps {
    private static final ProcEventsSource PROC_EVENTS = new ProcEventsSource();

    @Override
    public boolean isFd() {
        return false;
    }

    @Override
    public int attach(Knote kn) {
        if (kn.ident() <= 0 || kn.ident() > Integer.MAX_VALUE) {
            return Errno.ESRCH.code();
        }
        boolean events = (kn.sfflags() & (NOTE_FORK | NOTE_EXEC | NOTE_TRACK)) != 0;
        if (events && !PROC_EVENTS.open()) {
            return Errno.EPERM.code();
        }
        Object acquired = ProcSource.acquire((int) kn.ident());
        if (acquired instanceof Integer negErrno) {
            return -negErrno;
        }
        ProcSource src = (ProcSource) acquired;
        kn.setHook(src);
        kn.setFlags(kn.flags() | EV_CLEAR);   // automatically set
        if ((kn.flags() & EV_FLAG2) != 0) {
            // registered by knote_fork to report the child: NOTE_CHILD with the parent's pid, at once;
            // it does not track further itself (the EV_FLAG1 note does)
            kn.setData(kn.sdata());
            kn.setFflags(NOTE_CHILD);
            kn.setSfflags(kn.sfflags() & ~(NOTE_EXIT | NOTE_EXEC | NOTE_FORK | NOTE_TRACK));
        }
        kn.setFlags(kn.flags() & ~(EV_FLAG1 | EV_FLAG2));
        if (src.hasExited()) {
            event(kn, NOTE_EXIT); // an exit another knote already saw: reported at once
        }
        src.knlist.add(kn);
        // a process that has already exited makes the pidfd readable at once: epoll reports it
        int error = kn.watchSource(src);
        if (error == 0 && (kn.sfflags() & (NOTE_FORK | NOTE_EXEC | NOTE_TRACK)) != 0) {
            error = kn.watchSource(PROC_EVENTS);
            if (error != 0) {
                kn.unwatchSource(src);
            }
        }
        if (error != 0) {
            src.knlist.remove(kn);
            src.release();
        }
        return error;
    }

    @Override
    public void detach(Knote kn) {
        ProcSource src = (ProcSource) kn.hook();
        if ((kn.sfflags() & (NOTE_FORK | NOTE_EXEC | NOTE_TRACK)) != 0) {
            kn.unwatchSource(PROC_EVENTS);
        }
        kn.unwatchSource(src);
        src.knlist.remove(kn);
        src.release();
    }

    /** filt_proc. The hint is NOTE_EXIT, NOTE_FORK or NOTE_EXEC (what happened), or NOTE_TRACKERR. */
    @Override
    public boolean event(Knote kn, long hint) {
        if (hint == NOTE_TRACKERR) {
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
