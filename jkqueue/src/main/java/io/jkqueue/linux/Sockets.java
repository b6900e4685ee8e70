package io.jkqueue.linux;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;

import static io.jkqueue.linux.Libc.C_INT;
import static io.jkqueue.linux.Libc.PTR;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/** getsockopt(2): literal bindings, no policy. */
public final class Sockets {
    private Sockets() {}

    public static final int SOL_SOCKET = 1;
    public static final int SO_ERROR = 4;
    public static final int SO_SNDBUF = 7;
    public static final int SO_ACCEPTCONN = 30;
    public static final int SO_PROTOCOL = 38;
    public static final int IPPROTO_TCP = 6;
    private static final int TCP_INFO = 11;

    /** struct tcp_info (linux/tcp.h) up to tcpi_bytes_acked (Linux 4.1), then the rest of its 232 bytes. */
    private static final StructLayout TCP_INFO_LAYOUT = MemoryLayout.structLayout(
            MemoryLayout.paddingLayout(8),   // tcpi_state ... the rate-limited bits: eight u8
            JAVA_INT.withName("tcpi_rto"), JAVA_INT.withName("tcpi_ato"),
            JAVA_INT.withName("tcpi_snd_mss"), JAVA_INT.withName("tcpi_rcv_mss"),
            JAVA_INT.withName("tcpi_unacked"), JAVA_INT.withName("tcpi_sacked"),
            JAVA_INT.withName("tcpi_lost"), JAVA_INT.withName("tcpi_retrans"), JAVA_INT.withName("tcpi_fackets"),
            JAVA_INT.withName("tcpi_last_data_sent"), JAVA_INT.withName("tcpi_last_ack_sent"),
            JAVA_INT.withName("tcpi_last_data_recv"), JAVA_INT.withName("tcpi_last_ack_recv"),
            JAVA_INT.withName("tcpi_pmtu"), JAVA_INT.withName("tcpi_rcv_ssthresh"),
            JAVA_INT.withName("tcpi_rtt"), JAVA_INT.withName("tcpi_rttvar"),
            JAVA_INT.withName("tcpi_snd_ssthresh"), JAVA_INT.withName("tcpi_snd_cwnd"),
            JAVA_INT.withName("tcpi_advmss"), JAVA_INT.withName("tcpi_reordering"),
            JAVA_INT.withName("tcpi_rcv_rtt"), JAVA_INT.withName("tcpi_rcv_space"),
            JAVA_INT.withName("tcpi_total_retrans"),
            JAVA_LONG.withName("tcpi_pacing_rate"), JAVA_LONG.withName("tcpi_max_pacing_rate"),
            JAVA_LONG.withName("tcpi_bytes_acked"),
            MemoryLayout.paddingLayout(104));
    private static final int TCP_INFO_SIZE = (int) TCP_INFO_LAYOUT.byteSize();
    private static final long TCPI_UNACKED = TCP_INFO_LAYOUT.byteOffset(groupElement("tcpi_unacked"));
    private static final long TCPI_BYTES_ACKED = TCP_INFO_LAYOUT.byteOffset(groupElement("tcpi_bytes_acked"));

    private static final MethodHandle GETSOCKOPT = Libc.bind("getsockopt",
            FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT, PTR, PTR));

    /** An int-valued socket option of {@code fd}; -1 (errno set) if it cannot be read. */
    public static int intOption(int fd, int level, int name) {
        MemorySegment buf = Libc.scratch();
        return getsockopt(fd, level, name, buf, 4, buf.asSlice(8)) == 0 ? buf.get(JAVA_INT, 0) : -1;
    }

    /** A listening TCP socket's accept queue length (tcpi_unacked); -1 if it cannot say. */
    public static long tcpAcceptQueue(int fd) {
        MemorySegment buf = tcpInfo(fd);
        return buf == null ? -1 : Integer.toUnsignedLong(buf.get(JAVA_INT, TCPI_UNACKED));
    }

    /** The bytes the peer of a TCP socket has acknowledged in the connection's life (tcpi_bytes_acked); -1 if it cannot say. */
    public static long tcpBytesAcked(int fd) {
        MemorySegment buf = tcpInfo(fd);
        return buf == null ? -1 : buf.get(JAVA_LONG, TCPI_BYTES_ACKED);
    }

    /** TCP_INFO into this thread's scratch; null if it cannot be read. */
    private static MemorySegment tcpInfo(int fd) {
        MemorySegment buf = Libc.scratch();
        return getsockopt(fd, IPPROTO_TCP, TCP_INFO, buf, TCP_INFO_SIZE, buf.asSlice(TCP_INFO_SIZE)) == 0 ? buf : null;
    }

    /** getsockopt into {@code buf} ({@code len} bytes), {@code lenBuf} a scratch int; 0 or -1 with errno set. */
    private static int getsockopt(int fd, int level, int name, MemorySegment buf, int len, MemorySegment lenBuf) {
        lenBuf.set(JAVA_INT, 0, len);
        try {
            return (int) GETSOCKOPT.invokeExact(Libc.state(), fd, level, name, buf, lenBuf);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
