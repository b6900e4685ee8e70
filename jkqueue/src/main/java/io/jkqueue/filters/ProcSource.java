package io.jkqueue.filters;

import io.jkqueue.Errno;
import io.jkqueue.linux.Kernel;
import io.jkqueue.linux.Libc;
import io.jkqueue.linux.LinuxErrno;
import io.jkqueue.linux.PidFd;
import io.jkqueue.spi.DescriptorSource;
import io.jkqueue.spi.KnList;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

import static io.jkqueue.KEvent.NOTE_EXIT;

/**
 * One watched process (the seed's struct proc with its p_klist): a pidfd,
 * shared by every knote on the process in any kqueue, never by the knotes of
 * another process that had the same number, that turns readable
 * when the process exits, and the knlist its events go to. Its exit status
 * is taken once, from the kernel's record of the exit (PIDFD_GET_INFO, Linux
 * 6.15), which survives whoever reaps the process (for a ProcessBuilder
 * child, the JDK's reaper), or before the reaping from waitid(WNOWAIT) or the
 * zombie's /proc stat.
 */
final class ProcSource implements DescriptorSource {
    // pid -> the source of the last process watched under that number (the one process events go to)
    private static final Map<Integer, ProcSource> BY_PID = new HashMap<>();

    final int pid;
    private final int pidfd;
    final KnList knlist = KnList.create();
    private int users;
    private volatile int exitStatus = -1;

    private ProcSource(int pid, int pidfd) {
        this.pid = pid;
        this.pidfd = pidfd;
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
                int pidfd = PidFd.open(pid);
                if (pidfd < 0) {
                    return Acquired.failed(openError());
                }
                // an earlier process that had the number keeps its source for its own knotes
                src = new ProcSource(pid, pidfd);
                BY_PID.put(pid, src);
            }
            src.users++;
            return Acquired.of(src);
        }
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
        return PidFd.sendSignal(pidfd, 0) != 0 && Libc.errno() == LinuxErrno.ESRCH;
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
        if (exitStatus < 0) {
            exitStatus = readExitStatus();
        }
        knlist.knote(NOTE_EXIT);
    }

    boolean hasExited() {
        return exitStatus >= 0;
    }

    int exitStatus() {
        return Math.max(exitStatus, 0);
    }

    /**
     * At the exit our own child is usually not reaped yet (one waitid with
     * WNOWAIT); once reaped, by the JDK or by another parent, the kernel's
     * record answers; a zombie of another parent has its /proc stat; and the
     * record again, in case the reaping happened between the looks.
     */
    private int readExitStatus() {
        int status = PidFd.peekChildStatus(pidfd);
        if (status < 0) {
            status = PidFd.exitStatus(pidfd);
        }
        if (status < 0) {
            status = zombieStatus();
        }
        if (status < 0) {
            status = PidFd.exitStatus(pidfd);
        }
        return Math.max(status, 0);
    }

    /**
     * Field 52 of /proc/PID/stat: exit_code, the wait status of a zombie;
     * ours only if our process was not reaped when it had been read (the
     * number may name another process since).
     */
    private int zombieStatus() {
        try {
            String stat = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            if (!fields[0].equals("Z") || reaped()) {
                return -1;
            }
            return Integer.parseInt(fields[49].trim());
        } catch (IOException | RuntimeException gone) {
            return -1;
        }
    }
}
