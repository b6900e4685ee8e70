package io.jkqueue;

import io.jkqueue.aio.Kaiocb;
import io.jkqueue.aio.LioJob;

/**
 * POSIX asynchronous I/O as FreeBSD's vfs_aio.c provides it, with completion
 * reported through a kqueue (SIGEV_KEVENT): EVFILT_AIO for one job, EVFILT_LIO
 * for a list. Regular files, block devices and sockets; a pipe or FIFO is
 * EOPNOTSUPP (FreeBSD without vfs.aio.enable_unsafe). Jobs run on io_uring or
 * on a few worker threads ({@code -Djkqueue.aio=uring|threads}); they may
 * complete in any order. Closing the kqueue does not cancel jobs.
 */
public final class Aio {
    private Aio() {}

    /** aio_cancel: every job asked for was cancelled (each completes with ECANCELED). */
    public static final int AIO_CANCELED = 1;
    /** aio_cancel: at least one job asked for could not be cancelled: its I/O is under way. */
    public static final int AIO_NOTCANCELED = 2;
    /** aio_cancel: every job asked for had already completed (or there was none). */
    public static final int AIO_ALLDONE = 3;

    /** aio_lio_opcode: no operation; {@link #listio} skips the cb. */
    public static final int LIO_NOP = 0;
    /** aio_lio_opcode: a write, as {@link #write}. */
    public static final int LIO_WRITE = 1;
    /** aio_lio_opcode: a read, as {@link #read}. */
    public static final int LIO_READ = 2;

    /**
     * aio_read: reads up to aio_nbytes at aio_offset (a socket: what is
     * there once data arrives; the offset is ignored). EBADF: fd is not
     * open; EINVAL: negative offset, a read-only buffer, or the cb's last job
     * was not yet returned; EOPNOTSUPP: a pipe or FIFO; EBADF: the
     * notification kqueue is closed.
     */
    public static void read(AioCb cb) throws KQueueException {
        check(cb.submit(Kaiocb.READ, null), "aio_read", cb);
    }

    /** aio_write: writes aio_nbytes at aio_offset (a socket: in order). Errors as {@link #read}, but for the read-only buffer. */
    public static void write(AioCb cb) throws KQueueException {
        check(cb.submit(Kaiocb.WRITE, null), "aio_write", cb);
    }

    /**
     * aio_fsync(O_SYNC, cb): completes after the file's data and metadata
     * reached the device, and after every write queued before it on
     * {@code cb.fd()}. The cb's buffer and offset are not used.
     */
    public static void fsync(AioCb cb) throws KQueueException {
        check(cb.submit(Kaiocb.FSYNC, null), "aio_fsync", cb);
    }

    /**
     * aio_error: EINPROGRESS (36) while the job runs, then 0 or its errno
     * (FreeBSD numbers: ECANCELED 85 for a cancelled job); after
     * {@link #returnValue}, the errno of a job that failed, else EINVAL (22),
     * as for a cb never submitted. The errno of a submission that failed
     * stays until the next one.
     */
    public static int error(AioCb cb) {
        return cb.job().error();
    }

    /**
     * aio_return: the job's result (bytes moved; 0 for fsync; -1 when it
     * failed, see {@link #error}), once: it frees the job and its EVFILT_AIO
     * knote, after which the cb may be submitted again. EINVAL while the job
     * is in progress, and after it was returned.
     */
    public static long returnValue(AioCb cb) throws KQueueException {
        long r = cb.job().returnValue();
        if (r == Kaiocb.NOT_DONE) {
            throw new KQueueException(Errno.EINVAL, "aio_return: no completed job for " + cb);
        }
        return r;
    }

    /**
     * aio_cancel: cancels {@code cb}'s job, or with {@code cb} null every job
     * on {@code fd}: {@link #AIO_CANCELED}, {@link #AIO_NOTCANCELED} or
     * {@link #AIO_ALLDONE}. A job still queued, or a socket read still
     * waiting for data, is cancelled: it completes with ECANCELED and its
     * event fires. EBADF when fd is not open or is not {@code cb.fd()}.
     */
    public static int cancel(int fd, AioCb cb) throws KQueueException {
        if (cb != null && cb.fd() != fd || !Kaiocb.isOpen(fd)) {
            throw new KQueueException(Errno.EBADF, "aio_cancel: bad descriptor " + fd);
        }
        return cb != null ? cb.job().cancel() : Kaiocb.cancelAll(fd);
    }

    /**
     * lio_listio(LIO_NOWAIT) with SIGEV_KEVENT: submits each cb by its
     * {@link AioCb#lioOpcode} (LIO_NOP ones are skipped; each cb also
     * reports through its own {@link AioCb#notifyKqueue}). An EVFILT_LIO
     * event (ident: the value returned, udata: {@code udata}, flags
     * {@code EV_ADD|EV_ENABLE|keventFlags}) fires in {@code kq} once every
     * job of the list has completed, and goes when all of them were
     * returned. {@code kq} null: no event. EIO when some job could not be
     * queued (the others are; {@link #error} says which and why); EBADF for
     * a closed kqueue (nothing is queued).
     */
    public static long listio(KQueue kq, int keventFlags, Object udata, AioCb... list) throws KQueueException {
        keventFlags &= KEvent.EV_CLEAR | KEvent.EV_DISPATCH | KEvent.EV_ONESHOT;
        LioJob lio = LioJob.create(kq == null ? null : kq.impl(), keventFlags, udata);
        if (lio == null) {
            throw new KQueueException(Errno.EBADF, "lio_listio: kqueue is closed");
        }
        int nerror = 0;
        for (AioCb cb : list) {
            int op = cb.lioOpcode();
            if (op == LIO_NOP) {
                continue;
            }
            int error = op == LIO_READ ? cb.submit(Kaiocb.READ, lio)
                    : op == LIO_WRITE ? cb.submit(Kaiocb.WRITE, lio)
                    : cb.job().failSubmit(Errno.EINVAL.code());
            if (error != 0) {
                nerror++;
            }
        }
        lio.submitted();
        if (nerror > 0) {
            throw new KQueueException(Errno.EIO, "lio_listio: " + nerror + " of " + list.length + " jobs not queued");
        }
        return lio.ident();
    }

    private static void check(int error, String call, AioCb cb) throws KQueueException {
        if (error != 0) {
            throw new KQueueException(Errno.of(error), call + ": " + cb);
        }
    }
}
