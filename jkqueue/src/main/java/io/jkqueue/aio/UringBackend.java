package io.jkqueue.aio;

import io.jkqueue.linux.EventFd;
import io.jkqueue.linux.IoUring;
import io.jkqueue.linux.Kernel;
import io.jkqueue.linux.Libc;
import io.jkqueue.linux.LinuxErrno;
import io.jkqueue.spi.DescriptorSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

import static io.jkqueue.linux.IoUring.IORING_OP_ASYNC_CANCEL;
import static io.jkqueue.linux.IoUring.IORING_OP_FSYNC;
import static io.jkqueue.linux.IoUring.IORING_OP_READ;
import static io.jkqueue.linux.IoUring.IORING_OP_WRITE;
import static io.jkqueue.linux.IoUring.IOSQE_IO_DRAIN;

/**
 * AIO jobs on one io_uring (vfs_aio.c's aio_queue_file, with the kernel's
 * own workers for aiod): a job is one SQE whose user_data names its slot, its
 * CQE is its result, and the ring's registered eventfd is the descriptor the
 * AIO knotes' kqueues drain. Submitters coalesce: one that finds others
 * waiting for the SQ lock leaves its SQE for the next holder's
 * io_uring_enter, which submits them all.
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
    private static final int REAP_BATCH = 256;
    private static final int ECANCELED = -LinuxErrno.ECANCELED;
    private static final int EALREADY = 114;   // Linux

    private final IoUring ring;
    private final int eventFd;
    private final DescriptorSource completions;

    /** The SQ producer's lock; it also guards the slot table. */
    private final ReentrantLock sq = new ReentrantLock();
    /** The CQ consumer's lock. */
    private final ReentrantLock cq = new ReentrantLock();
    /** user_data → what the CQE completes: an AioJob, or a Cancel whose canceller waits. */
    private final Object[] slots;
    /** Per slot, the count of its uses: user_data carries it so that a late cancel never hits a later job. */
    private final int[] generation;
    private final int[] free;
    private int nfree;
    private boolean closed;   // under sq: no more jobs
    private boolean unmapped;   // under sq and cq: the ring is gone, never to be touched again

    private static final ThreadLocal<long[]> REAPED_DATA = ThreadLocal.withInitial(() -> new long[REAP_BATCH]);
    private static final ThreadLocal<int[]> REAPED_RES = ThreadLocal.withInitial(() -> new int[REAP_BATCH]);
    private static final ThreadLocal<Object[]> REAPED = ThreadLocal.withInitial(() -> new Object[REAP_BATCH]);

    /** An ASYNC_CANCEL in flight: its CQE's res, set by whoever reaps it. */
    private static final class Cancel {
        static final int PENDING = Integer.MIN_VALUE;
        final Thread waiter = Thread.currentThread();
        volatile int res = PENDING;
    }

    private UringBackend(IoUring ring, int eventFd) {
        this.ring = ring;
        this.eventFd = eventFd;
        int n = ring.cqEntries();
        this.slots = new Object[n];
        this.generation = new int[n];
        this.free = new int[n];
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
        return new UringBackend(ring, efd);
    }

    /** The most jobs in flight at once; beyond, submit answers EAGAIN. */
    int capacity() {
        return slots.length - CANCEL_SLOTS;
    }

    @Override
    public int submit(AioJob job) {
        sq.lock();
        int error = queue(job);
        if (error != 0 || sq.hasQueuedThreads() && ring.unsubmitted() < ring.sqEntries() / 2) {
            unlock();   // a thread waiting for the lock submits this SQE with its own
            return error;
        }
        List<AioJob> refused = flush();
        int errno = Libc.errno();
        sq.unlock();
        if (refused != null && refused.remove(job)) {
            error = LinuxErrno.toFreeBsd(errno);
        }
        completeRefused(refused, errno);
        return error;
    }

    /**
     * Every holder of sq leaves through here (or flushes itself): the SQEs of
     * submitters that left them to it go to the kernel.
     */
    private void unlock() {
        List<AioJob> refused = !unmapped && ring.unsubmitted() > 0 ? flush() : null;
        int errno = Libc.errno();
        sq.unlock();
        completeRefused(refused, errno);
    }

    /**
     * lio_listio's batch: {@code jobs[from..to)} in one io_uring_enter.
     * Returns how many were started, from {@code from} on; the first one not
     * started was refused with EAGAIN (no slot or no room in the SQ) or with
     * the submission's errno, and so were those after it.
     */
    int submitAll(AioJob[] jobs, int from, int to) {
        int started = 0;
        sq.lock();
        while (from + started < to && queue(jobs[from + started]) == 0) {
            started++;
        }
        List<AioJob> refused = flush();
        int errno = Libc.errno();
        sq.unlock();
        if (refused != null) {
            for (int i = from; i < from + started; i++) {
                if (refused.remove(jobs[i])) {
                    refused.removeAll(List.of(jobs).subList(i + 1, from + started));
                    started = i - from;   // refused SQEs are always the newest ones
                    break;
                }
            }
        }
        completeRefused(refused, errno);
        return started;
    }

    /** Writes the job's SQE (under sq): 0, or EAGAIN (FreeBSD's number) with no slot or no room. */
    private int queue(AioJob job) {
        if (closed || nfree <= CANCEL_SLOTS) {
            return 35;
        }
        int slot = free[nfree - 1];
        long userData = (long) generation[slot] << 32 | slot;
        int len = (int) Math.min(job.buffer.byteSize(), Integer.MAX_VALUE);
        boolean ok = switch (job.op) {
            case AioJob.READ -> ring.prepare(IORING_OP_READ, 0, job.fd, job.socket ? -1 : job.offset,
                    job.buffer.address(), len, 0, userData);
            case AioJob.WRITE -> ring.prepare(IORING_OP_WRITE, 0, job.fd, job.socket ? -1 : job.offset,
                    job.buffer.address(), len, 0, userData);
            // fsync, not fdatasync: O_SYNC is file integrity (FreeBSD's aio_fsync does VOP_FSYNC with MNT_WAIT);
            // IO_DRAIN starts it once every SQE submitted before it has completed
            case AioJob.FSYNC -> ring.prepare(IORING_OP_FSYNC, IOSQE_IO_DRAIN, job.fd, 0, 0, 0, 0, userData);
            default -> throw new IllegalArgumentException("op " + job.op);
        };
        if (!ok) {
            return 35;
        }
        nfree--;
        slots[slot] = job;
        return 0;
    }

    /**
     * Submits every prepared SQE (under sq). Null when the kernel took them
     * all; else the jobs whose SQEs it refused, taken back out of the SQ,
     * with Libc.errno() the reason.
     */
    private List<AioJob> flush() {
        while (ring.unsubmitted() > 0) {
            if (ring.submit(0, 0) <= 0) {
                int errno = Libc.errno();
                List<AioJob> refused = new ArrayList<>();
                while (ring.unsubmitted() > 0) {
                    Object o = release(ring.unprepare());
                    if (o instanceof AioJob job) {
                        refused.add(job);
                    } else {
                        ((Cancel) o).res = -errno;
                    }
                }
                return refused;
            }
        }
        return null;
    }

    /** Jobs an earlier submitter left to this one's io_uring_enter, which the kernel refused. */
    private static void completeRefused(List<AioJob> refused, int errno) {
        if (refused != null) {
            for (AioJob job : refused) {
                job.complete(-errno);
            }
        }
    }

    /** Frees the slot of {@code userData} (under sq); what it held. */
    private Object release(long userData) {
        int slot = (int) userData;
        Object o = slots[slot];
        slots[slot] = null;
        generation[slot]++;
        free[nfree++] = slot;
        return o;
    }

    @Override
    public int cancel(AioJob job) {
        Cancel c = new Cancel();
        sq.lock();
        int slot = slotOf(job);
        if (slot < 0 || nfree == 0 || !prepareCancel(slot, c)) {
            unlock();
            return slot < 0 ? AIO_ALLDONE : AIO_NOTCANCELED;   // no room to ask: it runs on
        }
        unlock();   // a refused ASYNC_CANCEL gets the errno as its answer
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

    private boolean prepareCancel(int slot, Cancel c) {
        int own = free[nfree - 1];
        long target = (long) generation[slot] << 32 | slot;
        if (!ring.prepare(IORING_OP_ASYNC_CANCEL, 0, -1, 0, target, 0, 0, (long) generation[own] << 32 | own)) {
            return false;
        }
        nfree--;
        slots[own] = c;
        return true;
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
    void reap() {
        long[] data = REAPED_DATA.get();
        int[] res = REAPED_RES.get();
        Object[] done = REAPED.get();
        for (;;) {
            int n = 0;
            cq.lock();
            try {
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
            } finally {
                cq.unlock();
            }
            if (n == 0) {
                return;
            }
            sq.lock();
            for (int i = 0; i < n; i++) {
                done[i] = release(data[i]);
            }
            unlock();
            for (int i = 0; i < n; i++) {
                if (done[i] instanceof AioJob job) {
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
     * the kernel writes into no buffer afterwards), then unmaps the ring and
     * closes it and its eventfd. Later submits answer EAGAIN.
     */
    void close() {
        List<AioJob> inFlight = new ArrayList<>();
        sq.lock();
        closed = true;
        for (Object o : slots) {
            if (o instanceof AioJob job) {
                inFlight.add(job);
            }
        }
        unlock();
        for (AioJob job : inFlight) {
            cancel(job);
        }
        for (;;) {
            reap();
            sq.lock();
            cq.lock();
            if (!unmapped && nfree == slots.length) {
                unmapped = true;
                ring.close();
                Libc.close(eventFd);
            }
            boolean done = unmapped;
            cq.unlock();
            sq.unlock();
            if (done) {
                return;
            }
            LockSupport.parkNanos(this, 1_000_000);
        }
    }
}
