package io.jkqueue.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

import static io.jkqueue.linux.Libc.C_INT;
import static io.jkqueue.linux.Libc.C_LONG;
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
    public static final int EPOLLONESHOT = 1 << 30;
    public static final int EPOLLET = 1 << 31;

    /** struct epoll_event; x86-64 declares it packed (12 bytes), other ABIs align data (16). */
    static final StructLayout EVENT = Libc.X86_64
            ? MemoryLayout.structLayout(ValueLayout.JAVA_INT.withName("events"),
                    ValueLayout.JAVA_LONG_UNALIGNED.withName("data"))
            : MemoryLayout.structLayout(ValueLayout.JAVA_INT.withName("events"),
                    MemoryLayout.paddingLayout(4), ValueLayout.JAVA_LONG.withName("data"));
    private static final long EVENT_SIZE = EVENT.byteSize();
    private static final long EVENTS_OFFSET = EVENT.byteOffset(groupElement("events"));
    private static final long DATA_OFFSET = EVENT.byteOffset(groupElement("data"));

    /** struct timespec { time_t tv_sec; long tv_nsec; } */
    static final StructLayout TIMESPEC = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("tv_sec"), ValueLayout.JAVA_LONG.withName("tv_nsec"));
    private static final long TV_SEC = TIMESPEC.byteOffset(groupElement("tv_sec"));
    private static final long TV_NSEC = TIMESPEC.byteOffset(groupElement("tv_nsec"));

    private static final MethodHandle CREATE1 = Libc.bind("epoll_create1", FunctionDescriptor.of(C_INT, C_INT));
    private static final MethodHandle CTL = Libc.bind("epoll_ctl",
            FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT, PTR));
    // No errno capture on the waits (its segment slice allocates wherever the JIT fails to remove it): a
    // failed wait is asked again, captured and not waiting, as its errors (EBADF, EINVAL, EFAULT, ENOSYS)
    // last; after a signal's EINTR the second answer is what is ready, which a wait cut short may return
    private static final MethodHandle WAIT = Libc.bindWithoutErrno("epoll_wait",
            FunctionDescriptor.of(C_INT, C_INT, PTR, C_INT, C_INT));
    private static final MethodHandle WAIT_ERRNO = Libc.bind("epoll_wait",
            FunctionDescriptor.of(C_INT, C_INT, PTR, C_INT, C_INT));
    // a zero-timeout epoll_wait never blocks: critical, like a field read; on x86-64 through syscall(2),
    // which, unlike libc's epoll_wait, is no cancellation point (no asynchronous-cancel switch around it)
    private static final long SYS_EPOLL_WAIT_X86_64 = 232;
    private static final MethodHandle POLL = Libc.X86_64
            ? Libc.bindWithoutErrno("syscall", FunctionDescriptor.of(C_LONG, C_LONG, C_LONG, PTR, C_LONG, C_LONG),
                    Libc.CRITICAL, Libc.variadic(1))
            : null;
    private static final MethodHandle POLL_LIBC = Libc.X86_64 ? null : Libc.bindWithoutErrno("epoll_wait",
            FunctionDescriptor.of(C_INT, C_INT, PTR, C_INT, C_INT), Libc.CRITICAL);
    // epoll_pwait2 (Linux 5.11, glibc 2.35) takes a nanosecond timeout; without it, milliseconds
    private static final MethodHandle PWAIT2 = Libc.bindOptionalWithoutErrno("epoll_pwait2",
            FunctionDescriptor.of(C_INT, C_INT, PTR, C_INT, PTR, PTR));
    private static final MethodHandle PWAIT2_ERRNO = Libc.bindOptional("epoll_pwait2",
            FunctionDescriptor.of(C_INT, C_INT, PTR, C_INT, PTR, PTR));

    /** epoll_create1(2): the epoll descriptor, or -1 with errno set. */
    public static int create1(int flags) {
        try {
            return (int) CREATE1.invokeExact(Libc.state(), flags);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static final ThreadLocal<MemorySegment> CTL_EVENT =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(EVENT));

    /** epoll_ctl(2) for {@code fd} with {@code events} and {@code data}; 0 or -1 with errno set. */
    public static int ctl(int epfd, int op, int fd, int events, long data) {
        MemorySegment ev = CTL_EVENT.get();
        ev.set(ValueLayout.JAVA_INT, EVENTS_OFFSET, events);
        ev.set(ValueLayout.JAVA_LONG_UNALIGNED, DATA_OFFSET, data);
        try {
            return (int) CTL.invokeExact(Libc.state(), epfd, op, fd, ev);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** Writes {@code nanos} as the timespec at {@code offset} of {@code seg}. */
    static void setTimespec(MemorySegment seg, long offset, long nanos) {
        seg.set(ValueLayout.JAVA_LONG, offset + TV_SEC, nanos / 1_000_000_000L);
        seg.set(ValueLayout.JAVA_LONG, offset + TV_NSEC, nanos % 1_000_000_000L);
    }

    /** Whether a wait's timeout is kept to the nanosecond (epoll_pwait2), not rounded up to a millisecond. */
    public static boolean nanosecondTimeouts() {
        return PWAIT2 != null && Kernel.Feature.EPOLL_PWAIT2.present();
    }

    /** One waiter's buffers: the events a wait reports, and the timespec of its timeout. */
    public static final class Events {
        private final MemorySegment events;
        private final MemorySegment ts = Arena.ofAuto().allocate(TIMESPEC);
        private final int capacity;

        public Events(int capacity) {
            this.capacity = capacity;
            this.events = Arena.ofAuto().allocate(EVENT_SIZE * capacity, 8);
        }

        /**
         * epoll_wait on {@code epfd} for up to {@code timeoutNanos} (0 = poll,
         * negative = no limit): the ready count, or -1 with errno set (a wait a
         * signal cut short returns what is ready then, perhaps 0). Without
         * epoll_pwait2 (Linux 5.11; found missing at the first ENOSYS) the
         * timeout is rounded up to whole milliseconds.
         */
        public int epollWait(int epfd, long timeoutNanos) {
            try {
                if (timeoutNanos == 0) {
                    int n = POLL != null
                            ? (int) (long) POLL.invokeExact(SYS_EPOLL_WAIT_X86_64, (long) epfd, events,
                                    (long) capacity, 0L)
                            : (int) POLL_LIBC.invokeExact(epfd, events, capacity, 0);
                    return n >= 0 ? n : pollForErrno(epfd);
                }
                if (nanosecondTimeouts()) {
                    MemorySegment timeout = MemorySegment.NULL;
                    if (timeoutNanos > 0) {
                        setTimespec(ts, 0, timeoutNanos);
                        timeout = ts;
                    }
                    int n = (int) PWAIT2.invokeExact(epfd, events, capacity, timeout, MemorySegment.NULL);
                    if (n >= 0) {
                        return n;
                    }
                    setTimespec(ts, 0, 0);
                    n = (int) PWAIT2_ERRNO.invokeExact(Libc.state(), epfd, events, capacity, ts, MemorySegment.NULL);
                    if (n >= 0 || Libc.errno() != LinuxErrno.ENOSYS) {
                        return n;
                    }
                    Kernel.Feature.EPOLL_PWAIT2.markMissing();
                }
                int ms = timeoutNanos < 0 ? -1 : (int) Math.min(Integer.MAX_VALUE, (timeoutNanos + 999_999) / 1_000_000);
                int n = (int) WAIT.invokeExact(epfd, events, capacity, ms);
                return n >= 0 ? n : pollForErrno(epfd);
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
        }

        /** After a failed wait: the same look, captured and not waiting (see WAIT). */
        private int pollForErrno(int epfd) throws Throwable {
            return (int) WAIT_ERRNO.invokeExact(Libc.state(), epfd, events, capacity, 0);
        }

        /** The events of entry {@code i} of the last wait. */
        public int events(int i) {
            return events.get(ValueLayout.JAVA_INT, i * EVENT_SIZE + EVENTS_OFFSET);
        }

        /** The data of entry {@code i} of the last wait. */
        public long data(int i) {
            return events.get(ValueLayout.JAVA_LONG_UNALIGNED, i * EVENT_SIZE + DATA_OFFSET);
        }
    }
}
