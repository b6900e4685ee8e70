package io.jkqueue.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

import static io.jkqueue.linux.Libc.C_INT;
import static io.jkqueue.linux.Libc.C_LONG;
import static io.jkqueue.linux.Libc.PTR;

/** eventfd(2): literal bindings, no policy. */
public final class EventFd {
    private EventFd() {}

    public static final int EFD_CLOEXEC = 0x80000;
    public static final int EFD_NONBLOCK = 0x800;

    private static final MethodHandle EVENTFD = Libc.bind("eventfd", FunctionDescriptor.of(C_INT, C_INT, C_INT));
    // critical: an eventfd write never blocks (its counter cannot overflow here), so skip the thread-state
    // transition; and it cannot fail on a live eventfd, so neither its result nor its errno is taken
    private static final MethodHandle WRITE = Libc.bindWithoutErrno("write", FunctionDescriptor.ofVoid(C_INT, PTR, C_LONG),
            Libc.CRITICAL);
    // a drain: its errno is not captured (nobody reads it; the capture's segment slice allocates wherever
    // the JIT fails to remove it)
    private static final MethodHandle READ = Libc.bindWithoutErrno("read",
            FunctionDescriptor.of(C_LONG, C_INT, PTR, C_LONG));
    private static final MemorySegment ONE = Arena.global().allocateFrom(ValueLayout.JAVA_LONG, 1L);

    /** eventfd(2): the descriptor, or -1 with errno set. */
    public static int create(int initval, int flags) {
        try {
            return (int) EVENTFD.invokeExact(Libc.state(), initval, flags);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** Adds 1 to the counter: write(fd, &1, 8). */
    public static void signal(int fd) {
        try {
            WRITE.invokeExact(fd, ONE, 8L);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** read(fd, &counter, 8): the counter, which it resets to 0, or -1 (at 0, non-blocking; errno not kept). */
    public static long read(int fd) {
        MemorySegment counter = Libc.scratch();
        try {
            long n = (long) READ.invokeExact(fd, counter, 8L);
            return n == 8 ? counter.get(ValueLayout.JAVA_LONG, 0) : -1;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
