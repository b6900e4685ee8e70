package io.jkqueue.linux;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

import static io.jkqueue.linux.Libc.C_INT;
import static io.jkqueue.linux.Libc.C_LONG;
import static io.jkqueue.linux.Libc.PTR;

/** ioctl(2), the one binding of it: the requests that answer "how many bytes", and the others' raw call. */
public final class Ioctl {
    private Ioctl() {}

    private static final long FIONREAD = 0x541B;   // = SIOCINQ: bytes readable
    private static final long TIOCOUTQ = 0x5411;   // = SIOCOUTQ: bytes not yet sent/acknowledged

    // critical and without errno: the requests made here only read kernel state and never block, and
    // their callers tell a failure (a descriptor that is gone, a kernel without the request) by -1 alone
    private static final MethodHandle IOCTL = Libc.bindWithoutErrno("ioctl",
            FunctionDescriptor.of(C_INT, C_INT, C_LONG, PTR), Libc.variadic(2), Libc.CRITICAL);

    /** FIONREAD: the bytes readable on {@code fd} (for a pipe's write end, the bytes in the pipe); -1 if it cannot say. */
    public static int fionread(int fd) {
        return intRequest(fd, FIONREAD);
    }

    /** SIOCOUTQ (TIOCOUTQ): the bytes in a socket's send buffer, not yet sent or acknowledged; -1 if it cannot say. */
    public static int outq(int fd) {
        return intRequest(fd, TIOCOUTQ);
    }

    private static int intRequest(int fd, long request) {
        MemorySegment out = Libc.scratch();
        return ioctl(fd, request, out) == 0 ? out.get(ValueLayout.JAVA_INT, 0) : -1;
    }

    /** ioctl(fd, request, arg); 0 or -1 (no errno). */
    static int ioctl(int fd, long request, MemorySegment arg) {
        try {
            return (int) IOCTL.invokeExact(fd, request, arg);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
