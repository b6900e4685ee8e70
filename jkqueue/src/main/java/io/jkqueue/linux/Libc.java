package io.jkqueue.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The one place that binds libc symbols and captures errno. Every syscall
 * wrapper in this package takes its errno from {@link #errno()} right after a
 * call that returned -1.
 */
public final class Libc {
    private Libc() {}

    static final Linker LINKER = Linker.nativeLinker();
    static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    // One capture buffer per thread: the hot path must not allocate.
    private static final ThreadLocal<MemorySegment> STATE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CALL_STATE));

    static final ValueLayout.OfInt C_INT = ValueLayout.JAVA_INT;
    static final ValueLayout.OfLong C_LONG = ValueLayout.JAVA_LONG;
    static final ValueLayout PTR = ValueLayout.ADDRESS;

    /** Binds {@code name}; the handle's first argument is the errno capture segment. */
    static MethodHandle bind(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(find(name), fd, CAPTURE_ERRNO);
    }

    /**
     * Binds a call that returns at once (never blocks) as a critical
     * function: no thread-state transition around it.
     */
    static MethodHandle bindCritical(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(find(name), fd, CAPTURE_ERRNO, Linker.Option.critical(false));
    }

    /** Binds {@code name} or returns null when this libc lacks it. */
    static MethodHandle bindOptional(String name, FunctionDescriptor fd) {
        return LINKER.defaultLookup().find(name)
                .map(addr -> LINKER.downcallHandle(addr, fd, CAPTURE_ERRNO))
                .orElse(null);
    }

    private static MemorySegment find(String name) {
        return LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
    }

    /** This thread's errno capture segment, passed as the first argument of a bound call. */
    static MemorySegment state() {
        return STATE.get();
    }

    /** The errno of this thread's last bound call. */
    public static int errno() {
        return (int) ERRNO.get(STATE.get(), 0L);
    }

    // errno values used in policy decisions (Linux numbering)
    public static final int EINTR = 4;
    public static final int EBADF = 9;
    public static final int EEXIST = 17;
    public static final int ENOENT = 2;
    public static final int EPERM = 1;
    public static final int EACCES = 13;
    public static final int ELOOP = 40;

    private static final MethodHandle CLOSE = bind("close", FunctionDescriptor.of(C_INT, C_INT));
    private static final MethodHandle FCNTL = LINKER.downcallHandle(find("fcntl"),
            FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT), CAPTURE_ERRNO, Linker.Option.firstVariadicArg(2));
    private static final int F_GETFD = 1;
    public static final int F_GETPIPE_SZ = 1032;

    /** close(2); returns 0 or -1 (errno in {@link #errno()}). */
    public static int close(int fd) {
        try {
            return (int) CLOSE.invokeExact(state(), fd);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** fcntl(fd, cmd, arg) for an int-valued command; the result or -1 with errno set. */
    public static int fcntl(int fd, int cmd, int arg) {
        try {
            return (int) FCNTL.invokeExact(state(), fd, cmd, arg);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** Whether {@code fd} names an open descriptor of this process (fcntl F_GETFD). */
    public static boolean isOpen(int fd) {
        return fcntl(fd, F_GETFD, 0) >= 0;
    }

    public static final long SCRATCH_BYTES = 512;
    private static final ThreadLocal<MemorySegment> SCRATCH =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(SCRATCH_BYTES, 8));

    /**
     * This thread's scratch buffer ({@link #SCRATCH_BYTES} bytes) for the
     * out-parameters of short calls (ioctl ints, statx, getsockopt): the hot
     * path allocates nothing. Valid until this thread's next call that uses it.
     */
    public static MemorySegment scratch() {
        return SCRATCH.get();
    }
}
