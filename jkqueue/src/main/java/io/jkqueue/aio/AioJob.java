package io.jkqueue.aio;

import java.lang.foreign.MemorySegment;

/**
 * One asynchronous I/O job (vfs_aio.c's struct kaiocb), as a backend sees
 * it: what to do, on which descriptor, where the bytes are, and where the
 * result goes. Immutable while the backend holds it.
 */
abstract class AioJob {
    static final int READ = 0;
    static final int WRITE = 1;
    /** Completes after every write started before it on the descriptor (O_SYNC). */
    static final int FSYNC = 2;

    final int op;
    final int fd;
    /** The file offset; ignored for a socket. */
    final long offset;
    /** Native memory of exactly aio_nbytes, valid until {@link #complete} returns; empty for FSYNC. */
    final MemorySegment buffer;
    /** A stream socket: a read may wait for data as long as it takes, and must stay cancellable meanwhile. */
    final boolean socket;

    AioJob(int op, int fd, long offset, MemorySegment buffer, boolean socket) {
        this.op = op;
        this.fd = fd;
        this.offset = offset;
        this.buffer = buffer;
        this.socket = socket;
    }

    /**
     * The backend's one report of the job's result: bytes moved when ≥ 0,
     * else a negated Linux errno (-ECANCELED when cancelled). Called once,
     * from any thread, with no backend or kqueue lock held.
     */
    abstract void complete(long result);
}
