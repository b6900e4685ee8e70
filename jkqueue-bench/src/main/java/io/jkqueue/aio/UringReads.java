package io.jkqueue.aio;

import io.jkqueue.linux.Open;
import io.jkqueue.linux.Poll;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The AIO benchmark's reads through jkqueue's io_uring backend itself (on
 * the class path, beside the library's package): until the public Aio is
 * there, what its row will cost below the job layer. Each completion, seen
 * by draining the ring's eventfd, submits the next read of its buffer.
 */
public final class UringReads {
    private static final int BLOCK = 4096;

    private UringReads() {}

    private static final class Read extends AioJob {
        final Counter counter;

        Read(int fd, long offset, MemorySegment buffer, Counter counter) {
            super(READ, fd, offset, buffer, false);
            this.counter = counter;
        }

        @Override
        void complete(long result) {
            counter.completed(this, result);
        }
    }

    private static final class Counter {
        final UringBackend backend;
        final int fd;
        final long blocks;
        final long end;
        long done;
        int inFlight;
        int failures;

        Counter(UringBackend backend, int fd, long blocks, long end) {
            this.backend = backend;
            this.fd = fd;
            this.blocks = blocks;
            this.end = end;
        }

        void start(MemorySegment buffer) {
            inFlight++;
            Read next = new Read(fd, ThreadLocalRandom.current().nextLong(blocks) * BLOCK, buffer, this);
            if (backend.submit(next) != 0) {
                failures++;
                inFlight--;
            }
        }

        // only the draining thread calls this
        void completed(Read read, long result) {
            inFlight--;
            done++;
            if (result != BLOCK) {
                failures++;
            }
            if (System.nanoTime() < end) {
                start(read.buffer);
            }
        }
    }

    /** Keeps {@code qd} random 4 KiB reads of {@code file} in flight for {@code millis}: reads per second. */
    public static double readsPerSecond(Path file, long size, int qd, long millis) {
        UringBackend backend = UringBackend.open();
        if (backend == null) {
            throw new IllegalStateException("io_uring refused here");
        }
        int fd = Open.open(file.toString(), Open.O_RDONLY | Open.O_CLOEXEC, 0);
        try (Arena arena = Arena.ofShared()) {
            long start = System.nanoTime();
            Counter c = new Counter(backend, fd, size / BLOCK, start + TimeUnit.MILLISECONDS.toNanos(millis));
            for (int i = 0; i < qd; i++) {
                c.start(arena.allocate(BLOCK, BLOCK));
            }
            while (c.inFlight > 0) {
                Poll.await(backend.completions().fd(), Poll.POLLIN, 100);
                backend.completions().drain();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            if (c.failures != 0) {
                throw new IllegalStateException(c.failures + " reads through the io_uring backend failed");
            }
            return c.done / seconds;
        } finally {
            backend.close();
            Open.close(fd);
        }
    }
}
