package io.jkqueue.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

import static io.jkqueue.linux.Libc.C_INT;
import static io.jkqueue.linux.Libc.C_LONG;
import static io.jkqueue.linux.Libc.PTR;

/**
 * The process-events connector (NETLINK_CONNECTOR, CN_IDX_PROC): literal
 * bindings and message offsets, no policy. Subscribing needs CAP_NET_ADMIN.
 */
public final class Netlink {
    private Netlink() {}

    private static final int AF_NETLINK = 16;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_NONBLOCK = 0x800;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int NETLINK_CONNECTOR = 11;
    private static final int CN_IDX_PROC = 1;
    private static final int CN_VAL_PROC = 1;
    private static final int NLMSG_DONE = 3;
    private static final int PROC_CN_MCAST_LISTEN = 1;
    // errno values (Linux numbering) that callers tell apart
    public static final int ENOMEM = 12;
    public static final int ENFILE = 23;
    public static final int EMFILE = 24;
    public static final int ENOBUFS = 105;

    // struct proc_event starts after nlmsghdr (16) and cn_msg (20)
    private static final long EVENT = 36;
    public static final int PROC_EVENT_NONE = 0x0;   // the answer to a subscription
    public static final int PROC_EVENT_FORK = 0x1;
    public static final int PROC_EVENT_EXEC = 0x2;

    private static final MethodHandle SOCKET = Libc.bind("socket", FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT));
    private static final MethodHandle BIND = Libc.bind("bind", FunctionDescriptor.of(C_INT, C_INT, PTR, C_INT));
    private static final MethodHandle SEND = Libc.bind("send", FunctionDescriptor.of(C_LONG, C_INT, PTR, C_LONG, C_INT));
    private static final MethodHandle RECV = Libc.bind("recv", FunctionDescriptor.of(C_LONG, C_INT, PTR, C_LONG, C_INT));

    /**
     * Opens a non-blocking connector socket subscribed to process events;
     * minus the errno on failure (EPERM without CAP_NET_ADMIN, EMFILE or
     * ENFILE when no descriptor is left). Closing it unsubscribes.
     */
    public static int openProcEvents() {
        try (Arena a = Arena.ofConfined()) {
            int fd = (int) SOCKET.invokeExact(Libc.state(), AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    NETLINK_CONNECTOR);
            if (fd < 0) {
                return -Libc.errno();
            }
            MemorySegment addr = a.allocate(12);   // struct sockaddr_nl
            addr.set(ValueLayout.JAVA_SHORT, 0, (short) AF_NETLINK);
            addr.set(ValueLayout.JAVA_INT, 8, CN_IDX_PROC);
            MemorySegment msg = a.allocate(40);    // nlmsghdr + cn_msg + enum proc_cn_mcast_op
            msg.set(ValueLayout.JAVA_INT, 0, 40);
            msg.set(ValueLayout.JAVA_SHORT, 4, (short) NLMSG_DONE);
            msg.set(ValueLayout.JAVA_INT, 12, (int) ProcessHandle.current().pid());
            msg.set(ValueLayout.JAVA_INT, 16, CN_IDX_PROC);
            msg.set(ValueLayout.JAVA_INT, 20, CN_VAL_PROC);
            msg.set(ValueLayout.JAVA_SHORT, 32, (short) 4);
            msg.set(ValueLayout.JAVA_INT, 36, PROC_CN_MCAST_LISTEN);
            if ((int) BIND.invokeExact(Libc.state(), fd, addr, 12) != 0
                    || (long) SEND.invokeExact(Libc.state(), fd, msg, 40L, 0) != 40) {
                int errno = Libc.errno();
                Libc.close(fd);
                return -errno;
            }
            return fd;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** One message into {@code buf}; its length, or -1 with errno set (EAGAIN: none left, ENOBUFS: some were lost). */
    public static long receive(int fd, MemorySegment buf) {
        try {
            return (long) RECV.invokeExact(Libc.state(), fd, buf, buf.byteSize(), 0);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public static int what(MemorySegment msg) {
        return msg.get(ValueLayout.JAVA_INT_UNALIGNED, EVENT);
    }

    /** none: the errno with which the kernel answered a subscription (0: listening). */
    public static int ackError(MemorySegment msg) {
        return msg.get(ValueLayout.JAVA_INT_UNALIGNED, EVENT + 16);
    }

    /** fork: the parent's process id (tgid). */
    public static int forkParent(MemorySegment msg) {
        return msg.get(ValueLayout.JAVA_INT_UNALIGNED, EVENT + 20);
    }

    /** fork: the child's thread id; equal to {@link #forkChildTgid} for a new process. */
    public static int forkChildPid(MemorySegment msg) {
        return msg.get(ValueLayout.JAVA_INT_UNALIGNED, EVENT + 24);
    }

    public static int forkChildTgid(MemorySegment msg) {
        return msg.get(ValueLayout.JAVA_INT_UNALIGNED, EVENT + 28);
    }

    /** exec: the process id (tgid). */
    public static int execProcess(MemorySegment msg) {
        return msg.get(ValueLayout.JAVA_INT_UNALIGNED, EVENT + 20);
    }
}
