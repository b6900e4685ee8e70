package io.jkqueue.linux;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

import static io.jkqueue.linux.Libc.C_INT;
import static io.jkqueue.linux.Libc.PTR;

/** timerfd_create(2): literal bindings, no policy. */
public final class TimerFd {
    private TimerFd() {}

    public static final int CLOCK_MONOTONIC = 1;
    public static final int TFD_CLOEXEC = 0x80000;
    public static final int TFD_NONBLOCK = 0x800;
    public static final int TFD_TIMER_ABSTIME = 1;

    /** struct itimerspec { struct timespec it_interval, it_value; } */
    public static final StructLayout ITIMERSPEC = MemoryLayout.structLayout(
            Epoll.TIMESPEC.withName("it_interval"), Epoll.TIMESPEC.withName("it_value"));

    private static final MethodHandle CREATE = Libc.bind("timerfd_create", FunctionDescriptor.of(C_INT, C_INT, C_INT));
    private static final MethodHandle SETTIME = Libc.bind("timerfd_settime",
            FunctionDescriptor.of(C_INT, C_INT, C_INT, PTR, PTR));

    public static int create(int clockid, int flags) {
        try {
            return (int) CREATE.invokeExact(Libc.state(), clockid, flags);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * Arms {@code fd} to fire once at the absolute CLOCK_MONOTONIC time
     * {@code whenNanos}. {@code spec} is a scratch {@link #ITIMERSPEC}.
     */
    public static int setAbsolute(int fd, long whenNanos, MemorySegment spec) {
        long when = Math.max(whenNanos, 1); // an all-zero it_value would disarm the timer
        spec.set(ValueLayout.JAVA_LONG, 0, 0L);
        spec.set(ValueLayout.JAVA_LONG, 8, 0L);
        spec.set(ValueLayout.JAVA_LONG, 16, when / 1_000_000_000L);
        spec.set(ValueLayout.JAVA_LONG, 24, when % 1_000_000_000L);
        try {
            return (int) SETTIME.invokeExact(Libc.state(), fd, TFD_TIMER_ABSTIME, spec, MemorySegment.NULL);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
