package io.jkqueue.linux;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;

import static io.jkqueue.linux.Libc.C_INT;
import static io.jkqueue.linux.Libc.C_LONG;
import static io.jkqueue.linux.Libc.PTR;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/** pidfd_open(2), pidfd_send_signal(2), PIDFD_GET_INFO and waitid(P_PIDFD): literal bindings, no policy. */
public final class PidFd {
    private PidFd() {}

    private static final long SYS_PIDFD_OPEN = 434;   // the same number on every Linux ABI
    private static final long SYS_PIDFD_SEND_SIGNAL = 424;

    /** struct pidfd_info of Linux 6.15 (linux/pidfd.h, PIDFD_INFO_SIZE_VER0). */
    private static final StructLayout PIDFD_INFO = MemoryLayout.structLayout(
            JAVA_LONG.withName("mask"), JAVA_LONG.withName("cgroupid"),
            JAVA_INT.withName("pid"), JAVA_INT.withName("tgid"), JAVA_INT.withName("ppid"),
            JAVA_INT.withName("ruid"), JAVA_INT.withName("rgid"), JAVA_INT.withName("euid"), JAVA_INT.withName("egid"),
            JAVA_INT.withName("suid"), JAVA_INT.withName("sgid"), JAVA_INT.withName("fsuid"),
            JAVA_INT.withName("fsgid"), JAVA_INT.withName("exit_code"));
    private static final long INFO_MASK = PIDFD_INFO.byteOffset(groupElement("mask"));
    private static final long INFO_EXIT_CODE = PIDFD_INFO.byteOffset(groupElement("exit_code"));
    // _IOWR(PIDFS_IOCTL_MAGIC 0xFF, 11, struct pidfd_info), Linux 6.15
    private static final long PIDFD_GET_INFO = (3L << 30) | (PIDFD_INFO.byteSize() << 16) | (0xFFL << 8) | 11;
    private static final long PIDFD_INFO_EXIT = 1L << 3;

    /** siginfo_t as waitid fills it for SIGCHLD: si_signo, si_errno, si_code, then _sigchld; 128 bytes. */
    private static final StructLayout SIGINFO = MemoryLayout.structLayout(
            JAVA_INT.withName("si_signo"), JAVA_INT.withName("si_errno"), JAVA_INT.withName("si_code"),
            MemoryLayout.paddingLayout(4),
            JAVA_INT.withName("si_pid"), JAVA_INT.withName("si_uid"), JAVA_INT.withName("si_status"),
            MemoryLayout.paddingLayout(100));
    private static final long SI_CODE = SIGINFO.byteOffset(groupElement("si_code"));
    private static final long SI_PID = SIGINFO.byteOffset(groupElement("si_pid"));
    private static final long SI_STATUS = SIGINFO.byteOffset(groupElement("si_status"));

    private static final int P_PIDFD = 3;
    private static final int WEXITED = 4;
    private static final int WNOHANG = 1;
    private static final int WNOWAIT = 0x01000000;
    private static final int CLD_EXITED = 1;
    private static final int CLD_KILLED = 2;
    private static final int CLD_DUMPED = 3;

    private static final MethodHandle SYSCALL = Libc.bind("syscall",
            FunctionDescriptor.of(C_LONG, C_LONG, C_LONG, C_LONG), Libc.variadic(1));
    private static final MethodHandle SYSCALL4 = Libc.bind("syscall",
            FunctionDescriptor.of(C_LONG, C_LONG, C_LONG, C_LONG, PTR, C_LONG), Libc.variadic(1));
    private static final MethodHandle WAITID = Libc.bind("waitid",
            FunctionDescriptor.of(C_INT, C_INT, C_INT, PTR, C_INT));

    /** pidfd_open(pid, 0): a descriptor that turns readable when the process exits; -1 with errno set. */
    public static int open(int pid) {
        try {
            return (int) (long) SYSCALL.invokeExact(Libc.state(), SYS_PIDFD_OPEN, (long) pid, 0L);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * pidfd_send_signal(pidfd, sig, NULL, 0); with {@code sig} 0 it only
     * checks: ESRCH once the process has been reaped (a zombie still answers,
     * 0 or EPERM). Returns 0 or -1 with errno set.
     */
    public static int sendSignal(int pidfd, int sig) {
        try {
            return (int) (long) SYSCALL4.invokeExact(Libc.state(), SYS_PIDFD_SEND_SIGNAL, (long) pidfd, (long) sig,
                    MemorySegment.NULL, 0L);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * PIDFD_GET_INFO asking for PIDFD_INFO_EXIT: 0 if the kernel answered
     * (Linux 6.13; with the exit status only since 6.15, once the process is
     * reaped), or -1 (errno is not kept: ENOTTY before 6.13, ESRCH for a
     * reaped process before 6.15).
     */
    public static int getInfo(int pidfd) {
        return getInfo(pidfd, Libc.scratch());
    }

    // the kernel reads only the mask and writes the whole struct back: nothing else to clear
    private static int getInfo(int pidfd, MemorySegment info) {
        info.set(JAVA_LONG, INFO_MASK, PIDFD_INFO_EXIT);
        return Ioctl.ioctl(pidfd, PIDFD_GET_INFO, info);
    }

    /**
     * The wait(2) status the kernel kept for an exited and reaped process
     * (PIDFD_GET_INFO with PIDFD_INFO_EXIT); -1 when it has none (not reaped
     * yet, or a kernel before 6.15).
     */
    public static int exitStatus(int pidfd) {
        MemorySegment info = Libc.scratch();   // SCRATCH_BYTES holds struct pidfd_info
        if (getInfo(pidfd, info) != 0 || (info.get(JAVA_LONG, INFO_MASK) & PIDFD_INFO_EXIT) == 0) {
            return -1;
        }
        return info.get(JAVA_INT, INFO_EXIT_CODE);
    }

    /**
     * The wait(2) status of an exited child that is not reaped yet, leaving it
     * to be reaped (waitid with WNOWAIT); -1 if it is not an exited child of
     * this process.
     */
    public static int peekChildStatus(int pidfd) {
        MemorySegment info = Libc.scratch().asSlice(0, SIGINFO);
        info.fill((byte) 0);
        int rc;
        try {
            rc = (int) WAITID.invokeExact(Libc.state(), P_PIDFD, pidfd, info, WEXITED | WNOHANG | WNOWAIT);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        if (rc != 0 || info.get(JAVA_INT, SI_PID) == 0) {
            return -1;
        }
        int status = info.get(JAVA_INT, SI_STATUS);
        return switch (info.get(JAVA_INT, SI_CODE)) {
            case CLD_EXITED -> (status & 0xff) << 8;
            case CLD_KILLED -> status & 0x7f;
            case CLD_DUMPED -> (status & 0x7f) | 0x80;
            default -> -1;
        };
    }
}
