package io.jkqueue.linux;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

import static io.jkqueue.linux.Libc.C_INT;
import static io.jkqueue.linux.Libc.PTR;

/** getsockopt(2): literal bindings, no policy. */
public final class Sockets {
    private Sockets() {}

    public static final int SOL_SOCKET = 1;
    public static final int SO_ERROR = 4;
    public static final int SO_SNDBUF = 7;
    public static final int SO_ACCEPTCONN = 30;
    public static final int SO_PROTOCOL = 38;
    public static final int IPPROTO_TCP = 6;
    public static final int TCP_INFO = 11;
    /** struct tcp_info: tcpi_unacked (the accept queue length of a listening socket) is at this offset. */
    public static final long TCPI_UNACKED_OFFSET = 24;
    /** struct tcp_info: tcpi_bytes_acked, the bytes the peer has acknowledged in the connection's life (Linux 4.1). */
    public static final long TCPI_BYTES_ACKED_OFFSET = 120;
    public static final int TCP_INFO_SIZE = 232;

    private static final MethodHandle GETSOCKOPT = Libc.bind("getsockopt",
            FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT, PTR, PTR));

    /**
     * getsockopt into {@code buf} ({@code len} bytes); {@code lenBuf} is a
     * scratch int. Returns 0 or -1 with errno set.
     */
    public static int getsockopt(int fd, int level, int name, MemorySegment buf, int len, MemorySegment lenBuf) {
        lenBuf.set(ValueLayout.JAVA_INT, 0, len);
        try {
            return (int) GETSOCKOPT.invokeExact(Libc.state(), fd, level, name, buf, lenBuf);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
