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
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/** fanotify(7), the mount-event part (Linux 6.15): literal bindings, no policy. */
public final class Fanotify {
    private Fanotify() {}

    // fanotify_init flags
    public static final int FAN_CLOEXEC = 0x01;
    public static final int FAN_NONBLOCK = 0x02;
    public static final int FAN_CLASS_NOTIF = 0x00;
    public static final int FAN_UNLIMITED_QUEUE = 0x10;
    public static final int FAN_REPORT_MNT = 0x4000;

    // fanotify_mark flags
    public static final int FAN_MARK_ADD = 0x01;
    public static final int FAN_MARK_MNTNS = 0x110;

    // event masks
    public static final long FAN_Q_OVERFLOW = 0x4000L;
    public static final long FAN_MNT_ATTACH = 0x01000000L;
    public static final long FAN_MNT_DETACH = 0x02000000L;

    public static final int AT_FDCWD = -100;

    /** struct fanotify_event_metadata; info records (for mount events, the mount's id) follow it. */
    private static final StructLayout METADATA = MemoryLayout.structLayout(
            JAVA_INT.withName("event_len"), JAVA_BYTE.withName("vers"), JAVA_BYTE.withName("reserved"),
            JAVA_SHORT.withName("metadata_len"), JAVA_LONG.withName("mask"), JAVA_INT.withName("fd"),
            JAVA_INT.withName("pid"));
    private static final long EVENT_LEN = METADATA.byteOffset(groupElement("event_len"));
    private static final long MASK = METADATA.byteOffset(groupElement("mask"));

    private static final MethodHandle INIT = Libc.bind("fanotify_init", FunctionDescriptor.of(C_INT, C_INT, C_INT));
    private static final MethodHandle MARK = Libc.bind("fanotify_mark",
            FunctionDescriptor.of(C_INT, C_INT, C_INT, C_LONG, C_INT, PTR));

    /** fanotify_init(2): the group's descriptor, or -1 with errno set. */
    public static int init(int flags, int eventFileFlags) {
        try {
            return (int) INIT.invokeExact(Libc.state(), flags, eventFileFlags);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** fanotify_mark(2) on {@code path} (relative to {@code dirfd}); 0, or -1 with errno set. */
    public static int mark(int fd, int flags, long mask, int dirfd, String path) {
        try (Arena a = Arena.ofConfined()) {
            return (int) MARK.invokeExact(Libc.state(), fd, flags, mask, dirfd, a.allocateFrom(path));
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * A read buffer of fanotify events and a cursor over what the last
     * {@link #read} put in it. One per group, used under its lock.
     */
    public static final class Events extends EventRecords {
        public Events() {
            super(4096);
        }

        @Override
        long headerSize() {
            return METADATA.byteSize();
        }

        @Override
        long recordLength(long offset) {
            return Math.max(buf.get(JAVA_INT, offset + EVENT_LEN), (int) METADATA.byteSize());
        }

        public long mask() {
            return buf.get(JAVA_LONG, at + MASK);
        }
    }
}
