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
 * statx(2) on a descriptor, fstatfs(2) for its file system type, and lseek(2):
 * literal bindings, no policy. statx has one layout on every ABI.
 */
public final class Stat {
    private Stat() {}

    public static final long STATX_SIZE_BYTES = 256;
    private static final int AT_EMPTY_PATH = 0x1000;
    private static final int STATX_BASIC_STATS = 0x7ff;
    private static final MemorySegment EMPTY_PATH = Arena.global().allocateFrom("");

    // struct statx offsets
    private static final long STX_NLINK = 16;
    private static final long STX_MODE = 28;
    private static final long STX_INO = 32;
    private static final long STX_SIZE = 40;
    private static final long STX_DEV_MAJOR = 136;
    private static final long STX_DEV_MINOR = 140;

    public static final int S_IFMT = 0170000;
    public static final int S_IFSOCK = 0140000;
    public static final int S_IFDIR = 0040000;
    public static final int S_IFREG = 0100000;
    public static final int S_IFCHR = 0020000;
    public static final int S_IFIFO = 0010000;

    public static final int SEEK_CUR = 1;

    /** statfs f_type of pipefs, where anonymous pipes live (a FIFO lives in the file system of its path). */
    public static final long PIPEFS_MAGIC = 0x50495045L;

    private static final MethodHandle STATX = Libc.bind("statx",
            FunctionDescriptor.of(C_INT, C_INT, PTR, C_INT, C_INT, PTR));
    private static final MethodHandle FSTATFS = Libc.bind("fstatfs", FunctionDescriptor.of(C_INT, C_INT, PTR));
    private static final MethodHandle LSEEK = Libc.bind("lseek", FunctionDescriptor.of(C_LONG, C_INT, C_LONG, C_INT));

    /** statx(fd, "", AT_EMPTY_PATH) into {@code buf} ({@link #STATX_SIZE_BYTES}); returns 0 or -1 with errno set. */
    public static int fstatx(int fd, MemorySegment buf) {
        try {
            return (int) STATX.invokeExact(Libc.state(), fd, EMPTY_PATH, AT_EMPTY_PATH, STATX_BASIC_STATS, buf);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public static int mode(MemorySegment buf) {
        return Short.toUnsignedInt(buf.get(ValueLayout.JAVA_SHORT, STX_MODE));
    }

    public static long ino(MemorySegment buf) {
        return buf.get(ValueLayout.JAVA_LONG, STX_INO);
    }

    /** The device as one number: major in the high half, minor in the low. */
    public static long dev(MemorySegment buf) {
        return ((long) buf.get(ValueLayout.JAVA_INT, STX_DEV_MAJOR) << 32)
                | Integer.toUnsignedLong(buf.get(ValueLayout.JAVA_INT, STX_DEV_MINOR));
    }

    public static long size(MemorySegment buf) {
        return buf.get(ValueLayout.JAVA_LONG, STX_SIZE);
    }

    /** stx_mtime in nanoseconds. */
    public static long mtime(MemorySegment buf) {
        return buf.get(ValueLayout.JAVA_LONG, 112) * 1_000_000_000L + Integer.toUnsignedLong(buf.get(ValueLayout.JAVA_INT, 120));
    }

    /** stx_ctime in nanoseconds. */
    public static long ctime(MemorySegment buf) {
        return buf.get(ValueLayout.JAVA_LONG, 96) * 1_000_000_000L + Integer.toUnsignedLong(buf.get(ValueLayout.JAVA_INT, 104));
    }

    public static int nlink(MemorySegment buf) {
        return buf.get(ValueLayout.JAVA_INT, STX_NLINK);
    }

    /** fstatfs(fd) into {@code buf} (120 bytes on 64-bit ABIs); f_type, or -1 with errno set. */
    public static long fsType(int fd, MemorySegment buf) {
        try {
            // struct statfs starts with f_type, a long on every 64-bit ABI
            return (int) FSTATFS.invokeExact(Libc.state(), fd, buf) == 0 ? buf.get(ValueLayout.JAVA_LONG, 0) : -1;
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
