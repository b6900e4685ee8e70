package io.jkqueue.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static io.jkqueue.linux.Libc.C_INT;
import static io.jkqueue.linux.Libc.C_LONG;
import static io.jkqueue.linux.Libc.PTR;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * io_uring(7): io_uring_setup, io_uring_enter, io_uring_register and the
 * three mapped regions (SQ ring, CQ ring, SQE array); literal bindings, no
 * policy. One instance is one ring. Its SQ side has one producer at a time
 * and its CQ side one consumer at a time: the caller locks.
 */
public final class IoUring {
    // io_uring's system calls have the same numbers on every Linux ABI (the unified table)
    private static final long SYS_IO_URING_SETUP = 425;
    private static final long SYS_IO_URING_ENTER = 426;
    private static final long SYS_IO_URING_REGISTER = 427;

    public static final int IORING_SETUP_CQSIZE = 1 << 3;
    public static final int IORING_FEAT_SINGLE_MMAP = 1;
    public static final int IORING_FEAT_NODROP = 1 << 1;
    public static final int IORING_ENTER_GETEVENTS = 1;

    public static final int IORING_OP_NOP = 0;
    public static final int IORING_OP_FSYNC = 3;
    public static final int IORING_OP_ASYNC_CANCEL = 14;
    public static final int IORING_OP_READ = 22;
    public static final int IORING_OP_WRITE = 23;

    public static final int IORING_REGISTER_EVENTFD = 4;
    public static final int IORING_REGISTER_PROBE = 8;

    private static final long IORING_OFF_SQ_RING = 0;
    private static final long IORING_OFF_CQ_RING = 0x8000000L;
    private static final long IORING_OFF_SQES = 0x10000000L;

    /** struct io_sqring_offsets (linux/io_uring.h). */
    static final StructLayout SQRING_OFFSETS = MemoryLayout.structLayout(
            JAVA_INT.withName("head"), JAVA_INT.withName("tail"), JAVA_INT.withName("ring_mask"),
            JAVA_INT.withName("ring_entries"), JAVA_INT.withName("flags"), JAVA_INT.withName("dropped"),
            JAVA_INT.withName("array"), JAVA_INT.withName("resv1"), JAVA_LONG.withName("user_addr"));
    /** struct io_cqring_offsets. */
    static final StructLayout CQRING_OFFSETS = MemoryLayout.structLayout(
            JAVA_INT.withName("head"), JAVA_INT.withName("tail"), JAVA_INT.withName("ring_mask"),
            JAVA_INT.withName("ring_entries"), JAVA_INT.withName("overflow"), JAVA_INT.withName("cqes"),
            JAVA_INT.withName("flags"), JAVA_INT.withName("resv1"), JAVA_LONG.withName("user_addr"));
    /** struct io_uring_params, 120 bytes. */
    static final StructLayout PARAMS = MemoryLayout.structLayout(
            JAVA_INT.withName("sq_entries"), JAVA_INT.withName("cq_entries"), JAVA_INT.withName("flags"),
            JAVA_INT.withName("sq_thread_cpu"), JAVA_INT.withName("sq_thread_idle"), JAVA_INT.withName("features"),
            JAVA_INT.withName("wq_fd"), MemoryLayout.sequenceLayout(3, JAVA_INT).withName("resv"),
            SQRING_OFFSETS.withName("sq_off"), CQRING_OFFSETS.withName("cq_off"));
    /** struct io_uring_sqe, 64 bytes (off/addr2, addr, rw_flags/fsync_flags/cancel_flags are unions). */
    static final StructLayout SQE = MemoryLayout.structLayout(
            JAVA_BYTE.withName("opcode"), JAVA_BYTE.withName("flags"), JAVA_SHORT.withName("ioprio"),
            JAVA_INT.withName("fd"), JAVA_LONG.withName("off"), JAVA_LONG.withName("addr"), JAVA_INT.withName("len"),
            JAVA_INT.withName("op_flags"), JAVA_LONG.withName("user_data"), JAVA_SHORT.withName("buf_index"),
            JAVA_SHORT.withName("personality"), JAVA_INT.withName("splice_fd_in"), JAVA_LONG.withName("addr3"),
            JAVA_LONG.withName("pad2"));
    /** struct io_uring_cqe, 16 bytes. */
    static final StructLayout CQE = MemoryLayout.structLayout(
            JAVA_LONG.withName("user_data"), JAVA_INT.withName("res"), JAVA_INT.withName("flags"));
    /** struct io_uring_probe (16 bytes) followed by ops_len struct io_uring_probe_op (8 bytes each). */
    static final StructLayout PROBE = MemoryLayout.structLayout(
            JAVA_BYTE.withName("last_op"), JAVA_BYTE.withName("ops_len"), JAVA_SHORT.withName("resv"),
            MemoryLayout.sequenceLayout(3, JAVA_INT).withName("resv2"));
    static final StructLayout PROBE_OP = MemoryLayout.structLayout(
            JAVA_BYTE.withName("op"), JAVA_BYTE.withName("resv"), JAVA_SHORT.withName("flags"),
            JAVA_INT.withName("resv2"));
    private static final int IO_URING_OP_SUPPORTED = 1;
    private static final int PROBE_OPS = 256;

    private static final long P_SQ_ENTRIES = PARAMS.byteOffset(groupElement("sq_entries"));
    private static final long P_CQ_ENTRIES = PARAMS.byteOffset(groupElement("cq_entries"));
    private static final long P_FLAGS = PARAMS.byteOffset(groupElement("flags"));
    private static final long P_FEATURES = PARAMS.byteOffset(groupElement("features"));
    private static final long P_SQ_OFF = PARAMS.byteOffset(groupElement("sq_off"));
    private static final long P_CQ_OFF = PARAMS.byteOffset(groupElement("cq_off"));
    private static final long SO_HEAD = SQRING_OFFSETS.byteOffset(groupElement("head"));
    private static final long SO_TAIL = SQRING_OFFSETS.byteOffset(groupElement("tail"));
    private static final long SO_MASK = SQRING_OFFSETS.byteOffset(groupElement("ring_mask"));
    private static final long SO_ARRAY = SQRING_OFFSETS.byteOffset(groupElement("array"));
    private static final long CO_HEAD = CQRING_OFFSETS.byteOffset(groupElement("head"));
    private static final long CO_TAIL = CQRING_OFFSETS.byteOffset(groupElement("tail"));
    private static final long CO_MASK = CQRING_OFFSETS.byteOffset(groupElement("ring_mask"));
    private static final long CO_CQES = CQRING_OFFSETS.byteOffset(groupElement("cqes"));
    private static final long SQE_SIZE = SQE.byteSize();
    private static final long SQE_OPCODE = SQE.byteOffset(groupElement("opcode"));
    private static final long SQE_FLAGS = SQE.byteOffset(groupElement("flags"));
    private static final long SQE_IOPRIO = SQE.byteOffset(groupElement("ioprio"));
    private static final long SQE_BUF_INDEX = SQE.byteOffset(groupElement("buf_index"));
    private static final long SQE_ADDR3 = SQE.byteOffset(groupElement("addr3"));
    private static final long SQE_PAD2 = SQE.byteOffset(groupElement("pad2"));
    private static final long SQE_FD = SQE.byteOffset(groupElement("fd"));
    private static final long SQE_OFF = SQE.byteOffset(groupElement("off"));
    private static final long SQE_ADDR = SQE.byteOffset(groupElement("addr"));
    private static final long SQE_LEN = SQE.byteOffset(groupElement("len"));
    private static final long SQE_OP_FLAGS = SQE.byteOffset(groupElement("op_flags"));
    private static final long SQE_USER_DATA = SQE.byteOffset(groupElement("user_data"));
    private static final long CQE_SIZE = CQE.byteSize();
    private static final long CQE_USER_DATA = CQE.byteOffset(groupElement("user_data"));
    private static final long CQE_RES = CQE.byteOffset(groupElement("res"));

    // head and tail are shared with the kernel: read its side with acquire, publish ours with release
    private static final VarHandle RING_INT = JAVA_INT.varHandle();

    private static final int PROT_READ = 1;
    private static final int PROT_WRITE = 2;
    private static final int MAP_SHARED = 1;
    private static final int MAP_POPULATE = 0x8000;
    private static final long MAP_FAILED = -1;

    private static final MethodHandle SETUP = Libc.bind("syscall",
            FunctionDescriptor.of(C_LONG, C_LONG, C_LONG, PTR), Libc.variadic(1));
    private static final MethodHandle ENTER = Libc.bind("syscall",
            FunctionDescriptor.of(C_LONG, C_LONG, C_LONG, C_LONG, C_LONG, C_LONG, PTR, C_LONG), Libc.variadic(1));
    private static final MethodHandle REGISTER = Libc.bind("syscall",
            FunctionDescriptor.of(C_LONG, C_LONG, C_LONG, C_LONG, PTR, C_LONG), Libc.variadic(1));
    private static final MethodHandle MMAP = Libc.bind("mmap",
            FunctionDescriptor.of(PTR, PTR, C_LONG, C_INT, C_INT, C_INT, C_LONG));
    // munmap of a region this class mapped cannot fail
    private static final MethodHandle MUNMAP = Libc.bindWithoutErrno("munmap", FunctionDescriptor.ofVoid(PTR, C_LONG));

    private final int fd;
    private final int features;
    private final MemorySegment sqRing;
    private final MemorySegment cqRing;   // the same mapping as sqRing with IORING_FEAT_SINGLE_MMAP
    private final MemorySegment sqes;
    private final long sqHead;
    private final long sqTail;
    private final long sqArray;
    private final int sqMask;
    private final int sqEntries;
    private final long cqHead;
    private final long cqTail;
    private final long cqCqes;
    private final int cqMask;
    private final int cqEntries;
    private int tail;   // the SQ tail as the producer sees it; the kernel sees it at submit()

    private IoUring(int fd, MemorySegment params, MemorySegment sqRing, MemorySegment cqRing, MemorySegment sqes) {
        this.fd = fd;
        this.features = params.get(JAVA_INT, P_FEATURES);
        this.sqRing = sqRing;
        this.cqRing = cqRing;
        this.sqes = sqes;
        this.sqEntries = params.get(JAVA_INT, P_SQ_ENTRIES);
        this.cqEntries = params.get(JAVA_INT, P_CQ_ENTRIES);
        this.sqHead = params.get(JAVA_INT, P_SQ_OFF + SO_HEAD);
        this.sqTail = params.get(JAVA_INT, P_SQ_OFF + SO_TAIL);
        this.sqArray = params.get(JAVA_INT, P_SQ_OFF + SO_ARRAY);
        this.sqMask = sqRing.get(JAVA_INT, params.get(JAVA_INT, P_SQ_OFF + SO_MASK));
        this.cqHead = params.get(JAVA_INT, P_CQ_OFF + CO_HEAD);
        this.cqTail = params.get(JAVA_INT, P_CQ_OFF + CO_TAIL);
        this.cqCqes = params.get(JAVA_INT, P_CQ_OFF + CO_CQES);
        this.cqMask = cqRing.get(JAVA_INT, params.get(JAVA_INT, P_CQ_OFF + CO_MASK));
        this.tail = (int) RING_INT.getAcquire(sqRing, sqTail);
    }

    /**
     * io_uring_setup(sqEntries, {flags = IORING_SETUP_CQSIZE, cq_entries})
     * and the mmap of its regions: the ring, or null with errno set (ENOSYS
     * without io_uring or under a seccomp filter, EPERM when
     * kernel.io_uring_disabled refuses it, ENOMEM over RLIMIT_MEMLOCK on
     * kernels before 5.12).
     */
    public static IoUring setup(int sqEntries, int cqEntries) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = arena.allocate(PARAMS);
            params.set(JAVA_INT, P_FLAGS, IORING_SETUP_CQSIZE);
            params.set(JAVA_INT, P_CQ_ENTRIES, cqEntries);
            int fd = (int) (long) SETUP.invokeExact(Libc.state(), SYS_IO_URING_SETUP, (long) sqEntries, params);
            if (fd < 0) {
                return null;
            }
            int features = params.get(JAVA_INT, P_FEATURES);
            long sqSize = params.get(JAVA_INT, P_SQ_OFF + SO_ARRAY) + 4L * params.get(JAVA_INT, P_SQ_ENTRIES);
            long cqSize = params.get(JAVA_INT, P_CQ_OFF + CO_CQES) + CQE_SIZE * params.get(JAVA_INT, P_CQ_ENTRIES);
            boolean single = (features & IORING_FEAT_SINGLE_MMAP) != 0;
            if (single) {
                sqSize = cqSize = Math.max(sqSize, cqSize);
            }
            MemorySegment sq = mmap(fd, sqSize, IORING_OFF_SQ_RING);
            MemorySegment cq = sq == null ? null : single ? sq : mmap(fd, cqSize, IORING_OFF_CQ_RING);
            MemorySegment sqes = cq == null ? null
                    : mmap(fd, SQE_SIZE * params.get(JAVA_INT, P_SQ_ENTRIES), IORING_OFF_SQES);
            if (sqes == null) {
                unmap(cq != sq ? cq : null);
                unmap(sq);
                Libc.close(fd);
                return null;
            }
            return new IoUring(fd, params, sq, cq, sqes);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static MemorySegment mmap(int fd, long size, long offset) throws Throwable {
        MemorySegment at = (MemorySegment) MMAP.invokeExact(Libc.state(), MemorySegment.NULL, size,
                PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, offset);
        return at.address() == MAP_FAILED ? null : at.reinterpret(size);
    }

    private static void unmap(MemorySegment region) {
        if (region == null) {
            return;
        }
        try {
            MUNMAP.invokeExact(region, region.byteSize());
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public int fd() {
        return fd;
    }

    /** IORING_FEAT_* the kernel answered at setup. */
    public int features() {
        return features;
    }

    public int sqEntries() {
        return sqEntries;
    }

    public int cqEntries() {
        return cqEntries;
    }

    /**
     * Writes the next SQE (not yet seen by the kernel: {@link #publish} shows
     * it); false when the SQ is full of entries the kernel has not consumed.
     * {@code opFlags} is the union rw_flags/fsync_flags/cancel_flags.
     */
    public boolean prepare(int opcode, int sqeFlags, int fd, long off, long addr, int len, int opFlags,
            long userData) {
        if (tail - (int) RING_INT.getAcquire(sqRing, sqHead) == sqEntries) {
            return false;
        }
        int index = tail & sqMask;
        long at = index * SQE_SIZE;
        sqes.set(JAVA_BYTE, at + SQE_OPCODE, (byte) opcode);
        sqes.set(JAVA_BYTE, at + SQE_FLAGS, (byte) sqeFlags);
        sqes.set(JAVA_INT, at + SQE_FD, fd);
        sqes.set(JAVA_LONG, at + SQE_OFF, off);
        sqes.set(JAVA_LONG, at + SQE_ADDR, addr);
        sqes.set(JAVA_INT, at + SQE_LEN, len);
        sqes.set(JAVA_INT, at + SQE_OP_FLAGS, opFlags);
        sqes.set(JAVA_LONG, at + SQE_USER_DATA, userData);
        sqes.set(JAVA_SHORT, at + SQE_IOPRIO, (short) 0);
        sqes.set(JAVA_LONG, at + SQE_BUF_INDEX, 0L);   // buf_index, personality, splice_fd_in
        sqes.set(JAVA_LONG, at + SQE_ADDR3, 0L);
        sqes.set(JAVA_LONG, at + SQE_PAD2, 0L);
        sqRing.set(JAVA_INT, sqArray + 4L * index, index);
        tail++;
        return true;
    }

    /** SQEs prepared and not yet consumed by the kernel. */
    public int unsubmitted() {
        return tail - (int) RING_INT.getAcquire(sqRing, sqHead);
    }

    /**
     * Takes back the prepared SQEs the kernel has not consumed (after a
     * failed {@link #enter}), newest first, returning the user_data of the
     * one taken; call while {@link #unsubmitted} is positive.
     */
    public long unprepare() {
        tail--;
        RING_INT.setRelease(sqRing, sqTail, tail);
        return sqes.get(JAVA_LONG, (tail & sqMask) * SQE_SIZE + SQE_USER_DATA);
    }

    /** Shows the kernel the SQEs prepared so far: the next {@link #enter} may take them. */
    public void publish() {
        RING_INT.setRelease(sqRing, sqTail, tail);
    }

    /**
     * io_uring_enter(2) without a signal mask: the number of SQEs the kernel
     * took, or -1 with errno set (EINTR while waiting for minComplete).
     */
    public int enter(int toSubmit, int minComplete, int flags) {
        try {
            return (int) (long) ENTER.invokeExact(Libc.state(), SYS_IO_URING_ENTER, (long) fd, (long) toSubmit,
                    (long) minComplete, (long) flags, MemorySegment.NULL, 0L);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** The CQ head as the consumer sees it. */
    public int cqHead() {
        return (int) RING_INT.getAcquire(cqRing, cqHead);
    }

    /** The CQ tail the kernel has published: the CQEs from {@link #cqHead} up to it are complete. */
    public int cqTail() {
        return (int) RING_INT.getAcquire(cqRing, cqTail);
    }

    public long cqeUserData(int position) {
        return cqRing.get(JAVA_LONG, cqCqes + (position & cqMask) * CQE_SIZE + CQE_USER_DATA);
    }

    public int cqeResult(int position) {
        return cqRing.get(JAVA_INT, cqCqes + (position & cqMask) * CQE_SIZE + CQE_RES);
    }

    /** Hands the CQEs before {@code head} back to the kernel. */
    public void cqAdvance(int head) {
        RING_INT.setRelease(cqRing, cqHead, head);
    }

    /** io_uring_register(fd, IORING_REGISTER_EVENTFD, &efd, 1): 0 or -1 with errno set. */
    public int registerEventFd(int efd) {
        MemorySegment arg = Libc.scratch().asSlice(0, JAVA_INT);
        arg.set(JAVA_INT, 0, efd);
        return register(IORING_REGISTER_EVENTFD, arg, 1);
    }

    /**
     * IORING_REGISTER_PROBE (Linux 5.6): whether each opcode of {@code ops}
     * is supported: 1 if all are, 0 if one is not, -1 with errno set (EINVAL
     * before 5.6).
     */
    public int probe(int... ops) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment probe = arena.allocate(PROBE.byteSize() + PROBE_OP.byteSize() * PROBE_OPS, 8);
            if (register(IORING_REGISTER_PROBE, probe, PROBE_OPS) != 0) {
                return -1;
            }
            int opsLen = Byte.toUnsignedInt(probe.get(JAVA_BYTE, PROBE.byteOffset(groupElement("ops_len"))));
            long flags = PROBE_OP.byteOffset(groupElement("flags"));
            for (int op : ops) {
                if (op >= opsLen || (probe.get(JAVA_SHORT, PROBE.byteSize() + op * PROBE_OP.byteSize() + flags)
                        & IO_URING_OP_SUPPORTED) == 0) {
                    return 0;
                }
            }
            return 1;
        }
    }

    private int register(int opcode, MemorySegment arg, int nrArgs) {
        try {
            return (int) (long) REGISTER.invokeExact(Libc.state(), SYS_IO_URING_REGISTER, (long) fd, (long) opcode,
                    arg, (long) nrArgs);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** Unmaps the regions and closes the ring (the kernel cancels what is still in flight). */
    public void close() {
        unmap(sqes);
        if (cqRing != sqRing) {
            unmap(cqRing);
        }
        unmap(sqRing);
        Libc.close(fd);
    }
}
