package io.jkqueue.filters;

import io.jkqueue.Errno;
import io.jkqueue.linux.Libc;
import io.jkqueue.linux.PidFd;
import io.jkqueue.spi.FilterOps;
import io.jkqueue.spi.KnList;
import io.jkqueue.spi.Knote;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

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
 * EVFILT_PROC (filt_procattach, filt_proc). The exit comes from a pidfd: data
 * = the wait(2) status, for any process this one may see, taken from the
 * kernel's record of the exit (PIDFD_GET_INFO, Linux 6.15), which survives
 * whoever reaps the process (for a ProcessBuilder child, the JDK's reaper),
 * or before the reaping from waitid(WNOWAIT) or the zombie's /proc stat.
 * NOTE_FORK, NOTE_EXEC and NOTE_TRACK come from the process-events connector
 * ({@link ProcEventsSource}); without the privilege for it, they are EPERM.
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
        int pid = (int) kn.ident();
        int pidfd = PidFd.open(pid);
        if (pidfd < 0) {
            return Libc.errno() == Libc.EPERM ? Errno.EPERM.code() : Errno.ESRCH.code();
        }
        kn.setHookId(pidfd);
        kn.setFlags(kn.flags() | EV_CLEAR);   // automatically set
        if ((kn.flags() & EV_FLAG2) != 0) {
            // registered by knote_fork to report the child: NOTE_CHILD with the parent's pid, at once
            kn.setData(kn.sdata());
            kn.setFflags(NOTE_CHILD);
            kn.setSfflags(kn.sfflags() & ~(NOTE_EXIT | NOTE_EXEC | NOTE_FORK | NOTE_TRACK));
        }
        kn.setFlags(kn.flags() & ~(EV_FLAG1 | EV_FLAG2));
        if ((kn.sfflags() & (NOTE_FORK | NOTE_EXEC | NOTE_TRACK)) != 0) {
            Object list = PROC_EVENTS.watch(pid);
            if (list instanceof Integer errno) {
                Libc.close(pidfd);
                return errno;
            }
            int error = kn.watchSource(PROC_EVENTS);
            if (error != 0) {
                PROC_EVENTS.release(pid);
                Libc.close(pidfd);
                return error;
            }
            kn.setHook(list);
            ((KnList) list).add(kn);
        }
        // a process that has already exited makes the pidfd readable at once: epoll reports it
        int error = kn.watchFd(pidfd, Knote.WATCH_READ);
        if (error != 0) {
            detachEvents(kn);
            Libc.close(pidfd);
        }
        return error;
    }

    @Override
    public void detach(Knote kn) {
        kn.unwatchFd();
        Libc.close((int) kn.hookId());
        detachEvents(kn);
    }

    private static void detachEvents(Knote kn) {
        if (kn.hook() instanceof KnList list) {
            list.remove(kn);
            PROC_EVENTS.release((int) kn.ident());
            kn.unwatchSource();
            kn.setHook(null);
        }
    }

    /** filt_proc. Hints: the pidfd turning readable (the exit), or NOTE_FORK, NOTE_EXEC, NOTE_TRACKERR. */
    @Override
    public boolean event(Knote kn, long hint) {
        if ((hint & Knote.HINT_FD) != 0) {
            if ((hint & Knote.HINT_READABLE) == 0) {
                return kn.fflags() != 0;
            }
            if ((kn.sfflags() & NOTE_EXIT) != 0) {
                kn.setFflags(kn.fflags() | NOTE_EXIT);
                kn.setData(exitStatus((int) kn.ident(), (int) kn.hookId()));
            }
            // the process is gone, so the event is finished
            kn.setFlags(kn.flags() | EV_EOF | EV_ONESHOT);
            if (kn.fflags() == 0) {
                kn.setFlags(kn.flags() | EV_DROP);
            }
            return true;
        }
        if (hint == NOTE_TRACKERR) {
            kn.setFflags(kn.fflags() | NOTE_TRACKERR);
        } else {
            int event = (int) hint & NOTE_PCTRLMASK;
            if ((kn.sfflags() & event) != 0) {
                kn.setFflags(kn.fflags() | event);
            }
        }
        return kn.fflags() != 0;
    }

    /**
     * The exit status, whoever reaps the process: the kernel's record once it
     * is reaped, waitid(WNOWAIT) for our own unreaped child, the zombie's
     * /proc stat for anyone else's; then the record again, in case the
     * reaping happened between the looks.
     */
    private static int exitStatus(int pid, int pidfd) {
        MemorySegment buf = Libc.scratch();
        int status = PidFd.exitStatus(pidfd, buf);
        if (status < 0) {
            status = PidFd.peekChildStatus(pidfd, buf);
        }
        if (status < 0) {
            status = zombieStatus(pid);
        }
        if (status < 0) {
            status = PidFd.exitStatus(pidfd, buf);
        }
        return Math.max(status, 0);
    }

    /** Field 52 of /proc/PID/stat: exit_code, the wait status of a zombie. */
    private static int zombieStatus(int pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return fields[0].equals("Z") ? Integer.parseInt(fields[49].trim()) : -1;
        } catch (IOException | RuntimeException gone) {
            return -1;
        }
    }
}
