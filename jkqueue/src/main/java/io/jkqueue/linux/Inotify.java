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

    /** struct inotify_event, without its name: char name[len] follows. */
    private static final StructLayout EVENT = MemoryLayout.structLayout(
            JAVA_INT.withName("wd"), JAVA_INT.withName("mask"), JAVA_INT.withName("cookie"), JAVA_INT.withName("len"));
    private static final long WD = EVENT.byteOffset(groupElement("wd"));
    private static final long MASK = EVENT.byteOffset(groupElement("mask"));
    private static final long LEN = EVENT.byteOffset(groupElement("len"));
    /** The largest event: the header and a name of NAME_MAX bytes with its NUL. */
    private static final long MAX_EVENT = EVENT.byteSize() + 255 + 1;

    private static final MethodHandle INIT1 = Libc.bind("inotify_init1", FunctionDescriptor.of(C_INT, C_INT));
    private static final MethodHandle ADD_WATCH = Libc.bind("inotify_add_watch",
            FunctionDescriptor.of(C_INT, C_INT, PTR, C_INT));
    // its result and errno are never read: a watch the kernel already dropped is all it can fail on
    private static final MethodHandle RM_WATCH = Libc.bindWithoutErrno("inotify_rm_watch",
            FunctionDescriptor.ofVoid(C_INT, C_INT));

    /** inotify_init1(2): the instance's descriptor, or -1 with errno set. */
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

    public static void rmWatch(int fd, int wd) {
        try {
            RM_WATCH.invokeExact(fd, wd);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * A read buffer of inotify events and a cursor over what the last
     * {@link #read} put in it. One per inotify instance, used under its lock.
     */
    public static final class Events extends EventRecords {
        public Events() {
            super(64 * 1024);
        }

        @Override
        long headerSize() {
            return EVENT.byteSize();
        }

        @Override
        long recordLength(long offset) {
            return EVENT.byteSize() + buf.get(JAVA_INT, offset + LEN);
        }

        /**
         * Whether the last read took all that was queued: inotify fills a read
         * until the next event does not fit, so one that left room for the
         * largest event emptied the queue.
         */
        public boolean emptied() {
            return length() <= buf.byteSize() - MAX_EVENT;
        }

        public int wd() {
            return buf.get(JAVA_INT, at + WD);
        }

        public int mask() {
            return buf.get(JAVA_INT, at + MASK);
        }

        /** Whether the event names an entry of the watched directory (rather than the watched file itself). */
        public boolean aboutEntry() {
            return buf.get(JAVA_INT, at + LEN) > 0;
        }
    }
}
