package io.jkqueue.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static io.jkqueue.linux.Libc.C_INT;
import static io.jkqueue.linux.Libc.PTR;

/** open(2) and close(2) with their errno, for the descriptors jkqueue opens and closes itself: literal bindings. */
public final class Open {
    private Open() {}

    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 01;
    public static final int O_RDWR = 02;
    public static final int O_CREAT = 0100;
    public static final int O_EXCL = 0200;
    public static final int O_TRUNC = 01000;
    public static final int O_APPEND = 02000;
    public static final int O_CLOEXEC = 02000000;

    private static final MethodHandle OPEN = Libc.bind("open", FunctionDescriptor.of(C_INT, PTR, C_INT, C_INT),
            Libc.variadic(2));
    private static final MethodHandle CLOSE = Libc.bind("close", FunctionDescriptor.of(C_INT, C_INT));

    /** open(path, flags, mode), retried on EINTR; the descriptor or -1 with errno set. */
    public static int open(String path, int flags, int mode) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cpath = arena.allocateFrom(path);
            for (;;) {
                int fd = (int) OPEN.invokeExact(Libc.state(), cpath, flags, mode);
                if (fd >= 0 || Libc.errno() != LinuxErrno.EINTR) {
                    return fd;
                }
            }
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** close(fd), whose errno is read (EBADF: not open); 0 or -1. Never retried: Linux frees the number even on EINTR. */
    public static int close(int fd) {
        try {
            return (int) CLOSE.invokeExact(Libc.state(), fd);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
