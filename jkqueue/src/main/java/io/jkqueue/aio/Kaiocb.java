package io.jkqueue.aio;

import io.jkqueue.Aio;
import io.jkqueue.Errno;
import io.jkqueue.KEvent;
import io.jkqueue.core.KnoteImpl;
import io.jkqueue.core.KqueueImpl;
import io.jkqueue.linux.FileIo;
import io.jkqueue.linux.Libc;
import io.jkqueue.linux.LinuxErrno;
import io.jkqueue.linux.Stat;
import io.jkqueue.spi.DescriptorSource;
import io.jkqueue.spi.KnList;
import io.jkqueue.spi.Knote;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The kernel side of one AioCb: vfs_aio.c's struct kaiocb, kept for the cb's
 * whole life so that a reused cb allocates nothing. It holds the job's state
 * (queued, done, returned), its result, the knlist of its EVFILT_AIO knote
 * and the list it belongs to; one {@link AioJob} per opcode is what the
 * backend sees.
 */
public final class Kaiocb {
    public static final int READ = AioJob.READ;
    public static final int WRITE = AioJob.WRITE;
    public static final int FSYNC = AioJob.FSYNC;
    /** {@link #returnValue}: there is no completed job to return (aio_return's EINVAL). */
    public static final long NOT_DONE = Long.MIN_VALUE;

    private static final int FREE = 0;
    private static final int QUEUED = 1;
    private static final int DONE = 2;

    private static final AtomicLong IDENTS = new AtomicLong();

    /** kqfd_register of the knote of {@code job} (a Kaiocb or a LioJob), which the filter's attach finds in kn_hook. */
    static int register(KqueueImpl kq, Object job, long ident, int filter, int keventFlags, Object udata) {
        return kq.registerInternal(ident, filter, KEvent.EV_ADD | KEvent.EV_ENABLE | KEvent.EV_FLAG1 | keventFlags,
                0, 0, udata, job);
    }

    /** A new ident for an EVFILT_AIO or EVFILT_LIO event, never handed out before in this JVM. */
    static long nextIdent() {
        return IDENTS.incrementAndGet();
    }

    /** The backend's job for one opcode of this cb. */
    private static final class Job extends AioJob {
        final Kaiocb kaiocb;

        Job(Kaiocb kaiocb, int op, int fd, boolean socket) {
            super(op, fd, 0, MemorySegment.NULL, socket);
            this.kaiocb = kaiocb;
        }

        @Override
        void complete(long result) {
            kaiocb.complete(this, result);
        }
    }

    private final long ident = nextIdent();
    private final int fd;
    private final ByteBuffer buffer;
    private final Job[] jobs = new Job[3];
    private final KnList knlist = KnList.create();
    private MemorySegment direct;   // a direct buffer's memory, position 0 to capacity
    private MemorySegment slice;    // the part of it the last job moved
    private int slicePos;

    // the job in flight; set by the submitting thread before the backend gets it
    private int pos;
    private Staging.Chunk chunk;
    private KqueueImpl kq;
    private int inflightSlot = -1;
    /**
     * fd was a regular file or block device without O_DIRECT at the last
     * statx and fcntl: reads try the page cache first without looking
     * again. Only the submitting thread uses it (a cb is one job at a time).
     */
    private boolean readsFromCache;
    // by the EVFILT_AIO knote: set by its attach (and by a kept knote's first job for the backend), read by its detach
    private boolean completionsWatched;
    /**
     * The cb's EVFILT_AIO knote while it is attached, kept from one job to
     * the next in the same kqueue with the same flags (not EV_ONESHOT or
     * EV_DISPATCH): registered once, not per job. Set by attach, cleared by detach.
     */
    private volatile Knote knote;
    private int keptFlags;   // the kevent flags the knote was registered with

    // guarded by this; state and status are also read by the filter without it
    private volatile int state;
    private volatile long status;
    private int error;
    private Job job;
    private LioJob lio;

    public Kaiocb(int fd, ByteBuffer buffer) {
        this.fd = fd;
        this.buffer = buffer;
    }

    public long ident() {
        return ident;
    }

    /**
     * aio_aqueue: checks the request, registers the EVFILT_AIO knote
     * ({@code kq} not null) and hands the job to the backend. Returns 0 or a
     * FreeBSD errno code, which {@link #error} then answers.
     */
    public int submit(int op, long offset, KqueueImpl kq, int keventFlags, Object udata, LioJob lio) {
        synchronized (this) {
            if (state != FREE) {
                return Errno.EINVAL.code();   // the last job was not returned
            }
            state = QUEUED;
        }
        int error = queue(op, offset, kq, keventFlags, udata, lio);
        if (error != 0) {
            synchronized (this) {
                status = -1;
                this.error = error;
                state = FREE;
            }
        }
        return error;
    }

    /** A submission refused before it reached {@link #submit} (lio_listio's bad opcode): the errno to report. */
    public synchronized int failSubmit(int error) {
        if (state == FREE) {
            status = -1;
            this.error = error;
        }
        return error;
    }

    private int queue(int op, long offset, KqueueImpl kq, int keventFlags, Object udata, LioJob lio) {
        if (op == READ && buffer.isReadOnly()) {
            return Errno.EINVAL.code();
        }
        boolean triedCache = false;
        if (op == READ && readsFromCache && offset >= 0) {   // a plain file at the last look: no statx
            Job j = prepare(READ, offset, false);
            long r = readCached(j);
            if (r != NOT_DONE) {
                return completeNow(j, r, kq, keventFlags, udata, lio);
            }
            releaseChunk();
            triedCache = true;   // not all cached, or another file: the descriptor is looked at again
        }
        Stat.Buffer stx = Stat.threadBuffer();
        if (!stx.fstatx(fd)) {
            return Errno.EBADF.code();
        }
        int type = stx.type();
        boolean socket = type == Stat.S_IFSOCK;
        if (!socket && type != Stat.S_IFREG && type != Stat.S_IFBLK && type != Stat.S_IFDIR) {
            return Errno.EOPNOTSUPP.code();   // pipes, FIFOs, character devices: FreeBSD's unsafe AIO
        }
        if (socket ? op == FSYNC : op != FSYNC && offset < 0) {
            return Errno.EINVAL.code();
        }
        Job j = prepare(op, offset, socket);
        if (op == READ && (type == Stat.S_IFREG || type == Stat.S_IFBLK)) {
            int flags = Libc.fcntl(fd, FileIo.F_GETFL, 0);
            readsFromCache = flags >= 0 && (flags & FileIo.O_DIRECT) == 0;   // O_DIRECT would wait for the device
            long r = readsFromCache && !triedCache ? readCached(j) : NOT_DONE;
            if (r != NOT_DONE) {
                return completeNow(j, r, kq, keventFlags, udata, lio);
            }
        }
        if (kq != null) {
            int error = arm(kq, keventFlags, udata, true);
            if (error != 0) {
                releaseChunk();
                return error;
            }
        }
        synchronized (this) {
            job = j;
            this.lio = lio;
            status = -1;
            this.error = Errno.EINPROGRESS.code();
        }
        if (lio != null) {
            lio.jobQueued();
        }
        Inflight.add(this);
        int error = AioBackends.BACKEND.submit(j);
        if (error != 0) {
            Inflight.remove(this);
            if (lio != null) {
                lio.jobUnqueued();
            }
            synchronized (this) {
                job = null;
                this.lio = null;
            }
            deleteKnote();
            releaseChunk();
        }
        return error;
    }

    /** The cb's job for {@code op}, set up for this submission: offset, and the native memory of the buffer. */
    private Job prepare(int op, long offset, boolean socket) {
        Job j = jobs[op];
        if (j == null || j.socket != socket) {
            j = jobs[op] = new Job(this, op, fd, socket);
        }
        j.offset = offset;
        j.buffer = op == FSYNC ? MemorySegment.NULL : segment(op);
        return j;
    }

    /**
     * A read whose bytes are all in the page cache, done now on the calling
     * thread (what io_uring itself tries first): its result, or {@link
     * #NOT_DONE} when the backend must do it (not all cached: a short count
     * may be a partly cached range). After a failure (nothing cached, or the
     * number names another file now) the next read looks at the descriptor again.
     */
    private long readCached(Job j) {
        long n = FileIo.preadv2Nowait(fd, j.buffer, j.offset);
        if (n == j.buffer.byteSize() || n == 0) {   // 0: at or past the end of the file
            return n;
        }
        if (n < 0) {
            readsFromCache = false;
        }
        return NOT_DONE;
    }

    /**
     * The job finished within its submission: it is done before its knote
     * exists (whose attach then watches no completions, and whose
     * registration reports it at once), and only then joins its list.
     */
    private int completeNow(Job j, long result, KqueueImpl kq, int keventFlags, Object udata, LioJob lio) {
        if (chunk != null) {
            buffer.put(pos, chunk.bb, 0, (int) result);
            releaseChunk();
        }
        boolean kept = kq != null && keeps(kq, keventFlags);
        if (kept) {
            arm(kq, keventFlags, udata, false);   // before it is done: the knote may still be queued from the last job
        }
        synchronized (this) {
            job = j;
            status = result;
            error = 0;
            state = DONE;
        }
        if (kept) {
            knlist.knote(0);
        } else if (kq != null) {
            int error = arm(kq, keventFlags, udata, false);   // a new knote, reported at its registration
            if (error != 0) {
                synchronized (this) {
                    job = null;
                }
                return error;
            }
        }
        if (lio != null) {
            synchronized (this) {
                this.lio = lio;
            }
            lio.jobQueued();
            lio.jobDone();
        }
        return 0;
    }

    /** Whether the knote kept from the cb's last job serves a job that reports to {@code kq} with these flags. */
    private boolean keeps(KqueueImpl kq, int keventFlags) {
        return knote != null && this.kq == kq && keptFlags == keventFlags;
    }

    /**
     * Gives the job its EVFILT_AIO knote in {@code kq}: the knote kept from
     * the cb's last job, given the job's udata (and the backend's completions
     * to watch, if the job goes there), else a new one (kqfd_register) once
     * the kept one, if any, is deleted. 0 or an errno code.
     */
    private int arm(KqueueImpl kq, int keventFlags, Object udata, boolean toBackend) {
        Knote kn = knote;
        if (kn != null && this.kq == kq && keptFlags == keventFlags) {
            KnoteImpl.unkeep(kn, udata);
            if (toBackend && !completionsWatched) {
                int error = watchCompletions(kn);
                if (error != 0) {
                    KnoteImpl.keep(kn);   // the job is refused: the knote stays as it was
                    return error;
                }
                completionsWatched = true;
            }
            return 0;
        }
        deleteKnote();
        int error = register(kq, this, ident, KEvent.EVFILT_AIO, keventFlags, udata);
        if (error == 0) {
            this.kq = kq;
            keptFlags = keventFlags;
        }
        return error;
    }

    /** The native memory of aio_buf: the direct buffer itself, or a pooled chunk (filled now for a write). */
    private MemorySegment segment(int op) {
        int n = buffer.remaining();
        pos = buffer.position();
        if (buffer.isDirect()) {
            if (direct == null) {
                direct = MemorySegment.ofBuffer(buffer.duplicate().clear());
            }
            if (slice == null || slicePos != pos || slice.byteSize() != n) {
                slice = direct.asSlice(pos, n);
                slicePos = pos;
            }
            return slice;
        }
        chunk = Staging.take(n);
        if (op == WRITE) {
            chunk.bb.put(0, buffer, pos, n);
        }
        return chunk.slice(n);
    }

    private void releaseChunk() {
        if (chunk != null) {
            Staging.give(chunk);
            chunk = null;
        }
    }

    /** aio_complete: the backend's result; copies a read back into a heap buffer, then reports. */
    private void complete(Job j, long result) {
        if (chunk != null) {
            if (j.op == READ && result > 0) {
                buffer.put(pos, chunk.bb, 0, (int) result);
            }
            releaseChunk();
        }
        Inflight.remove(this);
        LioJob l;
        synchronized (this) {
            error = result >= 0 ? 0 : freeBsdErrno((int) -result);
            status = result >= 0 ? result : -1;
            state = DONE;
            l = lio;
        }
        knlist.knote(0);
        if (l != null) {
            l.jobDone();
        }
    }

    private static int freeBsdErrno(int linux) {
        int e = LinuxErrno.toFreeBsd(linux);
        return e == LinuxErrno.UNKNOWN ? Errno.EIO.code() : e;
    }

    /** aio_error (kern_aio_error): EINPROGRESS, the job's errno or 0; once returned, a failure's errno, else EINVAL. */
    public int error() {
        reapIfQueued();
        synchronized (this) {
            return switch (state) {
                case QUEUED -> Errno.EINPROGRESS.code();
                case DONE -> error;
                default -> status == -1 && error != 0 ? error : Errno.EINVAL.code();
            };
        }
    }

    /**
     * A job in progress may have ended with its result still in the backend
     * (an io_uring CQE that no kqueue drains): take it in, outside this
     * monitor, as the reaping completes other cbs too.
     */
    private void reapIfQueued() {
        if (state == QUEUED) {
            AioBackends.BACKEND.reap();
        }
    }

    /** aio_return (kern_aio_return): the result, once; frees the job and deletes its knote. {@link #NOT_DONE} if none. */
    public long returnValue() {
        LioJob l;
        long r;
        reapIfQueued();
        synchronized (this) {
            if (state != DONE) {
                return NOT_DONE;
            }
            r = status;
            l = lio;
            lio = null;
            job = null;
            Knote kn = knote;
            if (kn != null && (keptFlags & (KEvent.EV_ONESHOT | KEvent.EV_DISPATCH)) == 0) {
                // kept for the cb's next job, as if deleted: it fires no more (FREE), and holds no user object
                state = FREE;
                KnoteImpl.keep(kn);
            } else {
                deleteKnote();   // before FREE: a submission after it registers a knote of its own
                state = FREE;
            }
        }
        if (l != null) {
            l.jobReturned();
        }
        return r;
    }

    /** The cb is gone (its Cleaner): so goes the knote kept for its next job. */
    public synchronized void forget() {
        deleteKnote();
    }

    /** aio_free_entry's knlist_delete: the job's (or the kept) EVFILT_AIO knote goes. */
    private void deleteKnote() {
        KqueueImpl k = kq;
        if (k != null) {
            kq = null;
            // EV_FLAG1: the kernel's own change, which finds a kept knote; ENOENT: gone (EV_ONESHOT)
            k.registerInternal(ident, KEvent.EVFILT_AIO, KEvent.EV_DELETE | KEvent.EV_FLAG1, 0, 0, null, null);
        }
    }

    /** aio_cancel of this cb's job. */
    public int cancel() {
        Job j;
        synchronized (this) {
            if (state != QUEUED) {
                return Aio.AIO_ALLDONE;
            }
            j = job;
        }
        return j == null ? Aio.AIO_NOTCANCELED : AioBackends.BACKEND.cancel(j);
    }

    /** aio_cancel(fd, NULL): every job in flight on {@code fd}. */
    public static int cancelAll(int fd) {
        boolean cancelled = false;
        boolean notCancelled = false;
        for (Kaiocb k : Inflight.onFd(fd)) {
            switch (k.cancel()) {
                case Aio.AIO_CANCELED -> cancelled = true;
                case Aio.AIO_NOTCANCELED -> notCancelled = true;
                default -> { }
            }
        }
        return notCancelled ? Aio.AIO_NOTCANCELED : cancelled ? Aio.AIO_CANCELED : Aio.AIO_ALLDONE;
    }

    /** Whether {@code fd} is an open descriptor (aio_cancel's fget). */
    public static boolean isOpen(int fd) {
        return fd >= 0 && Stat.threadBuffer().fstatx(fd);
    }

    // ---- what filt_aio sees ----------------------------------------------

    /** filt_aioattach's knlist_add, and the backend's completion source, if it has one. */
    public int attach(Knote kn) {
        completionsWatched = !finished();   // a job done within its submission never reaches the backend
        int error = completionsWatched ? watchCompletions(kn) : 0;
        if (error == 0) {
            knote = kn;
            knlist.add(kn);
        }
        return error;
    }

    public void detach(Knote kn) {
        if (knote == kn) {
            knote = null;
        }
        knlist.remove(kn);
        if (completionsWatched) {
            unwatchCompletions(kn);
        }
    }

    /** The knote's kqueue drains the backend's completions, if it has some: its jobs' ends reach the knote from there. */
    static int watchCompletions(Knote kn) {
        DescriptorSource completions = AioBackends.BACKEND.completions();
        return completions == null ? 0 : kn.watchSource(completions);
    }

    static void unwatchCompletions(Knote kn) {
        DescriptorSource completions = AioBackends.BACKEND.completions();
        if (completions != null) {
            kn.unwatchSource(completions);
        }
    }

    /** KAIOCB_FINISHED, not yet returned. */
    public boolean finished() {
        return state == DONE;
    }

    /** The job's result as aio_return gives it. */
    public long status() {
        return status;
    }

    /** The jobs in flight, for aio_cancel(fd, NULL): kaio_jobqueue. */
    private static final class Inflight {
        private static Kaiocb[] jobs = new Kaiocb[64];
        private static int count;

        static synchronized void add(Kaiocb k) {
            if (count == jobs.length) {
                jobs = java.util.Arrays.copyOf(jobs, count * 2);
            }
            k.inflightSlot = count;
            jobs[count++] = k;
        }

        static synchronized void remove(Kaiocb k) {
            int i = k.inflightSlot;
            if (i < 0) {
                return;
            }
            Kaiocb last = jobs[--count];
            jobs[i] = last;
            last.inflightSlot = i;
            jobs[count] = null;
            k.inflightSlot = -1;
        }

        static synchronized Kaiocb[] onFd(int fd) {
            int n = 0;
            for (int i = 0; i < count; i++) {
                n += jobs[i].fd == fd ? 1 : 0;
            }
            Kaiocb[] found = new Kaiocb[n];
            for (int i = 0, j = 0; i < count; i++) {
                if (jobs[i].fd == fd) {
                    found[j++] = jobs[i];
                }
            }
            return found;
        }
    }
}
