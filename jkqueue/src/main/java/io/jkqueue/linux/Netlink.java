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
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * The process-events connector (NETLINK_CONNECTOR, CN_IDX_PROC): literal
 * bindings and message layouts, no policy. Subscribing needs CAP_NET_ADMIN.
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

    public static final int PROC_EVENT_NONE = 0x0;   // the answer to a subscription
    public static final int PROC_EVENT_FORK = 0x1;
    public static final int PROC_EVENT_EXEC = 0x2;
    public static final int PROC_EVENT_EXIT = 0x80000000;

    /** struct sockaddr_nl. */
    private static final StructLayout SOCKADDR_NL = MemoryLayout.structLayout(
            JAVA_SHORT.withName("nl_family"), JAVA_SHORT.withName("nl_pad"),
            JAVA_INT.withName("nl_pid"), JAVA_INT.withName("nl_groups"));
    /** struct nlmsghdr. */
    private static final StructLayout NLMSGHDR = MemoryLayout.structLayout(
            JAVA_INT.withName("nlmsg_len"), JAVA_SHORT.withName("nlmsg_type"), JAVA_SHORT.withName("nlmsg_flags"),
            JAVA_INT.withName("nlmsg_seq"), JAVA_INT.withName("nlmsg_pid"));
    /** struct cn_msg, without its data. */
    private static final StructLayout CN_MSG = MemoryLayout.structLayout(
            JAVA_INT.withName("idx"), JAVA_INT.withName("val"), JAVA_INT.withName("seq"), JAVA_INT.withName("ack"),
            JAVA_SHORT.withName("len"), JAVA_SHORT.withName("flags"));
    /** A subscription: nlmsghdr, cn_msg and its data, an enum proc_cn_mcast_op. */
    private static final StructLayout SUBSCRIPTION = MemoryLayout.structLayout(
            NLMSGHDR.withName("nlh"), CN_MSG.withName("cn"), JAVA_INT.withName("op"));
    /**
     * A message: nlmsghdr, cn_msg and its data, a struct proc_event (what,
     * cpu, timestamp_ns, then the union of which fork, exec, exit and the
     * subscription's ack are read). It starts at byte 36: its u64 is unaligned.
     */
    private static final StructLayout MESSAGE = MemoryLayout.structLayout(
            NLMSGHDR.withName("nlh"), CN_MSG.withName("cn"),
            MemoryLayout.structLayout(
                    JAVA_INT.withName("what"), JAVA_INT.withName("cpu"), JAVA_LONG_UNALIGNED.withName("timestamp_ns"),
                    MemoryLayout.unionLayout(
                            MemoryLayout.structLayout(JAVA_INT.withName("err")).withName("ack"),
                            MemoryLayout.structLayout(JAVA_INT.withName("parent_pid"), JAVA_INT.withName("parent_tgid"),
                                    JAVA_INT.withName("child_pid"), JAVA_INT.withName("child_tgid")).withName("fork"),
                            MemoryLayout.structLayout(JAVA_INT.withName("process_pid"),
                                    JAVA_INT.withName("process_tgid")).withName("exec"),
                            MemoryLayout.structLayout(JAVA_INT.withName("process_pid"),
                                    JAVA_INT.withName("process_tgid"), JAVA_INT.withName("exit_code"),
                                    JAVA_INT.withName("exit_signal")).withName("exit")).withName("event_data"))
                    .withName("ev"));

    private static long offset(StructLayout layout, String... path) {
        MemoryLayout.PathElement[] elements = new MemoryLayout.PathElement[path.length];
        for (int i = 0; i < path.length; i++) {
            elements[i] = groupElement(path[i]);
        }
        return layout.byteOffset(elements);
    }

    private static final long WHAT = offset(MESSAGE, "ev", "what");
    private static final long TIMESTAMP = offset(MESSAGE, "ev", "timestamp_ns");
    private static final long ACK_ERR = offset(MESSAGE, "ev", "event_data", "ack", "err");
    private static final long FORK_PARENT_TGID = offset(MESSAGE, "ev", "event_data", "fork", "parent_tgid");
    private static final long FORK_CHILD_PID = offset(MESSAGE, "ev", "event_data", "fork", "child_pid");
    private static final long FORK_CHILD_TGID = offset(MESSAGE, "ev", "event_data", "fork", "child_tgid");
    private static final long EXEC_TGID = offset(MESSAGE, "ev", "event_data", "exec", "process_tgid");
    private static final long EXIT_PID = offset(MESSAGE, "ev", "event_data", "exit", "process_pid");
    private static final long EXIT_TGID = offset(MESSAGE, "ev", "event_data", "exit", "process_tgid");
    private static final long EXIT_CODE = offset(MESSAGE, "ev", "event_data", "exit", "exit_code");

    private static final MethodHandle SOCKET = Libc.bind("socket", FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT));
    private static final MethodHandle BIND = Libc.bind("bind", FunctionDescriptor.of(C_INT, C_INT, PTR, C_INT));
    private static final MethodHandle SEND = Libc.bind("send", FunctionDescriptor.of(C_LONG, C_INT, PTR, C_LONG, C_INT));
    private static final MethodHandle RECV = Libc.bind("recv", FunctionDescriptor.of(C_LONG, C_INT, PTR, C_LONG, C_INT));
    private static final MethodHandle SETSOCKOPT = Libc.bind("setsockopt",
            FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT, PTR, C_INT));
    private static final int SOL_SOCKET = 1;
    private static final int SO_RCVBUF = 8;
    private static final int SO_RCVBUFFORCE = 33;
    /**
     * What the events socket may hold unread, in bytes (the kernel doubles it): 8 MiB, some 20,000
     * process events; {@code -Djkqueue.procevents.rcvbuf=BYTES} sets another.
     */
    private static final int EVENTS_RCVBUF = Integer.getInteger("jkqueue.procevents.rcvbuf", 8 << 20);

    /**
     * Opens a non-blocking connector socket subscribed to process events;
     * -1 with errno set on failure (EPERM without CAP_NET_ADMIN, EMFILE or
     * ENFILE when no descriptor is left). Closing it unsubscribes.
     */
    public static int openProcEvents() {
        try (Arena a = Arena.ofConfined()) {
            int fd = (int) SOCKET.invokeExact(Libc.state(), AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    NETLINK_CONNECTOR);
            if (fd < 0) {
                return -1;
            }
            // every process's fork, exec and exit on the machine: room for bursts, past net.core.rmem_max if
            // CAP_NET_ADMIN allows (SO_RCVBUFFORCE), else up to it
            MemorySegment size = a.allocate(JAVA_INT);
            size.set(JAVA_INT, 0, EVENTS_RCVBUF);
            if (setsockopt(fd, SO_RCVBUFFORCE, size) != 0) {
                setsockopt(fd, SO_RCVBUF, size);
            }
            MemorySegment addr = a.allocate(SOCKADDR_NL);
            addr.set(JAVA_SHORT, SOCKADDR_NL.byteOffset(groupElement("nl_family")), (short) AF_NETLINK);
            addr.set(JAVA_INT, SOCKADDR_NL.byteOffset(groupElement("nl_groups")), CN_IDX_PROC);
            MemorySegment msg = a.allocate(SUBSCRIPTION);
            msg.set(JAVA_INT, offset(SUBSCRIPTION, "nlh", "nlmsg_len"), (int) SUBSCRIPTION.byteSize());
            msg.set(JAVA_SHORT, offset(SUBSCRIPTION, "nlh", "nlmsg_type"), (short) NLMSG_DONE);
            msg.set(JAVA_INT, offset(SUBSCRIPTION, "nlh", "nlmsg_pid"), (int) ProcessHandle.current().pid());
            msg.set(JAVA_INT, offset(SUBSCRIPTION, "cn", "idx"), CN_IDX_PROC);
            msg.set(JAVA_INT, offset(SUBSCRIPTION, "cn", "val"), CN_VAL_PROC);
            msg.set(JAVA_SHORT, offset(SUBSCRIPTION, "cn", "len"), (short) JAVA_INT.byteSize());
            msg.set(JAVA_INT, offset(SUBSCRIPTION, "op"), PROC_CN_MCAST_LISTEN);
            if ((int) BIND.invokeExact(Libc.state(), fd, addr, (int) addr.byteSize()) != 0
                    || (long) SEND.invokeExact(Libc.state(), fd, msg, msg.byteSize(), 0) != msg.byteSize()) {
                Libc.close(fd);   // leaves errno alone
                return -1;
            }
            return fd;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** setsockopt(fd, SOL_SOCKET, name, value, sizeof value): 0 or -1 with errno set. */
    private static int setsockopt(int fd, int name, MemorySegment value) throws Throwable {
        return (int) SETSOCKOPT.invokeExact(Libc.state(), fd, SOL_SOCKET, name, value, (int) value.byteSize());
    }

    /** A receive buffer for process-event messages and what the last one says. One per socket, used under its lock. */
    public static final class Message {
        private final MemorySegment buf = Arena.ofAuto().allocate(4096, 8);

        /** One message from {@code fd}; false with errno set (EAGAIN: none left, ENOBUFS: some were lost). */
        public boolean receive(int fd) {
            try {
                return (long) RECV.invokeExact(Libc.state(), fd, buf, buf.byteSize(), 0) >= 0;
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
        }

        /** PROC_EVENT_*. */
        public int what() {
            return buf.get(JAVA_INT, WHAT);
        }

        /** When the kernel sent it: ktime_get_ns(), CLOCK_MONOTONIC (System.nanoTime()'s clock). */
        public long timestampNanos() {
            return buf.get(JAVA_LONG_UNALIGNED, TIMESTAMP);
        }

        /** none: the errno with which the kernel answered a subscription (0: listening). */
        public int ackError() {
            return buf.get(JAVA_INT, ACK_ERR);
        }

        /** fork: the parent's process id (tgid). */
        public int forkParent() {
            return buf.get(JAVA_INT, FORK_PARENT_TGID);
        }

        /** fork: the child's thread id; equal to {@link #forkChildTgid} for a new process. */
        public int forkChildPid() {
            return buf.get(JAVA_INT, FORK_CHILD_PID);
        }

        public int forkChildTgid() {
            return buf.get(JAVA_INT, FORK_CHILD_TGID);
        }

        /** exec: the process id (tgid). */
        public int execProcess() {
            return buf.get(JAVA_INT, EXEC_TGID);
        }

        /** exit: the thread id; equal to {@link #exitProcess} for a process's main thread. */
        public int exitThread() {
            return buf.get(JAVA_INT, EXIT_PID);
        }

        /** exit: the process id (tgid). */
        public int exitProcess() {
            return buf.get(JAVA_INT, EXIT_TGID);
        }

        /** exit: the task's exit_code, which is the wait(2) status. */
        public int exitCode() {
            return buf.get(JAVA_INT, EXIT_CODE);
        }
    }
}
