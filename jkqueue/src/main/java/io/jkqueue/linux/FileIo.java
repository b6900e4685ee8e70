package io.jkqueue.linux;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static io.jkqueue.linux.Libc.C_INT;
import static io.jkqueue.linux.Libc.C_LONG;
import static io.jkqueue.linux.Libc.PTR;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * pread(2), preadv2(2) with RWF_NOWAIT, pwrite(2), fsync(2), recv(2) and
 * send(2) into native memory, and dup(2) (fcntl F_DUPFD_CLOEXEC): literal
 * bindings for AIO, each retried on EINTR. A failed call returns -1 with
 * errno set (but preadv2, which never waits).
 */
public final class FileIo {
    private FileIo() {}

    public static final int MSG_DONTWAIT = 0x40;
    public static final int MSG_NOSIGNAL = 0x4000;
    /** preadv2 flag: fail with EAGAIN rather than wait for the device (data not in the page cache). Linux 4.14. */
    private static final int RWF_NOWAIT = 0x8;
    /** open flag: 040000 on x86-64, 0200000 on arm64. */
    public static final int O_DIRECT = System.getProperty("os.arch").equals("aarch64") ? 0x10000 : 0x4000;
    public static final int F_GETFL = 3;

    private static final MethodHandle PREAD = Libc.bind("pread", FunctionDescriptor.of(C_LONG, C_INT, PTR, C_LONG, C_LONG));
    // without errno: it never waits, and its callers only need to know that it failed. Critical up to
    // CRITICAL_READ bytes (a safepoint waits for the copy of a larger one); on x86-64 through syscall(2),
    // which, unlike libc's preadv2, is no cancellation point (no asynchronous-cancel switch around it)
    private static final long CRITICAL_READ = 64 * 1024;
    private static final long SYS_PREADV2_X86_64 = 327;
    private static final FunctionDescriptor PREADV2_SYSCALL = FunctionDescriptor.of(C_LONG, C_LONG, C_LONG, PTR, C_LONG,
            C_LONG, C_LONG, C_LONG);   // nr, fd, iov, vlen, pos_l, pos_h (ignored on 64-bit), flags
    private static final FunctionDescriptor PREADV2_LIBC = FunctionDescriptor.of(C_LONG, C_INT, PTR, C_INT, C_LONG, C_INT);
    private static final MethodHandle PREADV2_CRITICAL = Libc.X86_64
            ? Libc.bindWithoutErrno("syscall", PREADV2_SYSCALL, Libc.CRITICAL, Libc.variadic(1))
            : Libc.bindWithoutErrno("preadv2", PREADV2_LIBC, Libc.CRITICAL);
    private static final MethodHandle PREADV2 = Libc.X86_64
            ? Libc.bindWithoutErrno("syscall", PREADV2_SYSCALL, Libc.variadic(1))
            : Libc.bindWithoutErrno("preadv2", PREADV2_LIBC);
    private static final MethodHandle PWRITE = Libc.bind("pwrite", FunctionDescriptor.of(C_LONG, C_INT, PTR, C_LONG, C_LONG));
    private static final MethodHandle FSYNC = Libc.bind("fsync", FunctionDescriptor.of(C_INT, C_INT));
    private static final MethodHandle RECV = Libc.bind("recv", FunctionDescriptor.of(C_LONG, C_INT, PTR, C_LONG, C_INT));
    private static final MethodHandle SEND = Libc.bind("send", FunctionDescriptor.of(C_LONG, C_INT, PTR, C_LONG, C_INT));

    /** pread(fd, buf, buf.byteSize(), offset): bytes read (fewer at end of file), or -1. */
    public static long pread(int fd, MemorySegment buf, long offset) {
        try {
            for (;;) {
                long n = (long) PREAD.invokeExact(Libc.state(), fd, buf, buf.byteSize(), offset);
                if (n >= 0 || Libc.errno() != LinuxErrno.EINTR) {
                    return n;
                }
            }
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * preadv2(fd, {buf}, 1, offset, RWF_NOWAIT) with this thread's scratch as
     * the iovec: bytes read (fewer when only part of the range is in the page
     * cache), or -1 when none is cached or the call failed; errno is not kept.
     */
    public static long preadv2Nowait(int fd, MemorySegment buf, long offset) {
        MemorySegment iov = Libc.scratch();
        iov.set(JAVA_LONG, 0, buf.address());
        iov.set(JAVA_LONG, 8, buf.byteSize());
        try {
            if (buf.byteSize() <= CRITICAL_READ) {
                return Libc.X86_64
                        ? (long) PREADV2_CRITICAL.invokeExact(SYS_PREADV2_X86_64, (long) fd, iov, 1L, offset, 0L,
                                (long) RWF_NOWAIT)
                        : (long) PREADV2_CRITICAL.invokeExact(fd, iov, 1, offset, RWF_NOWAIT);
            }
            return Libc.X86_64
                    ? (long) PREADV2.invokeExact(SYS_PREADV2_X86_64, (long) fd, iov, 1L, offset, 0L, (long) RWF_NOWAIT)
                    : (long) PREADV2.invokeExact(fd, iov, 1, offset, RWF_NOWAIT);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** pwrite(fd, buf, buf.byteSize(), offset): bytes written, or -1. */
    public static long pwrite(int fd, MemorySegment buf, long offset) {
        try {
            for (;;) {
                long n = (long) PWRITE.invokeExact(Libc.state(), fd, buf, buf.byteSize(), offset);
                if (n >= 0 || Libc.errno() != LinuxErrno.EINTR) {
                    return n;
                }
            }
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** fsync(fd): 0 or -1. */
    public static int fsync(int fd) {
        try {
            for (;;) {
                int r = (int) FSYNC.invokeExact(Libc.state(), fd);
                if (r == 0 || Libc.errno() != LinuxErrno.EINTR) {
                    return r;
                }
            }
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** recv(fd, buf, buf.byteSize(), flags): bytes received (0 at end of stream), or -1. */
    public static long recv(int fd, MemorySegment buf, int flags) {
        try {
            for (;;) {
                long n = (long) RECV.invokeExact(Libc.state(), fd, buf, buf.byteSize(), flags);
                if (n >= 0 || Libc.errno() != LinuxErrno.EINTR) {
                    return n;
                }
            }
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** send(fd, buf, buf.byteSize(), flags): bytes sent, or -1. */
    public static long send(int fd, MemorySegment buf, int flags) {
        try {
            for (;;) {
                long n = (long) SEND.invokeExact(Libc.state(), fd, buf, buf.byteSize(), flags);
                if (n >= 0 || Libc.errno() != LinuxErrno.EINTR) {
                    return n;
                }
            }
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** dup(fd) as a close-on-exec descriptor: the new number, or -1 (EBADF: fd is not open). */
    public static int dup(int fd) {
        return Libc.fcntl(fd, Libc.F_DUPFD_CLOEXEC, 0);
    }
}
