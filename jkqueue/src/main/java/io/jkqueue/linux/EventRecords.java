package io.jkqueue.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static io.jkqueue.linux.Libc.C_INT;
import static io.jkqueue.linux.Libc.C_LONG;
import static io.jkqueue.linux.Libc.PTR;

/**
 * A read buffer of the variable-length event records a notification
 * descriptor gives (inotify, fanotify), and a cursor over what the last
 * {@link #read} put in it. One per descriptor, used under its owner's lock.
 */
abstract class EventRecords {
    // errno is not captured: nobody reads it (a failed read ends the drain, as EAGAIN does), and its
    // segment slice allocates wherever the JIT fails to remove it
    private static final MethodHandle READ = Libc.bindWithoutErrno("read",
            FunctionDescriptor.of(C_LONG, C_INT, PTR, C_LONG));

    final MemorySegment buf;
    private long end;
    private long next;
    long at = -1;   // the current record's offset

    EventRecords(long size) {
        buf = Arena.ofAuto().allocate(size, 8);
    }

    /** The bytes of the record's fixed part. */
    abstract long headerSize();

    /** The whole length of the record at {@code offset}. */
    abstract long recordLength(long offset);

    /** Reads what is queued on {@code fd}; false when nothing is (EAGAIN) or the read failed. */
    public boolean read(int fd) {
        long n;
        try {
            n = (long) READ.invokeExact(fd, buf, buf.byteSize());
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        end = Math.max(n, 0);
        next = 0;
        at = -1;
        return n > 0;
    }

    /** The bytes the last {@link #read} returned (0 if it failed). */
    long length() {
        return end;
    }

    /** Moves to the next record of the last read; false past the last one. */
    public boolean next() {
        if (next + headerSize() > end) {
            return false;
        }
        at = next;
        next += recordLength(at);
        return true;
    }
}
