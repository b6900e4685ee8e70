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
import java.util.Optional;

/**
 * The one place that binds libc symbols and captures errno. The convention of
 * every call in this package: a failed call returns -1 and leaves its Linux
 * errno in {@link #errno()} ({@link LinuxErrno} names and translates it).
 */
public final class Libc {
    private Libc() {}

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    // One capture buffer per thread: the hot path must not allocate.
    private static final ThreadLocal<MemorySegment> STATE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CALL_STATE));

    static final ValueLayout.OfInt C_INT = ValueLayout.JAVA_INT;
    static final ValueLayout.OfLong C_LONG = ValueLayout.JAVA_LONG;
    static final ValueLayout PTR = ValueLayout.ADDRESS;

    /** Whether this is x86-64, whose system call numbers the bindings through syscall(2) use. */
    static final boolean X86_64 = System.getProperty("os.arch").equals("amd64")
            || System.getProperty("os.arch").equals("x86_64");

    /** For a call that returns at once (never blocks): no thread-state transition around it. */
    static final Linker.Option CRITICAL = Linker.Option.critical(false);

    /** For a variadic function: the index of its first variadic argument. */
    static Linker.Option variadic(int firstVariadicArg) {
        return Linker.Option.firstVariadicArg(firstVariadicArg);
    }

    /** Binds {@code name}; the handle's first argument is the errno capture segment ({@link #state()}). */
    static MethodHandle bind(String name, FunctionDescriptor fd, Linker.Option... options) {
        return downcall(find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name)), fd, true,
                options);
    }

    /** Binds a call whose errno nobody reads: no capture segment, and the last captured errno stays. */
    static MethodHandle bindWithoutErrno(String name, FunctionDescriptor fd, Linker.Option... options) {
        return downcall(find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name)), fd, false,
                options);
    }

    /** {@link #bind}, or null when this libc lacks {@code name}. */
    static MethodHandle bindOptional(String name, FunctionDescriptor fd, Linker.Option... options) {
        return find(name).map(addr -> downcall(addr, fd, true, options)).orElse(null);
    }

    /** {@link #bindWithoutErrno}, or null when this libc lacks {@code name}. */
    static MethodHandle bindOptionalWithoutErrno(String name, FunctionDescriptor fd, Linker.Option... options) {
        return find(name).map(addr -> downcall(addr, fd, false, options)).orElse(null);
    }

    private static Optional<MemorySegment> find(String name) {
        return LINKER.defaultLookup().find(name);
    }

    private static MethodHandle downcall(MemorySegment addr, FunctionDescriptor fd, boolean errno,
            Linker.Option... options) {
        if (!errno) {
            return LINKER.downcallHandle(addr, fd, options);
        }
        Linker.Option[] all = new Linker.Option[options.length + 1];
        all[0] = CAPTURE_ERRNO;
        System.arraycopy(options, 0, all, 1, options.length);
        return LINKER.downcallHandle(addr, fd, all);
    }

    /** This thread's errno capture segment, passed as the first argument of a bound call. */
    static MemorySegment state() {
        return STATE.get();
    }

    /** The Linux errno of this thread's last failed call. */
    public static int errno() {
        return (int) ERRNO.get(STATE.get(), 0L);
    }

    // core's names for some of LinuxErrno's (Linux numbering)
    public static final int EPERM = LinuxErrno.EPERM;
    public static final int ENOENT = LinuxErrno.ENOENT;
    public static final int EINTR = LinuxErrno.EINTR;
    public static final int EBADF = LinuxErrno.EBADF;
    public static final int EEXIST = LinuxErrno.EEXIST;

    // close's result and errno are never read: uncaptured, errno stays that of the call that failed before it
    private static final MethodHandle CLOSE = bindWithoutErrno("close", FunctionDescriptor.ofVoid(C_INT));
    private static final MethodHandle FCNTL = bind("fcntl", FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT),
            variadic(2));
    public static final int F_GETPIPE_SZ = 1032;
    public static final int F_DUPFD_CLOEXEC = 1030;

    /** close(2); errno stays that of the last failed call. */
    public static void close(int fd) {
        try {
            CLOSE.invokeExact(fd);
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
