package io.jkqueue.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;

import static io.jkqueue.linux.Libc.C_INT;
import static io.jkqueue.linux.Libc.PTR;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

/** timerfd_create(2): literal bindings, no policy. */
public final class TimerFd {
    private TimerFd() {}

    public static final int CLOCK_MONOTONIC = 1;
    public static final int TFD_CLOEXEC = 0x80000;
    public static final int TFD_NONBLOCK = 0x800;
    public static final int TFD_TIMER_ABSTIME = 1;

    /** struct itimerspec { struct timespec it_interval, it_value; } */
    private static final StructLayout ITIMERSPEC = MemoryLayout.structLayout(
            Epoll.TIMESPEC.withName("it_interval"), Epoll.TIMESPEC.withName("it_value"));
    private static final long IT_INTERVAL = ITIMERSPEC.byteOffset(groupElement("it_interval"));
    private static final long IT_VALUE = ITIMERSPEC.byteOffset(groupElement("it_value"));

    private static final MethodHandle CREATE = Libc.bind("timerfd_create", FunctionDescriptor.of(C_INT, C_INT, C_INT));
    // armed before a sleep: its errno is not captured (nobody reads it; the capture's segment slice
    // allocates wherever the JIT fails to remove it)
    private static final MethodHandle SETTIME = Libc.bindWithoutErrno("timerfd_settime",
            FunctionDescriptor.of(C_INT, C_INT, C_INT, PTR, PTR));

    /** timerfd_create(2): the descriptor, or -1 with errno set. */
    public static int create(int clockid, int flags) {
        try {
            return (int) CREATE.invokeExact(Libc.state(), clockid, flags);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static final ThreadLocal<MemorySegment> SPEC = ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(ITIMERSPEC));

    /**
     * Arms {@code fd} to fire once at the absolute CLOCK_MONOTONIC time
     * {@code whenNanos}. Returns 0 or -1 (errno not kept).
     */
    public static int setAbsolute(int fd, long whenNanos) {
        MemorySegment spec = SPEC.get();
        Epoll.setTimespec(spec, IT_INTERVAL, 0);
        Epoll.setTimespec(spec, IT_VALUE, Math.max(whenNanos, 1));   // an all-zero it_value would disarm the timer
        try {
            return (int) SETTIME.invokeExact(fd, TFD_TIMER_ABSTIME, spec, MemorySegment.NULL);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
