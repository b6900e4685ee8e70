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
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * statx(2) on a descriptor, fstatfs(2) for its file system type, and lseek(2):
 * literal bindings, no policy. statx has one layout on every ABI.
 */
public final class Stat {
    private Stat() {}

    private static final StructLayout STATX_TIMESTAMP = MemoryLayout.structLayout(
            JAVA_LONG.withName("tv_sec"), JAVA_INT.withName("tv_nsec"), JAVA_INT.withName("__reserved"));

    /** struct statx, up to the fields jkqueue reads, then the room the kernel may fill. */
    private static final StructLayout STATX = MemoryLayout.structLayout(
            JAVA_INT.withName("stx_mask"), JAVA_INT.withName("stx_blksize"),
            JAVA_LONG.withName("stx_attributes"),
            JAVA_INT.withName("stx_nlink"), JAVA_INT.withName("stx_uid"), JAVA_INT.withName("stx_gid"),
            JAVA_SHORT.withName("stx_mode"), MemoryLayout.paddingLayout(2),
            JAVA_LONG.withName("stx_ino"), JAVA_LONG.withName("stx_size"), JAVA_LONG.withName("stx_blocks"),
            JAVA_LONG.withName("stx_attributes_mask"),
            STATX_TIMESTAMP.withName("stx_atime"), STATX_TIMESTAMP.withName("stx_btime"),
            STATX_TIMESTAMP.withName("stx_ctime"), STATX_TIMESTAMP.withName("stx_mtime"),
            JAVA_INT.withName("stx_rdev_major"), JAVA_INT.withName("stx_rdev_minor"),
            JAVA_INT.withName("stx_dev_major"), JAVA_INT.withName("stx_dev_minor"),
            MemoryLayout.paddingLayout(112));
    public static final long STATX_SIZE_BYTES = STATX.byteSize();
    private static final long STX_NLINK = STATX.byteOffset(groupElement("stx_nlink"));
    private static final long STX_MODE = STATX.byteOffset(groupElement("stx_mode"));
    private static final long STX_INO = STATX.byteOffset(groupElement("stx_ino"));
    private static final long STX_SIZE = STATX.byteOffset(groupElement("stx_size"));
    private static final long STX_CTIME = STATX.byteOffset(groupElement("stx_ctime"));
    private static final long STX_MTIME = STATX.byteOffset(groupElement("stx_mtime"));
    private static final long TS_SEC = STATX_TIMESTAMP.byteOffset(groupElement("tv_sec"));
    private static final long TS_NSEC = STATX_TIMESTAMP.byteOffset(groupElement("tv_nsec"));
    private static final long STX_DEV_MAJOR = STATX.byteOffset(groupElement("stx_dev_major"));
    private static final long STX_DEV_MINOR = STATX.byteOffset(groupElement("stx_dev_minor"));

    /** struct statfs on 64-bit ABIs: f_type first, 120 bytes in all. */
    private static final StructLayout STATFS = MemoryLayout.structLayout(
            JAVA_LONG.withName("f_type"), MemoryLayout.paddingLayout(112));
    private static final long F_TYPE = STATFS.byteOffset(groupElement("f_type"));

    private static final int AT_EMPTY_PATH = 0x1000;
    private static final int STATX_BASIC_STATS = 0x7ff;
    private static final MemorySegment EMPTY_PATH = Arena.global().allocateFrom("");

    public static final int S_IFMT = 0170000;
    public static final int S_IFSOCK = 0140000;
    public static final int S_IFDIR = 0040000;
    public static final int S_IFREG = 0100000;
    public static final int S_IFBLK = 0060000;
    public static final int S_IFCHR = 0020000;
    public static final int S_IFIFO = 0010000;

    public static final int SEEK_CUR = 1;

    /** statfs f_type of pipefs, where anonymous pipes live (a FIFO lives in the file system of its path). */
    public static final long PIPEFS_MAGIC = 0x50495045L;
    /** statfs f_type of pidfs, where pidfds live since Linux 6.9 (before, an anonymous inode's file system). */
    public static final long PIDFS_MAGIC = 0x50494446L;

    private static final MethodHandle STATX_CALL = Libc.bind("statx",
            FunctionDescriptor.of(C_INT, C_INT, PTR, C_INT, C_INT, PTR));
    private static final MethodHandle FSTATFS = Libc.bind("fstatfs", FunctionDescriptor.of(C_INT, C_INT, PTR));
    private static final MethodHandle LSEEK = Libc.bind("lseek", FunctionDescriptor.of(C_LONG, C_INT, C_LONG, C_INT));

    /**
     * One statx result, filled again by each {@link #fstatx}: a filter keeps
     * one per lock or per thread ({@link #threadBuffer()}), so looking
     * allocates nothing.
     */
    public static final class Buffer {
        private final MemorySegment stx = Arena.ofAuto().allocate(STATX);

        /** statx of {@code fd} into this buffer; false (errno set) if it is not an open descriptor. */
        public boolean fstatx(int fd) {
            return Stat.fstatx(fd, stx) == 0;
        }

        /** The file type: st_mode & S_IFMT (0 for an anonymous inode). */
        public int type() {
            return mode(stx) & S_IFMT;
        }

        public long dev() {
            return Stat.dev(stx);
        }

        public long ino() {
            return Stat.ino(stx);
        }

        public long size() {
            return stx.get(JAVA_LONG, STX_SIZE);
        }

        public int nlink() {
            return stx.get(JAVA_INT, STX_NLINK);
        }

        /** stx_mtime in nanoseconds. */
        public long mtime() {
            return nanos(STX_MTIME);
        }

        /** stx_ctime in nanoseconds. */
        public long ctime() {
            return nanos(STX_CTIME);
        }

        private long nanos(long timestamp) {
            return stx.get(JAVA_LONG, timestamp + TS_SEC) * 1_000_000_000L
                    + Integer.toUnsignedLong(stx.get(JAVA_INT, timestamp + TS_NSEC));
        }
    }

    private static final ThreadLocal<Buffer> BUFFER = ThreadLocal.withInitial(Buffer::new);

    /** This thread's Buffer: valid until this thread's next {@link Buffer#fstatx} through it. */
    public static Buffer threadBuffer() {
        return BUFFER.get();
    }

    /** Whether {@code fd} is open and names the file ({@code dev}, {@code ino}). */
    public static boolean names(int fd, long dev, long ino) {
        MemorySegment stx = Libc.scratch();
        return fstatx(fd, stx) == 0 && dev(stx) == dev && ino(stx) == ino;
    }

    /** statx(fd, "", AT_EMPTY_PATH) into {@code buf} ({@link #STATX_SIZE_BYTES}); returns 0 or -1 with errno set. */
    public static int fstatx(int fd, MemorySegment buf) {
        try {
            return (int) STATX_CALL.invokeExact(Libc.state(), fd, EMPTY_PATH, AT_EMPTY_PATH, STATX_BASIC_STATS, buf);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static int mode(MemorySegment buf) {
        return Short.toUnsignedInt(buf.get(JAVA_SHORT, STX_MODE));
    }

    public static long ino(MemorySegment buf) {
        return buf.get(JAVA_LONG, STX_INO);
    }

    /** The device as one number: major in the high half, minor in the low. */
    public static long dev(MemorySegment buf) {
        return ((long) buf.get(JAVA_INT, STX_DEV_MAJOR) << 32)
                | Integer.toUnsignedLong(buf.get(JAVA_INT, STX_DEV_MINOR));
    }

    /** fstatfs(fd)'s f_type, or -1 with errno set. */
    public static long fsType(int fd) {
        MemorySegment buf = Libc.scratch();
        try {
            return (int) FSTATFS.invokeExact(Libc.state(), fd, buf) == 0 ? buf.get(JAVA_LONG, F_TYPE) : -1;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** lseek(fd, offset, whence); the new offset or -1 with errno set. */
    public static long lseek(int fd, long offset, int whence) {
        try {
            return (long) LSEEK.invokeExact(Libc.state(), fd, offset, whence);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
