package io.jkqueue;

import io.jkqueue.aio.Kaiocb;
import io.jkqueue.aio.LioJob;

import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;

/**
 * One asynchronous I/O request: FreeBSD's {@code struct aiocb}, with its
 * {@code SIGEV_KEVENT} notification. A cb may be submitted again (through
 * {@link Aio}) once its last job was collected with {@link Aio#returnValue};
 * a reused cb allocates nothing per job.
 */
public final class AioCb {
    private static final Cleaner CLEANER = Cleaner.create(
            r -> Thread.ofPlatform().daemon().name("jkqueue-aio-cleaner").unstarted(r));

    private final int fd;
    private final ByteBuffer buffer;
    private long offset;
    private KQueue kq;
    private int keventFlags;
    private Object udata;
    private int lioOpcode = Aio.LIO_NOP;
    private final Kaiocb job;

    /**
     * aio_fildes, aio_buf, aio_offset. A job moves {@code buffer.remaining()}
     * bytes (aio_nbytes) at the buffer's position as they are at submission;
     * the buffer's position and limit are never changed. A direct buffer is
     * used in place; a heap buffer goes through pooled direct memory (copied
     * back on completion of a read). The buffer must not be touched while a
     * job is in flight.
     */
    public AioCb(int fd, ByteBuffer buffer, long offset) {
        if (buffer == null) {
            throw new NullPointerException("buffer");
        }
        this.fd = fd;
        this.buffer = buffer;
        this.offset = offset;
        this.job = new Kaiocb(fd, buffer);
        CLEANER.register(this, job::forget);   // the knote kept for its next job goes when the cb does
    }

    /**
     * SIGEV_KEVENT: each later job of this cb registers an EVFILT_AIO knote in
     * {@code kq} (sigev_notify_kqueue) with ident {@link #ident()}, flags
     * {@code EV_ADD|EV_ENABLE|keventFlags} (sigev_notify_kevent_flags: EV_CLEAR,
     * EV_DISPATCH, EV_ONESHOT; other bits are ignored) and {@code udata}
     * (sigev_value). {@code kq} null: no event.
     */
    public AioCb notifyKqueue(KQueue kq, int keventFlags, Object udata) {
        this.kq = kq;
        this.keventFlags = keventFlags & (KEvent.EV_CLEAR | KEvent.EV_DISPATCH | KEvent.EV_ONESHOT);
        this.udata = udata;
        return this;
    }

    /** aio_lio_opcode, for {@link Aio#listio}: {@link Aio#LIO_NOP}, {@link Aio#LIO_WRITE} or {@link Aio#LIO_READ}. */
    public AioCb lioOpcode(int op) {
        this.lioOpcode = op;
        return this;
    }

    /** Sets aio_offset for the next submission (a cb reused along a file); a negative one is EINVAL at submission. */
    public AioCb offset(long offset) {
        this.offset = offset;
        return this;
    }

    /** The ident of this cb's EVFILT_AIO events (FreeBSD: the aiocb's address): never another cb's in this JVM. */
    public long ident() {
        return job.ident();
    }

    /** aio_fildes. */
    public int fd() {
        return fd;
    }

    /** aio_buf (with aio_nbytes, its remaining bytes). */
    public ByteBuffer buffer() {
        return buffer;
    }

    /** aio_offset. */
    public long offset() {
        return offset;
    }

    /** aio_lio_opcode. */
    public int lioOpcode() {
        return lioOpcode;
    }

    /** aio_aqueue: submits this cb's job; 0 or an errno code. */
    int submit(int op, LioJob lio) {
        return job.submit(op, offset, kq == null ? null : kq.impl(), keventFlags, udata, lio);
    }

    Kaiocb job() {
        return job;
    }

    @Override
    public String toString() {
        return "AioCb[fd=" + fd + ", offset=" + offset + ", nbytes=" + buffer.remaining() + ", ident=" + ident() + "]";
    }
}
