package io.jkqueue.filters;

import io.jkqueue.Errno;
import io.jkqueue.KEvent;
import io.jkqueue.ProcessDescriptor;
import io.jkqueue.linux.Stat;
import io.jkqueue.spi.FilterOps;
import io.jkqueue.spi.Knote;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;

import static io.jkqueue.KEvent.EV_CLEAR;
import static io.jkqueue.KEvent.EV_DROP;
import static io.jkqueue.KEvent.EV_EOF;
import static io.jkqueue.KEvent.EV_ONESHOT;
import static io.jkqueue.KEvent.NOTE_EXIT;
import static io.jkqueue.KEvent.NOTE_PCTRLMASK;

/**
 * EVFILT_PROCDESC (sys_procdesc.c: procdesc_kqfilter, procdesc_kqops) on a
 * process descriptor, a Linux pidfd: NOTE_EXIT with the wait(2) status. A
 * process descriptor takes this filter only, and this filter only a process
 * descriptor (EINVAL). The exit and its status come from the process's
 * {@link ProcSource}, shared with the EVFILT_PROC knotes on the process while
 * it is not reaped. The descriptors {@link ProcessDescriptor} opened are
 * known here by number, so that recognising one needs no syscall.
 */
public final class ProcDescFilter implements FilterOps {
    private static final ProcEventsSource PROC_EVENTS = ProcEventsSource.SHARED;
    private static final String PIDFD_LINK = "anon_inode:[pidfd]";

    private static final ConcurrentHashMap<Integer, ProcessDescriptor> OPENED = new ConcurrentHashMap<>();

    ProcDescFilter() {}

    /** EVFILT_PROCDESC on any other descriptor (vn_kqfilter, soo_kqfilter, pipe_kqfilter: not theirs). */
    static final FilterOps NOT_A_PROCDESC = new FilterOps() {
        @Override public boolean isFd() { return true; }
        @Override public int attach(Knote kn) { return Errno.EINVAL.code(); }
        @Override public void detach(Knote kn) { }
        @Override public boolean event(Knote kn, long hint) { return false; }
    };

    /** ProcessDescriptor opened {@code pd}. */
    public static void opened(ProcessDescriptor pd) {
        OPENED.put(pd.fd(), pd);
    }

    /** {@code pd} is being closed: its number is no longer a process descriptor. */
    public static void closing(ProcessDescriptor pd) {
        OPENED.remove(pd.fd(), pd);
    }

    /** The open ProcessDescriptor whose number {@code fd} is, or null. */
    public static ProcessDescriptor descriptor(int fd) {
        return OPENED.get(fd);
    }

    /**
     * Whether the knote's descriptor is a process descriptor: one that
     * ProcessDescriptor opened, or any pidfd (an anonymous inode named
     * "anon_inode:[pidfd]", or a pidfs file since Linux 6.9). A channel Fd.of
     * handed out is a socket, pipe or file.
     */
    static boolean isProcDesc(Knote kn) {
        if (kn.channel() != null) {
            return false;
        }
        int fd = (int) kn.ident();
        if (OPENED.containsKey(fd)) {
            return true;
        }
        Stat.Buffer stx = Stat.threadBuffer();
        if (!stx.fstatx(fd) || stx.type() != 0) {
            return false;   // a pidfd has no file type, as any anonymous inode
        }
        if (Stat.fsType(fd) == Stat.PIDFS_MAGIC) {
            return true;
        }
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString().equals(PIDFD_LINK);
        } catch (IOException | UnsupportedOperationException gone) {
            return false;
        }
    }

    /** pdgetpid: the pid of process descriptor {@code fd}, from its fdinfo if jkqueue did not open it; -1 once reaped. */
    private static int pidOf(int fd) {
        ProcessDescriptor pd = OPENED.get(fd);
        if (pd != null) {
            return (int) pd.pid();
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo/" + fd))) {
                if (line.startsWith("Pid:")) {
                    return Integer.parseInt(line.substring(4).trim());
                }
            }
        } catch (IOException | NumberFormatException gone) {
            // closed meanwhile: its exit is then never seen, as for any closed descriptor
        }
        return -1;
    }

    @Override
    public boolean isFd() {
        return true;
    }

    /** procdesc_kqfilter: EVFILT_PROCDESC only; EV_CLEAR automatically set. */
    @Override
    public int attach(Knote kn) {
        if (kn.filter() != KEvent.EVFILT_PROCDESC) {
            return Errno.EINVAL.code();
        }
        int fd = (int) kn.ident();
        Acquired<ProcSource> acquired = ProcSource.acquire(fd, pidOf(fd));
        ProcSource src = acquired.source();
        if (src == null) {
            return acquired.error();
        }
        // a kernel that keeps no exit status for a pidfd (before 6.15): the connector's exit message has it
        boolean connector = !ProcSource.exitStatusKept() && PROC_EVENTS.acquire() == 0;
        if (connector) {
            src.connectorHeld();   // a status already out of reach is reported unknown: the descriptor stays valid
        }
        kn.setHook(src);
        kn.setHookId(connector ? 1 : 0);
        kn.setFlags(kn.flags() | EV_CLEAR);
        return src.attach(kn, connector);
    }

    @Override
    public void detach(Knote kn) {
        ((ProcSource) kn.hook()).detach(kn);
    }

    /**
     * procdesc_kqops_event. Hint 0 is the look after registration (and at a
     * change): an exit that happened before it is reported then. The
     * process's knlist also hears its forks and execs, which a process
     * descriptor does not report.
     */
    @Override
    public boolean event(Knote kn, long hint) {
        ProcSource src = (ProcSource) kn.hook();
        boolean exited = hint == 0 ? src.hasExited() : (hint & NOTE_PCTRLMASK) == NOTE_EXIT;
        if (!exited) {
            return kn.fflags() != 0;
        }
        kn.setFflags(kn.fflags() | (kn.sfflags() & NOTE_EXIT));
        // the process is gone, so the event is finished
        kn.setFlags(kn.flags() | EV_EOF | EV_ONESHOT);
        if ((kn.fflags() & NOTE_EXIT) != 0) {
            kn.setData(src.exitStatus());
        }
        if (kn.fflags() == 0) {
            kn.setFlags(kn.flags() | EV_DROP);
        }
        return true;
    }
}
