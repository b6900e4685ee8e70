package io.jkqueue.filters;

import io.jkqueue.Errno;
import io.jkqueue.linux.Kernel;
import io.jkqueue.linux.Libc;
import io.jkqueue.linux.LinuxErrno;
import io.jkqueue.linux.PidFd;
import io.jkqueue.linux.Poll;
import io.jkqueue.linux.ProcStat;
import io.jkqueue.spi.DescriptorSource;
import io.jkqueue.spi.KnList;
import io.jkqueue.spi.Knote;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

import static io.jkqueue.KEvent.NOTE_EXIT;

/**
 * One watched process (the seed's struct proc with its p_klist): a pidfd,
 * shared by every knote on the process in any kqueue, never by the knotes of
 * another process that had the same number, that turns readable
 * when the process exits, and the knlist its events go to. Its exit status
 * is taken once, when the pidfd turns readable: from the kernel's record of
 * the exit (PIDFD_GET_INFO, Linux 6.15), which survives whoever reaps the
 * process (for a ProcessBuilder child, the JDK's reaper); on an older kernel
 * from the process-events connector's exit message, which the exiting
 * process sends itself, just after its parent was told (so also when the
 * parent reaps it at once); else, before the reaping, from waitid(WNOWAIT)
 * or the zombie's /proc stat. When none of them has it, NOTE_EXIT reports
 * {@link #UNKNOWN_STATUS}.
 */
final class ProcSource implements DescriptorSource {
    /**
     * NOTE_EXIT's data when nothing could tell the exit status (an older
     * kernel without the connector, and a process reaped before it was
     * looked at): -1, which no wait(2) status is (neither WIFEXITED nor
     * WIFSIGNALED holds for it).
     */
    static final int UNKNOWN_STATUS = -1;
    private static final int RUNNING = Integer.MIN_VALUE;
    // do_exit sends the connector's message just after it makes the pidfd readable: the longest wait for it
    private static final long MESSAGE_WAIT_NANOS = 100_000_000L;
    // the longest wait for a reaping under way to leave the exit status where a pidfd can read it
    private static final long REAP_WAIT_NANOS = 1_000_000_000L;
    private static final long REAP_POLL_NANOS = 100_000L;

    // pid -> the source of the last process watched under that number (the one process events go to)
    private static final Map<Integer, ProcSource> BY_PID = new HashMap<>();
    private static boolean probed;   // under BY_PID: PIDFD_GET_INFO answered

    final int pid;
    private final int pidfd;
    // System.nanoTime() before pidfd_open: an exit of the number before it was an earlier process's
    // (the connector stamps messages with CLOCK_MONOTONIC, nanoTime's clock outside a time namespace)
    private final long openedAt;
    final KnList knlist = KnList.create();
    private int users;
    private volatile boolean messageExpected;   // the connector was subscribed while the process was alive
    private volatile int reportedStatus = -1;   // from the connector's exit message
    private volatile int exitStatus = RUNNING;

    private ProcSource(int pid, int pidfd, long openedAt) {
        this.pid = pid;
        this.pidfd = pidfd;
        this.openedAt = openedAt;
    }

    /**
     * The source of the process that {@code pid} names now, opened if need
     * be; or the errno code why there is none (ESRCH: no such process, reaped
     * ones included; EMFILE/ENFILE: no descriptor for its pidfd).
     */
    static Acquired<ProcSource> acquire(int pid) {
        synchronized (BY_PID) {
            ProcSource src = BY_PID.get(pid);
            // a pidfd names one process: the cached one is still the holder of the number unless it was reaped
            if (src == null || src.reaped()) {
                if (!Kernel.Feature.PIDFD_OPEN.present()) {
                    return Acquired.failed(Errno.ENOSYS.code());
                }
                long openedAt = System.nanoTime();
                int pidfd = PidFd.open(pid);
                if (pidfd < 0) {
                    return Acquired.failed(openError());
                }
                probeExitInfo(pidfd);
                int status = statusNow(pid, pidfd);
                if (status == UNKNOWN_STATUS) {
                    Libc.close(pidfd);
                    return Acquired.failed(Errno.ESRCH.code());
                }
                // an earlier process that had the number keeps its source for its own knotes
                src = new ProcSource(pid, pidfd, openedAt);
                src.exitStatus = status;
                BY_PID.put(pid, src);
            }
            src.users++;
            return Acquired.of(src);
        }
    }

    /**
     * The source of the process that {@code pidfd}, a process descriptor of
     * {@code pid}, names: the one knotes on that process share while it is
     * not reaped (its number names it), else one of its own over a duplicate
     * of {@code pidfd}; or the errno code why there is none (EMFILE/ENFILE).
     */
    static Acquired<ProcSource> acquire(int pidfd, int pid) {
        synchronized (BY_PID) {
            long openedAt = System.nanoTime();
            ProcSource src = BY_PID.get(pid);
            // both unreaped, the shared one looked at first: both held the number at once, so one process
            if (src == null || src.reaped() || reaped(pidfd)) {
                int dup = Libc.fcntl(pidfd, Libc.F_DUPFD_CLOEXEC, 0);
                if (dup < 0) {
                    Errno e = NativeError.last();
                    return Acquired.failed(e == Errno.ENFILE ? e.code() : Errno.EMFILE.code());
                }
                probeExitInfo(dup);
                src = new ProcSource(pid, dup, openedAt);
                if (!reaped(dup)) {
                    BY_PID.put(pid, src);   // events of the number are this process's until it is reaped
                }
            }
            src.users++;
            return Acquired.of(src);
        }
    }

    /**
     * Tries PIDFD_GET_INFO on the first pidfd (the kernel answers for a live
     * process since 6.13): missing unless it answers; a process that has
     * exited (it may be in the middle of its reaping, which the answer does
     * not survive) leaves the question to the next pidfd.
     */
    private static void probeExitInfo(int pidfd) {
        Kernel.Feature info = Kernel.Feature.PIDFD_GET_INFO;
        if (!probed && info.present()) {
            if (PidFd.getInfo(pidfd) == 0) {
                probed = true;
            } else if ((Poll.now(pidfd, Poll.POLLIN) & Poll.POLLIN) == 0) {
                info.markMissing();
            }
        }
    }

    /**
     * Whether the kernel keeps a process's exit status for its pidfd after
     * the reaping (PIDFD_GET_INFO, Linux 6.15); if not, a knote holds the
     * process-events connector for the status in its exit message.
     */
    static boolean exitStatusKept() {
        return Kernel.Feature.PIDFD_GET_INFO.present();
    }

    /**
     * RUNNING while the pidfd's process runs; else its wait status, read at
     * once because it may soon be out of reach (a pidfd opened after the
     * exit gets no record from the kernel, and the reaping takes the
     * zombie): our unreaped child's, the zombie's, or the record of an exit
     * after the open. UNKNOWN_STATUS when none answers: the process was
     * being reaped, and kevent answers ESRCH as for a reaped one.
     */
    private static int statusNow(int pid, int pidfd) {
        if ((Poll.now(pidfd, Poll.POLLIN) & Poll.POLLIN) == 0) {
            return RUNNING;
        }
        int status = PidFd.peekChildStatus(pidfd);
        if (status < 0) {
            status = zombieStatus(pid, pidfd);
        }
        if (status < 0 && exitStatusKept()) {
            status = PidFd.exitStatus(pidfd);
        }
        return status < 0 ? UNKNOWN_STATUS : status;
    }

    /** filt_procattach's answer for a failed pidfd_open. */
    private static int openError() {
        Errno e = NativeError.last();
        return switch (e) {
            case EMFILE, ENFILE, ENOMEM, EPERM -> e.code();
            case ENOSYS -> {
                Kernel.Feature.PIDFD_OPEN.markMissing();   // before Linux 5.3: no exit notification to be had
                yield e.code();
            }
            case null, default -> Errno.ESRCH.code();   // ESRCH, or EINVAL for a number that is a thread, not a process
        };
    }

    /** Whether the process is gone for good (reaped), its number free for another: a zombie is not. */
    private boolean reaped() {
        return reaped(pidfd);
    }

    private static boolean reaped(int pidfd) {
        return PidFd.sendSignal(pidfd, 0) != 0 && Libc.errno() == LinuxErrno.ESRCH;
    }

    /**
     * A knote on this process holds the connector (on a kernel that keeps no
     * exit status): if the process is still alive, its exit message will
     * come; if it exited before the connector listened, its status is read
     * now, while it can be. False when nothing can tell it any more (it was
     * reaped meanwhile).
     */
    boolean connectorHeld() {
        if (messageExpected || exitStatus != RUNNING) {
            return true;
        }
        synchronized (this) {   // as drain: one looks at an exit
            int status = statusNow(pid, pidfd);
            if (status == RUNNING) {
                messageExpected = true;
                return true;
            }
            if (exitStatus == RUNNING) {
                exitStatus = reportedStatus >= 0 ? reportedStatus : status;
            }
            return exitStatus != UNKNOWN_STATUS;
        }
    }

    /**
     * The connector reports that process {@code pid} exited with the wait
     * status {@code status} at {@code when} (System.nanoTime()'s clock). Only
     * the first exit of the number since its pidfd was opened is the
     * watched process's: one before was an earlier process's (and one
     * after, of a later process that reused the reaped number, comes after
     * this one's).
     */
    static void exited(int pid, int status, long when) {
        synchronized (BY_PID) {
            ProcSource src = BY_PID.get(pid);
            if (src != null && when - src.openedAt >= 0 && src.reportedStatus < 0) {
                src.reportedStatus = status;
            }
        }
    }

    /**
     * Puts {@code kn} (whose hook is this source, and whose hookId is 1 when
     * it holds the process-events connector, acquired by the caller) on this
     * process's knlist and its pidfd, and the connector's socket, in the
     * knote's kqueue; on failure undoes it all, releasing this source and
     * the connector. Returns 0 or an errno code.
     */
    int attach(Knote kn, boolean connector) {
        knlist.add(kn);
        // a process that has already exited makes the pidfd readable at once: epoll reports it
        int error = kn.watchSource(this);
        if (error == 0 && connector) {
            error = kn.watchSource(ProcEventsSource.SHARED);
            if (error != 0) {
                kn.unwatchSource(this);
            }
        }
        if (error != 0) {
            knlist.remove(kn);
            release();
            if (connector) {
                ProcEventsSource.SHARED.release();
            }
        }
        return error;
    }

    /** Undoes {@link #attach}. */
    void detach(Knote kn) {
        if (kn.hookId() == 1) {
            kn.unwatchSource(ProcEventsSource.SHARED);   // before the release: the last one closes the socket
            ProcEventsSource.SHARED.release();
        }
        kn.unwatchSource(this);
        knlist.remove(kn);
        release();
    }

    void release() {
        synchronized (BY_PID) {
            if (--users == 0) {
                BY_PID.remove(pid, this);
                Libc.close(pidfd);
            }
        }
    }

    /** The knlist of a watched process, or null. */
    static KnList knlistOf(int pid) {
        synchronized (BY_PID) {
            ProcSource src = BY_PID.get(pid);
            return src == null ? null : src.knlist;
        }
    }

    /** Runs {@code action} on the knlist of every watched process (outside the registry's lock). */
    static void forEachKnlist(Consumer<KnList> action) {
        KnList[] lists;
        synchronized (BY_PID) {
            lists = BY_PID.values().stream().map(s -> s.knlist).toArray(KnList[]::new);
        }
        for (KnList l : lists) {
            action.accept(l);
        }
    }

    @Override
    public int fd() {
        return pidfd;
    }

    /** The pidfd turned readable: the process has exited. */
    @Override
    public void drain() {
        if (exitStatus == RUNNING) {
            synchronized (this) {   // several kqueues may drain at once: one looks, the others wait for its answer
                if (exitStatus == RUNNING) {
                    exitStatus = readExitStatus();
                }
            }
        }
        knlist.knote(NOTE_EXIT);
    }

    boolean hasExited() {
        return exitStatus != RUNNING;
    }

    /** The wait(2) status, or {@link #UNKNOWN_STATUS}. */
    int exitStatus() {
        return exitStatus;
    }

    /**
     * With the kernel's record: it first (one ioctl), since a ProcessBuilder
     * child is usually reaped by the JDK's reaper thread, woken by the same
     * exit, before this thread runs; our child not reaped yet answers one
     * waitid with WNOWAIT; else a reaping under way or a zombie of another
     * parent ({@link #keptOrZombieStatus}). Without the record, the
     * connector's message, if it was read already; the child and the
     * zombie; then the message, which comes right after the pidfd turned
     * readable.
     */
    private int readExitStatus() {
        int status;
        if (exitStatusKept()) {
            status = PidFd.exitStatus(pidfd);
            if (status < 0) {
                status = PidFd.peekChildStatus(pidfd);
            }
            if (status < 0) {
                status = keptOrZombieStatus();
            }
        } else {
            status = reportedStatus;
            if (status < 0) {
                status = PidFd.peekChildStatus(pidfd);
            }
            if (status < 0) {
                status = zombieStatus();
            }
            if (status < 0 && messageExpected) {
                status = awaitReportedStatus();
            }
        }
        return status < 0 ? UNKNOWN_STATUS : status;
    }

    /**
     * The kernel's record once the process is reaped, a zombie's stat
     * before. Around the reaping neither answers for a moment: the parent's
     * wait has taken the status (stat says X), or release_task has unhashed
     * the task but not yet recorded its exit. So look again until one
     * answers. A process reaped for REAP_WAIT_NANOS with no record shows
     * that the kernel keeps none (6.13 and 6.14 answer PIDFD_GET_INFO without
     * PIDFD_INFO_EXIT): from then on, the connector's messages are used.
     */
    private int keptOrZombieStatus() {
        long deadline = System.nanoTime() + REAP_WAIT_NANOS;
        for (;;) {
            int status = zombieStatus();   // not reaped yet: the parent is not ours, or not done
            if (status >= 0) {
                return status;
            }
            boolean gone = reaped();
            status = PidFd.exitStatus(pidfd);
            if (status >= 0) {
                return status;
            }
            if (System.nanoTime() - deadline >= 0) {
                if (gone) {
                    Kernel.Feature.PIDFD_GET_INFO.markMissing();
                }
                return -1;
            }
            LockSupport.parkNanos(REAP_POLL_NANOS);
        }
    }

    /** Reads the connector until this process's exit message has been read, or for MESSAGE_WAIT_NANOS at most. */
    private int awaitReportedStatus() {
        long deadline = System.nanoTime() + MESSAGE_WAIT_NANOS;
        for (;;) {
            ProcEventsSource.SHARED.drain();
            int status = reportedStatus;
            long left = deadline - System.nanoTime();
            if (status >= 0 || left <= 0) {
                return status;
            }
            ProcEventsSource.SHARED.await(left);
        }
    }

    /**
     * Field 52 of /proc/PID/stat: exit_code, the wait status of a zombie;
     * ours only if our process was not reaped when it had been read (the
     * number may name another process since).
     */
    private int zombieStatus() {
        return zombieStatus(pid, pidfd);
    }

    private static int zombieStatus(int pid, int pidfd) {
        int status = ProcStat.zombieExitCode(pid);
        return status < 0 || reaped(pidfd) ? -1 : status;
    }
}
