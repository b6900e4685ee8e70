package io.jkqueue.aio;

import io.jkqueue.Errno;
import io.jkqueue.linux.EventFd;
import io.jkqueue.linux.FileIo;
import io.jkqueue.linux.IoUring;
import io.jkqueue.linux.Kernel;
import io.jkqueue.linux.Libc;
import io.jkqueue.linux.LinuxErrno;
import io.jkqueue.spi.DescriptorSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

import static io.jkqueue.linux.IoUring.IORING_OP_ASYNC_CANCEL;
import static io.jkqueue.linux.IoUring.IORING_OP_FSYNC;
import static io.jkqueue.linux.IoUring.IORING_OP_READ;
import static io.jkqueue.linux.IoUring.IORING_OP_WRITE;

/**
 * AIO jobs on one io_uring (vfs_aio.c's aio_queue_file, with the kernel's
 * own workers for aiod): a job is one SQE whose user_data names its slot, its
 * CQE is its result, and the ring's registered eventfd is the descriptor the
 * AIO knotes' kqueues drain. Submitters only prepare SQEs; one thread
 * hands them to the kernel, as many per io_uring_enter as were prepared
 * since its last.
 */
final class UringBackend implements AioBackend {
    // aio_cancel's answers, the numbers of Aio.AIO_CANCELED, AIO_NOTCANCELED and AIO_ALLDONE (SPEC 5.4)
    static final int AIO_CANCELED = 1;
    static final int AIO_NOTCANCELED = 2;
    static final int AIO_ALLDONE = 3;

    // the SQ only holds what is not submitted yet; the CQ holds a CQE for every slot, so it never overflows
    private static final int SQ_ENTRIES = 1024;
    private static final int CQ_ENTRIES = 8192;
    private static final int MIN_CQ_ENTRIES = 256;
    /** Slots kept for ASYNC_CANCEL requests: jobs get EAGAIN before these are taken. */
    private static final int CANCEL_SLOTS = 64;
    // per reaping thread (virtual ones included): small, as each pass takes the CQ lock once for a batch
    private static final int REAP_BATCH = 32;
    private static final int ECANCELED = -LinuxErrno.ECANCELED;

    private final IoUring ring;
    private final int eventFd;
    private final DescriptorSource completions;

    // monitors, not ReentrantLocks: a contended lock() and a Condition's await allocate a node each time
    /** The SQ producer's lock; it also guards the slot table. Waited on for room in a full SQ. */
    private final Object sq = new Object();
    /** The CQ consumer's lock. */
    private final Object cq = new Object();
    /** user_data → what the CQE completes: an AioJob, or a Cancel whose canceller waits. */
    private final Object[] slots;
    /** Per slot, the count of its uses: user_data carries it so that a late cancel never hits a later job. */
    private final int[] generation;
    private final int[] free;
    /** Per slot, the order its job was queued in (vfs_aio.c's seqno). */
    private final long[] seqno;
    private long nextSeqno;
    /** The fsyncs held for writes before them (kaio_syncqueue), under sq. */
    private final List<HeldSync> syncQueue = new ArrayList<>();
    private int nfree;
    private boolean closed;   // under sq: no more jobs
    private boolean stopping;   // under sq: the submitter ends
    /** The one thread that calls io_uring_enter (see submitLoop). */
    private final Thread submitter = Thread.ofPlatform().daemon().name("jkqueue-aio-uring").unstarted(this::submitLoop);
    private boolean submitterAwake;   // under sq: it has SQEs to hand over, or is handing them
    private boolean unmapped;   // under sq and cq: the ring is gone, never to be touched again

    private static final ThreadLocal<long[]> REAPED_DATA = ThreadLocal.withInitial(() -> new long[REAP_BATCH]);
    private static final ThreadLocal<int[]> REAPED_RES = ThreadLocal.withInitial(() -> new int[REAP_BATCH]);
    private static final ThreadLocal<Object[]> REAPED = ThreadLocal.withInitial(() -> new Object[REAP_BATCH]);

    /** An fsync held until the writes before it on its descriptor complete. */
    private static final class HeldSync {
        final AioJob job;
        final int slot;
        int pending;

        HeldSync(AioJob job, int slot, int pending) {
            this.job = job;
            this.slot = slot;
            this.pending = pending;
        }
    }

    /** An ASYNC_CANCEL in flight: its CQE's res, set by whoever reaps it. */
    private static final class Cancel {
        static final int PENDING = Integer.MIN_VALUE;
        final Thread waiter = Thread.currentThread();
        boolean asked;   // its SQE was prepared
        volatile int res = PENDING;
    }

    private UringBackend(IoUring ring, int eventFd) {
        this.ring = ring;
        this.eventFd = eventFd;
        int n = ring.cqEntries();
        this.slots = new Object[n];
        this.generation = new int[n];
        this.free = new int[n];
        this.seqno = new long[n];
        for (int i = 0; i < n; i++) {
            free[i] = n - 1 - i;
        }
        this.nfree = n;
        this.completions = new DescriptorSource() {
            @Override
            public int fd() {
                return eventFd;
            }

            @Override
            public void drain() {
                EventFd.read(eventFd);   // first, so that a CQE posted after the reap writes it again
                reap();
            }
        };
    }

    /**
     * A new ring with its eventfd, or null when io_uring cannot serve AIO
     * here (then the job layer uses worker threads): ENOSYS (no io_uring, or
     * a seccomp filter), EPERM (kernel.io_uring_disabled), no
     * IORING_REGISTER_PROBE or no IORING_OP_READ/WRITE/FSYNC/ASYNC_CANCEL
     * (before 5.6), no IORING_FEAT_NODROP (before 5.5). Those answers mark
     * {@link Kernel.Feature#IO_URING} missing for the life of the JVM.
     */
    static UringBackend open() {
        if (!Kernel.Feature.IO_URING.present()) {
            return null;
        }
        IoUring ring = null;
        // RLIMIT_MEMLOCK bounds the rings before Linux 5.12: a smaller ring rather than none
        for (int cqEntries = CQ_ENTRIES; ring == null && cqEntries >= MIN_CQ_ENTRIES; cqEntries /= 2) {
            ring = IoUring.setup(Math.min(SQ_ENTRIES, cqEntries / 2), cqEntries);
            if (ring == null && Libc.errno() != LinuxErrno.ENOMEM) {
                break;
            }
        }
        if (ring == null) {
            if (Libc.errno() != LinuxErrno.ENOMEM) {
                Kernel.Feature.IO_URING.markMissing();
            }
            return null;
        }
        if ((ring.features() & IoUring.IORING_FEAT_NODROP) == 0
                || ring.probe(IORING_OP_READ, IORING_OP_WRITE, IORING_OP_FSYNC, IORING_OP_ASYNC_CANCEL) != 1) {
            ring.close();
            Kernel.Feature.IO_URING.markMissing();
            return null;
        }
        int efd = EventFd.create(0, EventFd.EFD_NONBLOCK | EventFd.EFD_CLOEXEC);
        if (efd < 0) {
            ring.close();
            return null;
        }
        if (ring.registerEventFd(efd) != 0) {
            Libc.close(efd);
            ring.close();
            return null;
        }
        UringBackend backend = new UringBackend(ring, efd);
        backend.submitter.start();
        return backend;
    }

    @Override
    public int submit(AioJob job) {
        int error = hold(job);
        if (error != 0) {
            return error;
        }
        boolean wake;
        synchronized (sq) {
            error = queue(job);
            wake = wakeSubmitter();
        }
        if (wake) {
            LockSupport.unpark(submitter);
        }
        if (error != 0) {
            drop(job);
        }
        return error;
    }

    /**
     * Takes the job's own dup of its descriptor, which its SQE names: the
     * kernel resolves an SQE's number at io_uring_enter on the submitter
     * thread, or later in an io-wq worker, when the program may have closed
     * it or opened another file under it. 0, or EBADF.
     */
    private static int hold(AioJob job) {
        int held = FileIo.dup(job.fd);
        if (held < 0) {
            int e = LinuxErrno.toFreeBsd(Libc.errno());
            return e == LinuxErrno.UNKNOWN ? Errno.EBADF.code() : e;
        }
        job.heldFd = held;
        return 0;
    }

    /** The job leaves the backend: its hold goes before it completes. */
    private static void drop(AioJob job) {
        Libc.close(job.heldFd);
        job.heldFd = -1;
    }

    /** Under sq, before leaving it: whether the submitter is to be unparked (once out of sq) for the SQEs prepared. */
    private boolean wakeSubmitter() {
        boolean wake = !submitterAwake && !stopping && ring.unsubmitted() > 0;
        if (wake) {
            submitterAwake = true;
        }
        return wake;
    }

    /**
     * Writes the job's SQE (under sq): 0, or EAGAIN (FreeBSD's number) with
     * no slot left. While the SQ is full it waits for the submitter to hand
     * it to the kernel.
     */
    private int queue(AioJob job) {
        awaitSqRoom();
        if (closed || nfree <= CANCEL_SLOTS) {
            return Errno.EAGAIN.code();
        }
        int slot = free[nfree - 1];
        seqno[slot] = nextSeqno++;
        nfree--;
        slots[slot] = job;
        if (job.op == AioJob.FSYNC) {
            int pending = writesBefore(job.fd);
            if (pending > 0) {
                syncQueue.add(new HeldSync(job, slot, pending));
                return 0;
            }
        }
        prepareSqe(job, slot);
        return 0;
    }

    /** Prepares the SQE of the job in {@code slot} (under sq, with room in the SQ). */
    private void prepareSqe(AioJob job, int slot) {
        long userData = (long) generation[slot] << 32 | slot;
        int len = (int) Math.min(job.buffer.byteSize(), Integer.MAX_VALUE);
        prepared(switch (job.op) {
            case AioJob.READ -> ring.prepare(IORING_OP_READ, 0, job.heldFd, job.socket ? -1 : job.offset,
                    job.buffer.address(), len, 0, userData);
            case AioJob.WRITE -> ring.prepare(IORING_OP_WRITE, 0, job.heldFd, job.socket ? -1 : job.offset,
                    job.buffer.address(), len, 0, userData);
            // fsync, not fdatasync: O_SYNC is file integrity (FreeBSD's aio_fsync does VOP_FSYNC with MNT_WAIT)
            case AioJob.FSYNC -> ring.prepare(IORING_OP_FSYNC, 0, job.heldFd, 0, 0, 0, 0, userData);
            default -> throw new IllegalArgumentException("op " + job.op);
        });
    }

    /**
     * The writes on {@code fd} in flight (under sq): an fsync waits for them,
     * as aio_queue_file counts the jobs before a LIO_SYNC in job->pending
     * (not IOSQE_IO_DRAIN, which would hold it, and every SQE after it, behind
     * any socket read still waiting for data).
     */
    private int writesBefore(int fd) {
        int pending = 0;
        for (Object o : slots) {
            if (o instanceof AioJob j && j.op == AioJob.WRITE && j.fd == fd) {
                pending++;
            }
        }
        return pending;
    }

    /**
     * A write has completed (under sq): the held fsyncs on its descriptor
     * that came after it have one write less to wait for; those with none
     * left go to the SQ (aio_complete's walk of kaio_syncqueue).
     */
    private void writeDone(int fd, long seq) {
        for (HeldSync h : syncQueue) {
            if (h.job.fd == fd && seqno[h.slot] > seq) {
                h.pending--;
            }
        }
        // out of the queue before awaitSqRoom lets go of sq
        for (HeldSync h; (h = readySync()) != null; ) {
            syncQueue.remove(h);
            awaitSqRoom();
            prepareSqe(h.job, h.slot);
        }
    }

    private HeldSync readySync() {
        for (HeldSync h : syncQueue) {
            if (h.pending == 0) {
                return h;
            }
        }
        return null;
    }

    /** Under sq: while the SQ is full, wakes the submitter and waits until the kernel has taken some. */
    private void awaitSqRoom() {
        boolean interrupted = false;
        while (!unmapped && ring.unsubmitted() == ring.sqEntries()) {
            if (!submitterAwake) {
                submitterAwake = true;
                LockSupport.unpark(submitter);
            }
            try {
                sq.wait();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static void prepared(boolean ok) {
        if (!ok) {
            throw new IllegalStateException("no room in the SQ after awaitSqRoom");
        }
    }

    /**
     * The submitter's loop: every io_uring_enter goes from this one thread,
     * because the kernel cancels a request (-ECANCELED) when the thread that
     * submitted it exits, and AIO jobs outlive the threads that start them.
     * One enter takes every SQE prepared since the last: submitters coalesce.
     */
    private void submitLoop() {
        for (;;) {
            int n;
            synchronized (sq) {
                if (stopping) {
                    return;
                }
                n = submitterAwake ? ring.unsubmitted() : -1;
                if (submitterAwake) {
                    submitterAwake = false;
                    ring.publish();
                }
            }
            if (n < 0) {
                LockSupport.park(this);
                continue;
            }
            // the kernel consumes SQEs up to the tail published above while submitters prepare more after it
            int taken = n == 0 ? 0 : ring.enter(n, 0, 0);
            int errno = Libc.errno();
            List<AioJob> refused = null;
            synchronized (sq) {
                if (taken <= 0 && n > 0 && errno != LinuxErrno.EINTR) {
                    refused = takeBack(errno);
                }
                if (ring.unsubmitted() > 0) {
                    submitterAwake = true;   // prepared during the enter, or not all taken: go again
                }
                sq.notifyAll();   // a full SQ has room again
            }
            if (refused != null) {
                for (AioJob job : refused) {
                    drop(job);
                    job.complete(-errno);
                }
            }
        }
    }

    /**
     * After a failed io_uring_enter (EAGAIN, ENOMEM: the kernel is short of
     * memory), under sq: the SQEs it did not take go back out of the SQ; the
     * jobs among them complete with its errno, the cancels answer it.
     */
    private List<AioJob> takeBack(int errno) {
        List<AioJob> refused = new ArrayList<>();
        while (ring.unsubmitted() > 0) {
            Object o = release(ring.unprepare());
            if (o instanceof AioJob job) {
                refused.add(job);
            } else {
                Cancel c = (Cancel) o;
                c.res = -errno;
                LockSupport.unpark(c.waiter);
            }
        }
        return refused;
    }

    /** Frees the slot of {@code userData} (under sq); what it held. */
    private Object release(long userData) {
        int slot = (int) userData;
        Object o = slots[slot];
        slots[slot] = null;
        generation[slot]++;
        free[nfree++] = slot;
        if (!syncQueue.isEmpty() && o instanceof AioJob job && job.op == AioJob.WRITE) {
            writeDone(job.fd, seqno[slot]);
        }
        return o;
    }

    @Override
    public int cancel(AioJob job) {
        Cancel c = new Cancel();
        int slot = -1;
        boolean held;
        boolean wake;
        synchronized (sq) {
            held = releaseHeldSync(job);
            if (!held) {
                awaitSqRoom();
                slot = slotOf(job);
                if (slot >= 0 && nfree > 0) {
                    prepareCancel(slot, c);
                }
            }
            wake = wakeSubmitter();
        }
        if (wake) {
            LockSupport.unpark(submitter);
        }
        if (held) {   // an fsync still waiting for writes: it never reached the kernel
            drop(job);
            job.complete(ECANCELED);
            return AIO_CANCELED;
        }
        if (!c.asked) {
            return slot < 0 ? AIO_ALLDONE : AIO_NOTCANCELED;   // no slot to ask with: it runs on
        }
        // the answer comes at once (the kernel cancels within the submission), but whoever drains may reap it
        while (c.res == Cancel.PENDING) {
            reap();
            if (c.res == Cancel.PENDING) {
                LockSupport.parkNanos(this, 1_000_000);
            }
        }
        return switch (-c.res) {
            case 0 -> AIO_CANCELED;
            case LinuxErrno.ENOENT -> AIO_ALLDONE;
            default -> AIO_NOTCANCELED;   // EALREADY: under way, it will complete
        };
    }

    /** Under sq: whether the job is an fsync held for writes, now out of the queue and its slot. */
    private boolean releaseHeldSync(AioJob job) {
        for (int i = 0; i < syncQueue.size(); i++) {
            if (syncQueue.get(i).job == job) {
                release(syncQueue.remove(i).slot);
                return true;
            }
        }
        return false;
    }

    private void prepareCancel(int slot, Cancel c) {
        int own = free[nfree - 1];
        long target = (long) generation[slot] << 32 | slot;
        prepared(ring.prepare(IORING_OP_ASYNC_CANCEL, 0, -1, 0, target, 0, 0, (long) generation[own] << 32 | own));
        nfree--;
        slots[own] = c;
        c.asked = true;
    }

    private int slotOf(AioJob job) {
        for (int i = 0; i < slots.length; i++) {
            if (slots[i] == job) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Takes every CQE there is and completes what each names, outside any
     * lock. Any thread, any number at once: the CQ lock hands each CQE to one.
     */
    @Override
    public void reap() {
        long[] data = REAPED_DATA.get();
        int[] res = REAPED_RES.get();
        Object[] done = REAPED.get();
        for (;;) {
            int n = 0;
            synchronized (cq) {
                if (unmapped) {
                    return;
                }
                int head = ring.cqHead();
                int tail = ring.cqTail();
                for (; head != tail && n < REAP_BATCH; head++, n++) {
                    data[n] = ring.cqeUserData(head);
                    res[n] = ring.cqeResult(head);
                }
                ring.cqAdvance(head);
            }
            if (n == 0) {
                return;
            }
            boolean wake;
            synchronized (sq) {
                for (int i = 0; i < n; i++) {
                    done[i] = release(data[i]);
                }
                wake = wakeSubmitter();   // for the fsyncs those writes released
            }
            if (wake) {
                LockSupport.unpark(submitter);
            }
            for (int i = 0; i < n; i++) {
                if (done[i] instanceof AioJob job) {
                    drop(job);
                    job.complete(res[i]);
                } else {
                    Cancel c = (Cancel) done[i];
                    c.res = res[i];
                    LockSupport.unpark(c.waiter);
                }
                done[i] = null;
            }
        }
    }

    @Override
    public DescriptorSource completions() {
        return completions;
    }

    /**
     * Cancels what is in flight, waits for every job to complete (so that
     * the kernel writes into no buffer afterwards), stops the submitter,
     * then unmaps the ring and closes it and its eventfd. Later submits
     * answer EAGAIN.
     */
    void close() {
        List<AioJob> inFlight = new ArrayList<>();
        synchronized (sq) {
            closed = true;
            for (Object o : slots) {
                if (o instanceof AioJob job) {
                    inFlight.add(job);
                }
            }
        }
        for (AioJob job : inFlight) {
            cancel(job);
        }
        for (;;) {
            reap();
            boolean idle;
            synchronized (sq) {
                idle = nfree == slots.length;
                stopping |= idle;
            }
            if (idle) {
                break;
            }
            LockSupport.parkNanos(this, 1_000_000);
        }
        LockSupport.unpark(submitter);
        boolean interrupted = false;
        while (submitter.isAlive()) {
            try {
                submitter.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        synchronized (sq) {
            synchronized (cq) {
                if (!unmapped) {
                    unmapped = true;
                    ring.close();
                    Libc.close(eventFd);
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
