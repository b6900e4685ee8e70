package io.jkqueue.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;

import static io.jkqueue.linux.Libc.C_INT;
import static io.jkqueue.linux.Libc.C_LONG;
import static io.jkqueue.linux.Libc.PTR;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/** poll(2), on one descriptor or on an array of them: literal binding, no policy. */
public final class Poll {
    private Poll() {}

    public static final short POLLIN = 0x001;
    public static final short POLLERR = 0x008;
    public static final short POLLHUP = 0x010;
    public static final short POLLNVAL = 0x020;
    public static final short POLLRDHUP = 0x2000;

    /** struct pollfd { int fd; short events; short revents; } */
    private static final StructLayout POLLFD = MemoryLayout.structLayout(
            JAVA_INT.withName("fd"), JAVA_SHORT.withName("events"), JAVA_SHORT.withName("revents"));
    private static final long FD = POLLFD.byteOffset(groupElement("fd"));
    private static final long EVENTS = POLLFD.byteOffset(groupElement("events"));
    private static final long REVENTS = POLLFD.byteOffset(groupElement("revents"));

    private static final MethodHandle POLL = Libc.bind("poll", FunctionDescriptor.of(C_INT, PTR, C_LONG, C_INT));
    // a zero-timeout poll never blocks: critical, and without errno capture (its segment slice allocates
    // wherever the JIT fails to remove it); its caller falls back on failure rather than read errno
    private static final MethodHandle POLL_NOW = Libc.bindWithoutErrno("poll",
            FunctionDescriptor.of(C_INT, PTR, C_LONG, C_INT), Libc.CRITICAL);

    /** The revents of {@code fd} for {@code events} right now; -1 with errno set on failure. */
    public static int now(int fd, short events) {
        return now(fd, events, Libc.scratch());
    }

    /**
     * The revents of {@code fd} for {@code events} right now, using
     * {@code pfd} (8 bytes of scratch) as its struct pollfd; -1 with errno set on failure.
     */
    public static int now(int fd, short events, MemorySegment pfd) {
        return await(fd, events, 0, pfd);
    }

    /**
     * The revents of {@code fd} for {@code events} once one of them holds, or
     * 0 after {@code timeoutMillis}; -1 with errno set on failure (EINTR included).
     */
    public static int await(int fd, short events, int timeoutMillis) {
        return await(fd, events, timeoutMillis, Libc.scratch());
    }

    private static int await(int fd, short events, int timeoutMillis, MemorySegment pfd) {
        pfd.set(JAVA_INT, FD, fd);
        pfd.set(JAVA_SHORT, EVENTS, events);
        pfd.set(JAVA_SHORT, REVENTS, (short) 0);
        try {
            int rc = (int) POLL.invokeExact(Libc.state(), pfd, 1L, timeoutMillis);
            return rc < 0 ? -1 : Short.toUnsignedInt(pfd.get(JAVA_SHORT, REVENTS));
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** An array of struct pollfd, for one poll(2) on many descriptors. */
    public static final class Set {
        private final MemorySegment fds;

        public Set(int capacity) {
            this.fds = Arena.ofAuto().allocate(POLLFD.byteSize() * capacity, 4);
        }

        /** Entry {@code i}: {@code fd}, for {@code events}. */
        public void set(int i, int fd, short events) {
            long at = i * POLLFD.byteSize();
            fds.set(JAVA_INT, at + FD, fd);
            fds.set(JAVA_SHORT, at + EVENTS, events);
            fds.set(JAVA_SHORT, at + REVENTS, (short) 0);
        }

        /** The revents poll left in entry {@code i}. */
        public int revents(int i) {
            return Short.toUnsignedInt(fds.get(JAVA_SHORT, i * POLLFD.byteSize() + REVENTS));
        }

        /** poll(2) on the first {@code n} entries without waiting: how many have revents, or -1 (errno not kept). */
        public int pollNow(int n) {
            try {
                return (int) POLL_NOW.invokeExact(fds, (long) n, 0);
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
        }
    }
}
