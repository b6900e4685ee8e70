package io.jkqueue.aio;

import java.lang.foreign.MemorySegment;

/**
 * One asynchronous I/O job (vfs_aio.c's struct kaiocb), as a backend sees
 * it: what to do, on which descriptor, where the bytes are, and where the
 * result goes. Immutable while the backend holds it: one job object per cb
 * and opcode serves every submission of that cb, so that a reused cb
 * allocates nothing (its offset and buffer are set again before each).
 */
abstract class AioJob {
    static final int READ = 0;
    static final int WRITE = 1;
    /** Completes after every write started before it on the descriptor (O_SYNC). */
    static final int FSYNC = 2;

    final int op;
    final int fd;
    /** The file offset; ignored for a socket. Set before each submit. */
    long offset;
    /** Native memory of exactly aio_nbytes, valid until {@link #complete} returns; empty for FSYNC. Set before each submit. */
    MemorySegment buffer;
    /** A stream socket: a read may wait for data as long as it takes, and must stay cancellable meanwhile. */
    final boolean socket;

    AioJob(int op, int fd, long offset, MemorySegment buffer, boolean socket) {
        this.op = op;
        this.fd = fd;
        this.offset = offset;
        this.buffer = buffer;
        this.socket = socket;
    }

    // the backend's bookkeeping while it holds the job (ThreadsBackend's but for heldFd)
    /** The backend's dup of {@link #fd}, so that a close or a reuse of the number cannot touch another file. */
    int heldFd = -1;
    /** Submission order, for an FSYNC to know which writes came before it. */
    long seq;
    /** For an FSYNC: writes started before it on its descriptor that have not finished. */
    int pendingWrites;
    /** Where the job sits in the backend's list of its kind (a swap-remove index), or -1. */
    int slot = -1;
    /** Where the job is: queued for a worker, waiting for socket readiness, or running. */
    int where;

    /**
     * The backend's one report of the job's result: bytes moved when ≥ 0,
     * else a negated Linux errno (-ECANCELED when cancelled). Called once,
     * from any thread, with no backend or kqueue lock held.
     */
    abstract void complete(long result);
}
