package io.jkqueue.examples;

import io.jkqueue.Aio;
import io.jkqueue.AioCb;
import io.jkqueue.Fd;
import io.jkqueue.KEventList;
import io.jkqueue.KQueue;
import io.jkqueue.KQueueException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.function.Consumer;

import static io.jkqueue.KEvent.EVFILT_AIO;
import static io.jkqueue.KEvent.EVFILT_TIMER;
import static io.jkqueue.KEvent.EV_ADD;
import static io.jkqueue.KEvent.EV_DELETE;

/**
 * Copies a file with asynchronous I/O: N blocks in flight at once, each read
 * into its own direct buffer and written from it, every completion reported
 * by one kqueue (EVFILT_AIO), which also carries a periodic EVFILT_TIMER for
 * progress lines. The copy ends with an aio_fsync of the destination.
 * <pre>java ... io.jkqueue.examples.AioCopy SOURCE DEST [IN_FLIGHT [BLOCK_BYTES]]</pre>
 */
public final class AioCopy {
    private static final long PROGRESS = -1;   // the timer's ident

    /** One block in flight: a buffer, the read that fills it and the write that empties it. */
    private static final class Slot {
        final ByteBuffer buf;
        final AioCb read;
        final AioCb write;
        long pos;    // the next byte of this slot's range to move
        long end;
        boolean busy;

        Slot(KQueue kq, int in, int out, int blockSize) {
            buf = ByteBuffer.allocateDirect(blockSize);
            read = new AioCb(in, buf, 0).notifyKqueue(kq, 0, this);
            write = new AioCb(out, buf, 0).notifyKqueue(kq, 0, this);
        }
    }

    private AioCopy() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: AioCopy SOURCE DEST [IN_FLIGHT [BLOCK_BYTES]]");
            System.exit(2);
        }
        int inFlight = args.length > 2 ? Integer.parseInt(args[2]) : 16;
        int block = args.length > 3 ? Integer.parseInt(args[3]) : 128 * 1024;
        long n = copy(Path.of(args[0]), Path.of(args[1]), inFlight, block, Duration.ofMillis(500), System.out::println);
        System.out.println(n + " bytes copied");
    }

    /**
     * Copies {@code src} to {@code dst} (created or truncated) with up to
     * {@code inFlight} blocks of {@code blockSize} bytes in flight, handing a
     * progress line to {@code progress} every {@code every}; returns the bytes
     * copied.
     */
    public static long copy(Path src, Path dst, int inFlight, int blockSize, Duration every, Consumer<String> progress)
            throws IOException {
        long size = Files.size(src);
        int in = Fd.open(src, StandardOpenOption.READ);
        try {
            int out = Fd.open(dst, StandardOpenOption.WRITE, StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING);
            try (KQueue kq = KQueue.open()) {
                return copy(kq, in, out, size, inFlight, blockSize, every, progress);
            } finally {
                Fd.close(out);
            }
        } finally {
            Fd.close(in);
        }
    }

    private static long copy(KQueue kq, int in, int out, long size, int inFlight, int blockSize, Duration every,
            Consumer<String> progress) throws IOException {
        KEventList changes = new KEventList(1);
        changes.add(PROGRESS, EVFILT_TIMER, EV_ADD, 0, Math.max(1, every.toMillis()), null);
        kq.kevent(changes, null, 0);

        Slot[] slots = new Slot[inFlight];
        long next = 0;    // the first byte no slot has taken yet
        long copied = 0;
        int busy = 0;
        for (int i = 0; i < inFlight; i++) {
            slots[i] = new Slot(kq, in, out, blockSize);
            if (next < size) {
                next = take(slots[i], next, size, blockSize);
                busy++;
            }
        }
        KEventList events = new KEventList(inFlight + 1);
        while (busy > 0) {
            int n = kq.kevent(null, events, -1);
            for (int i = 0; i < n; i++) {
                if (events.filter(i) == EVFILT_TIMER) {
                    progress.accept(String.format("%,d of %,d bytes (%d%%)", copied, size,
                            size == 0 ? 100 : copied * 100 / size));
                    continue;
                }
                Slot s = (Slot) events.udata(i);
                if (events.ident(i) == s.read.ident()) {
                    long r = result(s.read, "read");
                    if (r == 0) {
                        throw new IOException("the source ended at " + s.pos + " of " + size + " bytes");
                    }
                    s.buf.clear().limit((int) r);
                    Aio.write(s.write.offset(s.pos));
                } else {
                    long w = result(s.write, "write");
                    s.pos += w;
                    copied += w;
                    if (s.pos < s.end) {
                        read(s);   // a short read or write: the rest of the range
                    } else if (next < size) {
                        next = take(s, next, size, blockSize);
                    } else {
                        s.busy = false;
                        busy--;
                    }
                }
            }
        }
        changes.clear();
        changes.add(PROGRESS, EVFILT_TIMER, EV_DELETE, 0, 0, null);
        kq.kevent(changes, null, 0);

        AioCb sync = slots[0].write;   // aio_fsync: after every write above
        Aio.fsync(sync);
        do {
            kq.kevent(null, events, -1);   // only the fsync is left to report
        } while (events.size() == 0 || events.filter(0) != EVFILT_AIO);
        result(sync, "fsync");
        progress.accept(String.format("%,d of %,d bytes (100%%)", copied, size));
        return copied;
    }

    /** Gives the slot the block at {@code next} and starts its read; returns the next untaken byte. */
    private static long take(Slot s, long next, long size, int blockSize) throws KQueueException {
        s.pos = next;
        s.end = Math.min(size, next + blockSize);
        s.busy = true;
        read(s);
        return s.end;
    }

    private static void read(Slot s) throws KQueueException {
        s.buf.clear().limit((int) (s.end - s.pos));
        Aio.read(s.read.offset(s.pos));
    }

    /** aio_error then aio_return of a reported job. */
    private static long result(AioCb cb, String what) throws IOException {
        int error = Aio.error(cb);
        long r = Aio.returnValue(cb);
        if (error != 0) {
            throw new IOException(what + " failed: errno " + error);
        }
        return r;
    }
}
