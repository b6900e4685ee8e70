package io.jkqueue;

import io.jkqueue.filters.ProcDescFilter;
import io.jkqueue.linux.Kernel;
import io.jkqueue.linux.Libc;
import io.jkqueue.linux.LinuxErrno;
import io.jkqueue.linux.PidFd;

/**
 * A process descriptor (FreeBSD's procdesc, here a Linux pidfd): names one
 * process for as long as it is open, whoever reaps the process and whatever
 * later takes its number. {@link #fd()} is the ident of EVFILT_PROCDESC,
 * which reports the exit with its wait(2) status; it takes no other filter.
 * Needs Linux 5.3 (pidfd_open).
 */
public final class ProcessDescriptor implements AutoCloseable {
    private final int fd;
    private final long pid;
    private boolean closed;   // under this

    private ProcessDescriptor(int fd, long pid) {
        this.fd = fd;
        this.pid = pid;
    }

    /**
     * pidfd_open(2): a descriptor of the process {@code pid} names now.
     *
     * @param pid a process id
     * @return a new descriptor, to close
     * @throws KQueueException ESRCH: no such process (a reaped one included); EPERM; EMFILE/ENFILE; ENOSYS
     *         before Linux 5.3
     */
    public static ProcessDescriptor open(long pid) throws KQueueException {
        if (pid <= 0 || pid > Integer.MAX_VALUE) {
            throw new KQueueException(Errno.ESRCH, "no process " + pid);
        }
        int fd = PidFd.open((int) pid);
        if (fd < 0) {
            int linux = Libc.errno();
            Errno e = switch (linux) {
                case LinuxErrno.EPERM -> Errno.EPERM;
                case LinuxErrno.EMFILE -> Errno.EMFILE;
                case LinuxErrno.ENFILE -> Errno.ENFILE;
                case LinuxErrno.ENOMEM -> Errno.ENOMEM;
                case LinuxErrno.ENOSYS -> {
                    Kernel.Feature.PIDFD_OPEN.markMissing();
                    yield Errno.ENOSYS;
                }
                default -> Errno.ESRCH;   // ESRCH, or EINVAL for a thread that is not a process
            };
            throw new KQueueException(e, "pidfd_open " + pid + " failed (Linux errno " + linux + ")"
                    + (e == Errno.ENOSYS ? ": this kernel lacks " + Kernel.Feature.PIDFD_OPEN : ""));
        }
        ProcessDescriptor pd = new ProcessDescriptor(fd, pid);
        ProcDescFilter.opened(pd);
        return pd;
    }

    /**
     * A descriptor of the process {@code h} stands for.
     *
     * @param h a process, such as {@code Process.toHandle()}
     * @return a new descriptor, to close
     * @throws KQueueException ESRCH once that process has been reaped (even if its number names another now)
     */
    public static ProcessDescriptor of(ProcessHandle h) throws KQueueException {
        ProcessDescriptor pd = open(h.pid());
        // h's process started before the pidfd was opened: if the number still names it, so does the pidfd
        if (!ProcessHandle.of(h.pid()).map(h::equals).orElse(false)) {
            pd.close();
            throw new KQueueException(Errno.ESRCH, "process " + h.pid() + " of " + h + " is gone");
        }
        return pd;
    }

    /**
     * The descriptor: the ident for EVFILT_PROCDESC.
     *
     * @return its number
     */
    public int fd() {
        return fd;
    }

    /**
     * pdgetpid: the process's pid (a number another process may have once this one is reaped).
     *
     * @return the pid
     */
    public long pid() {
        return pid;
    }

    /**
     * pdkill: sends Linux signal {@code signal} (0 only checks) to the
     * process, never to another that took its number.
     *
     * @param signal a Linux signal number, or 0
     * @throws KQueueException ESRCH once the process has been reaped; EPERM; EINVAL for a bad signal;
     *         EBADF once closed
     */
    public synchronized void kill(int signal) throws KQueueException {
        if (closed) {
            throw new KQueueException(Errno.EBADF, this + " is closed");
        }
        if (PidFd.sendSignal(fd, signal) != 0) {
            throw Fd.error("pidfd_send_signal " + signal + " to " + this);
        }
    }

    /**
     * Closes the descriptor as {@link Fd#close} does: its knotes, in every
     * kqueue, are gone first. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        ProcDescFilter.closing(this);
        try {
            Fd.closeNumber(fd);
        } catch (KQueueException e) {
            throw new IllegalStateException(this + " was closed behind its back", e);
        }
    }

    @Override
    public String toString() {
        return "ProcessDescriptor[fd=" + fd + ", pid=" + pid + (closed ? ", closed" : "") + "]";
    }
}
