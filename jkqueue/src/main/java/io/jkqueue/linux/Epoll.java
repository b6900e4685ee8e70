package io.jkqueue.linux;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

import static io.jkqueue.linux.Libc.C_INT;
import static io.jkqueue.linux.Libc.PTR;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

/** epoll(7): literal bindings, no policy. */
public final class Epoll {
    private Epoll() {}

    public static final int EPOLL_CLOEXEC = 0x80000;
    public static final int EPOLL_CTL_ADD = 1;
    public static final int EPOLL_CTL_DEL = 2;
    public static final int EPOLL_CTL_MOD = 3;

    public static final int EPOLLIN = 0x001;
    public static final int EPOLLOUT = 0x004;
    public static final int EPOLLERR = 0x008;
    public static final int EPOLLHUP = 0x010;
    public static final int EPOLLRDHUP = 0x2000;
    public static final int EPOLLET = 1 << 31;

    /** struct epoll_event; x86-64 declares it packed (12 bytes), other ABIs align data (16). */
    public static final StructLayout EVENT = isX86()
            ? MemoryLayout.structLayout(ValueLayout.JAVA_INT.withName("events"),
                    ValueLayout.JAVA_LONG_UNALIGNED.withName("data"))
            : MemoryLayout.structLayout(ValueLayout.JAVA_INT.withName("events"),
                    MemoryLayout.paddingLayout(4), ValueLayout.JAVA_LONG.withName("data"));
    public static final long EVENT_SIZE = EVENT.byteSize();
    private static final long EVENTS_OFFSET = EVENT.byteOffset(groupElement("events"));
    private static final long DATA_OFFSET = EVENT.byteOffset(groupElement("data"));

    /** struct timespec { time_t tv_sec; long tv_nsec; } */
    public static final StructLayout TIMESPEC = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("tv_sec"), ValueLayout.JAVA_LONG.withName("tv_nsec"));
    private static final long TV_SEC = TIMESPEC.byteOffset(groupElement("tv_sec"));
    private static final long TV_NSEC = TIMESPEC.byteOffset(groupElement("tv_nsec"));

    private static final MethodHandle CREATE1 = Libc.bind("epoll_create1", FunctionDescriptor.of(C_INT, C_INT));
    private static final MethodHandle CTL = Libc.bind("epoll_ctl",
            FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT, PTR));
    private static final MethodHandle WAIT = Libc.bind("epoll_wait",
            FunctionDescriptor.of(C_INT, C_INT, PTR, C_INT, C_INT));
    // a zero-timeout epoll_wait never blocks: critical, like a field read
    private static final MethodHandle POLL = Libc.bind("epoll_wait",
            FunctionDescriptor.of(C_INT, C_INT, PTR, C_INT, C_INT), Libc.CRITICAL);
    // epoll_pwait2 (Linux 5.11, glibc 2.35) takes a nanosecond timeout; older systems fall back to ms.
    private static final MethodHandle PWAIT2 = Libc.bindOptional("epoll_pwait2",
            FunctionDescriptor.of(C_INT, C_INT, PTR, C_INT, PTR, PTR));

    private static boolean isX86() {
        String arch = System.getProperty("os.arch");
        return arch.equals("amd64") || arch.equals("x86_64");
    }

    /** epoll_create1(2): the epoll descriptor, or -1 with errno set. */
    public static int create1(int flags) {
        try {
            return (int) CREATE1.invokeExact(Libc.state(), flags);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** epoll_ctl with a one-entry scratch buffer {@code ev} (at least {@link #EVENT_SIZE} bytes); 0 or -1 with errno set. */
    public static int ctl(int epfd, int op, int fd, int events, long data, MemorySegment ev) {
        ev.set(ValueLayout.JAVA_INT, EVENTS_OFFSET, events);
        ev.set(ValueLayout.JAVA_LONG_UNALIGNED, DATA_OFFSET, data);
        try {
            return (int) CTL.invokeExact(Libc.state(), epfd, op, fd, ev);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * Waits up to {@code timeoutNanos} (0 = poll, negative = no limit).
     * {@code ts} is a scratch {@link #TIMESPEC}. Returns the ready count, or
     * -1 with errno set.
     */
    public static int wait(int epfd, MemorySegment events, int maxevents, long timeoutNanos, MemorySegment ts) {
        try {
            if (timeoutNanos == 0) {
                return (int) POLL.invokeExact(Libc.state(), epfd, events, maxevents, 0);
            }
            if (PWAIT2 != null) {
                if (timeoutNanos < 0) {
                    return (int) PWAIT2.invokeExact(Libc.state(), epfd, events, maxevents, MemorySegment.NULL,
                            MemorySegment.NULL);
                }
                setTimespec(ts, 0, timeoutNanos);
                return (int) PWAIT2.invokeExact(Libc.state(), epfd, events, maxevents, ts, MemorySegment.NULL);
            }
            int ms = timeoutNanos < 0 ? -1 : (int) Math.min(Integer.MAX_VALUE, (timeoutNanos + 999_999) / 1_000_000);
            return (int) WAIT.invokeExact(Libc.state(), epfd, events, maxevents, ms);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** Writes {@code nanos} as the {@link #TIMESPEC} at {@code offset} of {@code seg}. */
    static void setTimespec(MemorySegment seg, long offset, long nanos) {
        seg.set(ValueLayout.JAVA_LONG, offset + TV_SEC, nanos / 1_000_000_000L);
        seg.set(ValueLayout.JAVA_LONG, offset + TV_NSEC, nanos % 1_000_000_000L);
    }

    public static int events(MemorySegment events, int i) {
        return events.get(ValueLayout.JAVA_INT, i * EVENT_SIZE + EVENTS_OFFSET);
    }

    public static long data(MemorySegment events, int i) {
        return events.get(ValueLayout.JAVA_LONG_UNALIGNED, i * EVENT_SIZE + DATA_OFFSET);
    }
}
