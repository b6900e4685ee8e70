package io.jkqueue.linux;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

import static io.jkqueue.linux.Libc.C_INT;
import static io.jkqueue.linux.Libc.C_LONG;
import static io.jkqueue.linux.Libc.PTR;

/** pidfd_open(2), pidfd_send_signal(2), PIDFD_GET_INFO and waitid(P_PIDFD): literal bindings, no policy. */
public final class PidFd {
    private PidFd() {}

    private static final long SYS_PIDFD_OPEN = 434;   // the same number on every Linux ABI
    private static final long SYS_PIDFD_SEND_SIGNAL = 424;

    // errno values (Linux numbering) of pidfd_open and pidfd_send_signal that callers tell apart
    public static final int ESRCH = 3;
    public static final int ENOMEM = 12;
    public static final int ENFILE = 23;
    public static final int EMFILE = 24;

    // _IOWR(PIDFS_IOCTL_MAGIC 0xFF, 11, struct pidfd_info of 64 bytes), Linux 6.15
    private static final long PIDFD_GET_INFO = (3L << 30) | (64L << 16) | (0xFFL << 8) | 11;
    private static final long PIDFD_INFO_EXIT = 1L << 3;
    private static final long INFO_EXIT_CODE = 60;
    public static final long INFO_SIZE = 64;

    private static final int P_PIDFD = 3;
    private static final int WEXITED = 4;
    private static final int WNOHANG = 1;
    private static final int WNOWAIT = 0x01000000;
    public static final long SIGINFO_SIZE = 128;
    private static final long SI_CODE = 8;
    private static final long SI_PID = 16;
    private static final long SI_STATUS = 24;
    private static final int CLD_EXITED = 1;
    private static final int CLD_KILLED = 2;
    private static final int CLD_DUMPED = 3;

    private static final MethodHandle SYSCALL = Libc.LINKER.downcallHandle(
            Libc.LINKER.defaultLookup().find("syscall").orElseThrow(),
            FunctionDescriptor.of(C_LONG, C_LONG, C_LONG, C_LONG), Libc.CAPTURE_ERRNO, Linker.Option.firstVariadicArg(1));
    private static final MethodHandle SYSCALL4 = Libc.LINKER.downcallHandle(
            Libc.LINKER.defaultLookup().find("syscall").orElseThrow(),
            FunctionDescriptor.of(C_LONG, C_LONG, C_LONG, C_LONG, PTR, C_LONG), Libc.CAPTURE_ERRNO,
            Linker.Option.firstVariadicArg(1));
    private static final MethodHandle IOCTL = Libc.LINKER.downcallHandle(
            Libc.LINKER.defaultLookup().find("ioctl").orElseThrow(),
            FunctionDescriptor.of(C_INT, C_INT, C_LONG, PTR), Libc.CAPTURE_ERRNO, Linker.Option.firstVariadicArg(2));
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
     * The wait(2) status the kernel kept for an exited and reaped process
     * (PIDFD_GET_INFO with PIDFD_INFO_EXIT), using {@code buf} ({@link #INFO_SIZE}
     * bytes); -1 when it has none (not reaped yet, or a kernel before 6.15).
     */
    public static int exitStatus(int pidfd, MemorySegment buf) {
        buf.fill((byte) 0);
        buf.set(ValueLayout.JAVA_LONG, 0, PIDFD_INFO_EXIT);
        try {
            int rc = (int) IOCTL.invokeExact(Libc.state(), pidfd, PIDFD_GET_INFO, buf);
            if (rc != 0 || (buf.get(ValueLayout.JAVA_LONG, 0) & PIDFD_INFO_EXIT) == 0) {
                return -1;
            }
            return buf.get(ValueLayout.JAVA_INT, INFO_EXIT_CODE);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * The wait(2) status of an exited child that is not reaped yet, leaving it
     * to be reaped (waitid with WNOWAIT), using {@code buf} ({@link #SIGINFO_SIZE}
     * bytes); -1 if it is not an exited child of this process.
     */
    public static int peekChildStatus(int pidfd, MemorySegment buf) {
        buf.fill((byte) 0);
        try {
            int rc = (int) WAITID.invokeExact(Libc.state(), P_PIDFD, pidfd, buf, WEXITED | WNOHANG | WNOWAIT);
            if (rc != 0 || buf.get(ValueLayout.JAVA_INT, SI_PID) == 0) {
                return -1;
            }
            int status = buf.get(ValueLayout.JAVA_INT, SI_STATUS);
            return switch (buf.get(ValueLayout.JAVA_INT, SI_CODE)) {
                case CLD_EXITED -> (status & 0xff) << 8;
                case CLD_KILLED -> status & 0x7f;
                case CLD_DUMPED -> (status & 0x7f) | 0x80;
                default -> -1;
            };
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
