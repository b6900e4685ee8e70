package io.jkqueue.linux;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

import static io.jkqueue.linux.Libc.C_INT;
import static io.jkqueue.linux.Libc.C_LONG;
import static io.jkqueue.linux.Libc.PTR;

/** poll(2) on one descriptor with a zero timeout: literal binding, no policy. */
public final class Poll {
    private Poll() {}

    public static final short POLLIN = 0x001;
    public static final short POLLERR = 0x008;
    public static final short POLLHUP = 0x010;
    public static final short POLLNVAL = 0x020;

    private static final MethodHandle POLL = Libc.bind("poll", FunctionDescriptor.of(C_INT, PTR, C_LONG, C_INT));

    /**
     * The revents of {@code fd} for {@code events} right now, using
     * {@code pfd} (8 bytes of scratch) as its struct pollfd; -1 with errno set on failure.
     */
    public static int now(int fd, short events, MemorySegment pfd) {
        pfd.set(ValueLayout.JAVA_INT, 0, fd);
        pfd.set(ValueLayout.JAVA_SHORT, 4, events);
        pfd.set(ValueLayout.JAVA_SHORT, 6, (short) 0);
        try {
            int rc = (int) POLL.invokeExact(Libc.state(), pfd, 1L, 0);
            return rc < 0 ? -1 : Short.toUnsignedInt(pfd.get(ValueLayout.JAVA_SHORT, 6));
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
