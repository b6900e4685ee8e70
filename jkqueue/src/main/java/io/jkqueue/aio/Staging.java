package io.jkqueue.aio;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * The pooled direct memory a job of a heap buffer moves its bytes through
 * (a native call cannot take the heap's memory while a worker or the kernel
 * holds it). Chunks come in power-of-two sizes from 4 KiB to 1 MiB and go
 * back at completion; larger ones are not pooled. The pool keeps up to
 * {@link #MAX_POOLED} bytes.
 */
final class Staging {
    private Staging() {}

    private static final int MIN_SHIFT = 12;
    private static final int MAX_SHIFT = 20;
    static final long MAX_POOLED = 64L << 20;

    /** One chunk: the direct buffer, its segment, and the last slice handed out (reused while its length repeats). */
    static final class Chunk {
        final ByteBuffer bb;
        final MemorySegment whole;
        final int sizeClass;   // -1: not pooled
        private MemorySegment slice;

        Chunk(int capacity, int sizeClass) {
            this.bb = ByteBuffer.allocateDirect(capacity);
            this.whole = MemorySegment.ofBuffer(bb);
            this.sizeClass = sizeClass;
        }

        /** The first {@code n} bytes. */
        MemorySegment slice(int n) {
            if (slice == null || slice.byteSize() != n) {
                slice = whole.asSlice(0, n);
            }
            return slice;
        }
    }

    @SuppressWarnings("unchecked")
    private static final ArrayDeque<Chunk>[] FREE = new ArrayDeque[MAX_SHIFT - MIN_SHIFT + 1];
    private static long pooledBytes;

    static {
        for (int i = 0; i < FREE.length; i++) {
            FREE[i] = new ArrayDeque<>();
        }
    }

    /** A chunk of at least {@code n} bytes. */
    static Chunk take(int n) {
        int shift = Math.max(MIN_SHIFT, 32 - Integer.numberOfLeadingZeros(Math.max(n - 1, 1)));
        if (shift > MAX_SHIFT) {
            return new Chunk(n, -1);
        }
        int c = shift - MIN_SHIFT;
        synchronized (FREE) {
            Chunk chunk = FREE[c].pollFirst();
            if (chunk != null) {
                pooledBytes -= chunk.bb.capacity();
                return chunk;
            }
        }
        return new Chunk(1 << shift, c);
    }

    /** Gives a chunk back; one beyond the pool's bound is left to the collector. */
    static void give(Chunk chunk) {
        if (chunk.sizeClass < 0) {
            return;
        }
        synchronized (FREE) {
            if (pooledBytes + chunk.bb.capacity() <= MAX_POOLED) {
                pooledBytes += chunk.bb.capacity();
                FREE[chunk.sizeClass].addFirst(chunk);
            }
        }
    }
}
