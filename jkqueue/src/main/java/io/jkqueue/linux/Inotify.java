package io.jkqueue.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

import static io.jkqueue.linux.Libc.C_INT;
import static io.jkqueue.linux.Libc.C_LONG;
import static io.jkqueue.linux.Libc.PTR;

/** inotify(7): literal bindings, no policy. */
public final class Inotify {
    private Inotify() {}

    public static final int IN_NONBLOCK = 0x800;
    public static final int IN_CLOEXEC = 0x80000;

    public static final int IN_ACCESS = 0x001;
    public static final int IN_MODIFY = 0x002;
    public static final int IN_ATTRIB = 0x004;
    public static final int IN_CLOSE_WRITE = 0x008;
    public static final int IN_CLOSE_NOWRITE = 0x010;
    public static final int IN_OPEN = 0x020;
    public static final int IN_MOVED_FROM = 0x040;
    public static final int IN_MOVED_TO = 0x080;
    public static final int IN_CREATE = 0x100;
    public static final int IN_DELETE = 0x200;
    public static final int IN_DELETE_SELF = 0x400;
    public static final int IN_MOVE_SELF = 0x800;
    public static final int IN_ALL_EVENTS = 0xfff;
    public static final int IN_UNMOUNT = 0x2000;
    public static final int IN_Q_OVERFLOW = 0x4000;
    public static final int IN_IGNORED = 0x8000;
    public static final int IN_ONLYDIR = 0x01000000;
    public static final int IN_MASK_ADD = 0x20000000;
    public static final int IN_ISDIR = 0x40000000;

    // errno values of inotify_init1 and inotify_add_watch (Linux numbering)
    public static final int ENOMEM = 12;
    public static final int ENFILE = 23;
    public static final int EMFILE = 24;
    public static final int ENOSPC = 28;

    /** struct inotify_event: int wd; uint32 mask, cookie, len; char name[len]. */
    public static final int EVENT_HEADER = 16;

    private static final MethodHandle INIT1 = Libc.bind("inotify_init1", FunctionDescriptor.of(C_INT, C_INT));
    private static final MethodHandle ADD_WATCH = Libc.bind("inotify_add_watch",
            FunctionDescriptor.of(C_INT, C_INT, PTR, C_INT));
    private static final MethodHandle RM_WATCH = Libc.bind("inotify_rm_watch", FunctionDescriptor.of(C_INT, C_INT, C_INT));
    private static final MethodHandle READ = Libc.bind("read", FunctionDescriptor.of(C_LONG, C_INT, PTR, C_LONG));

    public static int init1(int flags) {
        try {
            return (int) INIT1.invokeExact(Libc.state(), flags);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** inotify_add_watch on a path; the watch descriptor, or -1 with errno set. */
    public static int addWatch(int fd, String path, int mask) {
        try (Arena a = Arena.ofConfined()) {
            return (int) ADD_WATCH.invokeExact(Libc.state(), fd, a.allocateFrom(path), mask);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public static int rmWatch(int fd, int wd) {
        try {
            return (int) RM_WATCH.invokeExact(Libc.state(), fd, wd);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** read(2) into {@code buf}; bytes read, or -1 with errno set (EAGAIN when drained). */
    public static long read(int fd, MemorySegment buf) {
        try {
            return (long) READ.invokeExact(Libc.state(), fd, buf, buf.byteSize());
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public static int wd(MemorySegment buf, long off) {
        return buf.get(ValueLayout.JAVA_INT, off);
    }

    public static int mask(MemorySegment buf, long off) {
        return buf.get(ValueLayout.JAVA_INT, off + 4);
    }

    public static int nameLength(MemorySegment buf, long off) {
        return buf.get(ValueLayout.JAVA_INT, off + 12);
    }
}
