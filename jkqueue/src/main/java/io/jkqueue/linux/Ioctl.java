package io.jkqueue.linux;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

import static io.jkqueue.linux.Libc.C_INT;
import static io.jkqueue.linux.Libc.PTR;

/** ioctl(2) requests that answer "how many bytes": literal bindings, no policy. */
public final class Ioctl {
    private Ioctl() {}

    public static final int FIONREAD = 0x541B;   // = SIOCINQ: bytes readable
    public static final int TIOCOUTQ = 0x5411;   // = SIOCOUTQ: bytes not yet sent/acknowledged

    // critical and without errno: these requests only read a counter, never block, and fail only
    // for a descriptor that is gone, which the caller handles without knowing why
    private static final MethodHandle IOCTL = Libc.LINKER.downcallHandle(
            Libc.LINKER.defaultLookup().find("ioctl").orElseThrow(),
            FunctionDescriptor.of(C_INT, C_INT, ValueLayout.JAVA_LONG, PTR),
            Linker.Option.firstVariadicArg(2), Linker.Option.critical(false));

    /** ioctl(fd, request, &int); the int lands in {@code out}; returns 0 or -1. */
    public static int intRequest(int fd, int request, MemorySegment out) {
        try {
            return (int) IOCTL.invokeExact(fd, (long) request, out);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
