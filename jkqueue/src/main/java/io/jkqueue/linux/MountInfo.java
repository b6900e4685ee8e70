package io.jkqueue.linux;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;

import static io.jkqueue.linux.Libc.C_INT;
import static io.jkqueue.linux.Libc.C_LONG;
import static io.jkqueue.linux.Libc.PTR;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * /proc/self/mountinfo (proc(5)): the mount table of this process's mount
 * namespace. A descriptor open on it polls as changed (POLLPRI|POLLERR, and
 * an epoll wake-up of any interest, since it is always readable) after each
 * change of the table. Literal, no policy.
 */
public final class MountInfo {
    private MountInfo() {}

    private static final String PATH = "/proc/self/mountinfo";
    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 0x80000;
    private static final int CHUNK = 64 * 1024;

    private static final MethodHandle OPEN = Libc.bind("open", FunctionDescriptor.of(C_INT, PTR, C_INT),
            Libc.variadic(2));
    private static final MethodHandle PREAD = Libc.bind("pread",
            FunctionDescriptor.of(C_LONG, C_INT, PTR, C_LONG, C_LONG));

    /** open(2) of the table: its descriptor, or -1 with errno set. */
    public static int open() {
        try (Arena a = Arena.ofConfined()) {
            return (int) OPEN.invokeExact(Libc.state(), a.allocateFrom(PATH), O_RDONLY | O_CLOEXEC);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * The table as it is now, read from the start through {@code fd}: one
     * entry per mount, its id and its mount point ("36 /mnt/a"); null with
     * errno set if the read failed.
     */
    public static Set<String> mounts(int fd) {
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(CHUNK);
            for (long off = 0; ; ) {
                long n = (long) PREAD.invokeExact(Libc.state(), fd, buf, (long) CHUNK, off);
                if (n < 0) {
                    return null;
                }
                if (n == 0) {
                    break;
                }
                text.writeBytes(buf.asSlice(0, n).toArray(JAVA_BYTE));
                off += n;
            }
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        Set<String> mounts = new HashSet<>();
        for (String line : text.toString(StandardCharsets.UTF_8).split("\n")) {
            // mount ID, parent ID, major:minor, root, mount point, ...
            String[] f = line.split(" ", 6);
            if (f.length >= 5) {
                mounts.add(f[0] + " " + f[4]);
            }
        }
        return mounts;
    }
}
