package io.jkqueue.aio;

import io.jkqueue.Aio;
import io.jkqueue.linux.Epoll;
import io.jkqueue.linux.FileIo;
import io.jkqueue.linux.Libc;
import io.jkqueue.linux.LinuxErrno;
import io.jkqueue.spi.DescriptorSource;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.locks.LockSupport;

/**
 * FreeBSD's aiod pool on Linux: a few worker threads doing pread, pwrite and
 * fsync, and one thread that waits, in an epoll set of its own, for the
 * sockets of socket jobs to turn ready (so that a read waiting for data holds
 * no worker and stays cancellable). Each job works on a dup of its
 * descriptor taken at submission, so that closing the user's number, or its
 * reuse for another file, never reaches the job. An FSYNC waits for every
 * write submitted before it on the same descriptor to finish.
 */
final class ThreadsBackend implements AioBackend {
    /** Worker threads (vfs.aio.target_aio_procs is 4). */
    private static final int WORKERS = Integer.getInteger("jkqueue.aio.threads", 4);

    private static final int IDLE = 0;     // not held
    private static final int QUEUED = 1;   // for a worker
    private static final int PARKED = 2;   // an FSYNC waiting for earlier writes
    private static final int WAITING = 3;  // for its socket's readiness
    private static final int RUNNING = 4;

    /** Workers parked for want of work, most recent last (a Condition's await would allocate a node per wait; the backend's monitor guards everything). */
    private final Thread[] idle = new Thread[WORKERS];
    private int nidle;
    private final ArrayDeque<AioJob> queue = new ArrayDeque<>();
    /** File writes queued or running, and parked FSYNCs: what FSYNC ordering looks at. */
    private AioJob[] writes = new AioJob[64];
    private int nwrites;
    private AioJob[] syncs = new AioJob[8];
    private int nsyncs;
    /** Socket jobs waiting for readiness, by their held descriptor (the epoll data). */
    private AioJob[] waiting = new AioJob[64];
    private long seq;
    private int epfd = -1;

    ThreadsBackend() {
        for (int i = 0; i < WORKERS; i++) {
            Thread.ofPlatform().daemon().name("jkqueue-aiod-" + i).start(this::work);
        }
    }

    @Override
    public int submit(AioJob job) {
        int held = FileIo.dup(job.fd);
        if (held < 0) {
            return freeBsd(Libc.errno());
        }
        job.heldFd = held;
        Thread wake;
        synchronized (this) {
            job.seq = ++seq;
            if (job.socket) {
                return await(job);
            }
            if (job.op == AioJob.WRITE) {
                job.slot = nwrites;
                writes = add(writes, nwrites++, job);
            } else if (job.op == AioJob.FSYNC) {
                int pending = 0;
                for (int i = 0; i < nwrites; i++) {
                    pending += writes[i].fd == job.fd ? 1 : 0;   // all were submitted before it
                }
                if (pending > 0) {
                    job.pendingWrites = pending;
                    job.where = PARKED;
                    job.slot = nsyncs;
                    syncs = add(syncs, nsyncs++, job);
                    return 0;
                }
            }
            wake = enqueue(job);
        }
        LockSupport.unpark(wake);   // after the monitor: a worker woken into it would only block again
        return 0;
    }

    /** Queues a file job for a worker; returns the idle worker to unpark once the monitor is released, or null. */
    private Thread enqueue(AioJob job) {
        job.where = QUEUED;
        queue.addLast(job);
        if (nidle == 0) {
            return null;
        }
        Thread worker = idle[--nidle];
        idle[nidle] = null;
        return worker;
    }

    /** A socket job: arms its held descriptor, one-shot, in the socket thread's epoll set. */
    private int await(AioJob job) {
        if (epfd < 0) {
            epfd = Epoll.create1(Epoll.EPOLL_CLOEXEC);
            if (epfd < 0) {
                int error = freeBsd(Libc.errno());
                Libc.close(job.heldFd);
                return error;
            }
            Thread.ofPlatform().daemon().name("jkqueue-aio-sockets").start(this::pollSockets);
        }
        int interest = job.op == AioJob.READ ? Epoll.EPOLLIN | Epoll.EPOLLRDHUP : Epoll.EPOLLOUT;
        if (Epoll.ctl(epfd, Epoll.EPOLL_CTL_ADD, job.heldFd, interest | Epoll.EPOLLONESHOT, job.heldFd) != 0) {
            int error = freeBsd(Libc.errno());
            Libc.close(job.heldFd);
            return error;
        }
        if (job.heldFd >= waiting.length) {
            waiting = Arrays.copyOf(waiting, Math.max(job.heldFd + 1, waiting.length * 2));
        }
        waiting[job.heldFd] = job;
        job.where = WAITING;
        return 0;
    }

    @Override
    public int cancel(AioJob job) {
        synchronized (this) {
            switch (job.where) {
                case QUEUED -> queue.remove(job);
                case PARKED -> remove(syncs, --nsyncs, job);
                case WAITING -> {
                    waiting[job.heldFd] = null;
                    Epoll.ctl(epfd, Epoll.EPOLL_CTL_DEL, job.heldFd, 0, 0);
                }
                case RUNNING -> {
                    return Aio.AIO_NOTCANCELED;
                }
                default -> {
                    return Aio.AIO_ALLDONE;
                }
            }
            finishLocked(job);
        }
        release(job, -LinuxErrno.ECANCELED);
        return Aio.AIO_CANCELED;
    }

    @Override
    public DescriptorSource completions() {
        return null;   // jobs complete on the backend's threads
    }

    @Override
    public void reap() {
        // nothing waits: each job completes on the thread that ends it
    }

    /** A worker: runs file jobs one at a time. */
    private void work() {
        for (;;) {
            AioJob job;
            synchronized (this) {
                job = queue.pollFirst();
                if (job == null) {
                    if (!isIdle()) {
                        idle[nidle++] = Thread.currentThread();
                    }
                } else {
                    for (int i = 0; i < nidle; i++) {   // woken by something else than enqueue
                        if (idle[i] == Thread.currentThread()) {
                            idle[i] = idle[--nidle];
                            idle[nidle] = null;
                        }
                    }
                    job.where = RUNNING;
                }
            }
            if (job == null) {
                LockSupport.park(this);   // an enqueue after the push above leaves the permit: no lost wake-up
                continue;
            }
            long result = switch (job.op) {
                case AioJob.READ -> FileIo.pread(job.heldFd, job.buffer, job.offset);
                case AioJob.WRITE -> FileIo.pwrite(job.heldFd, job.buffer, job.offset);
                default -> FileIo.fsync(job.heldFd);
            };
            finish(job, result < 0 ? -Libc.errno() : result);
        }
    }

    /** Whether this worker is on the idle stack; holding the monitor. */
    private boolean isIdle() {
        for (int i = 0; i < nidle; i++) {
            if (idle[i] == Thread.currentThread()) {
                return true;
            }
        }
        return false;
    }

    /** The socket thread: moves the bytes of socket jobs whose descriptor turned ready. */
    private void pollSockets() {
        Epoll.Events events = new Epoll.Events(64);
        for (;;) {
            int n = events.epollWait(epfd, -1);
            for (int i = 0; i < n; i++) {
                int held = (int) events.data(i);
                AioJob job;
                synchronized (this) {
                    job = held < waiting.length ? waiting[held] : null;
                    if (job == null || job.where != WAITING) {
                        continue;   // cancelled meanwhile
                    }
                    job.where = RUNNING;
                }
                long result = job.op == AioJob.READ
                        ? FileIo.recv(held, job.buffer, FileIo.MSG_DONTWAIT)
                        : FileIo.send(held, job.buffer, FileIo.MSG_DONTWAIT | FileIo.MSG_NOSIGNAL);
                if (result < 0 && Libc.errno() == LinuxErrno.EAGAIN) {
                    synchronized (this) {
                        // someone else took the data (or the room): wait again
                        job.where = WAITING;
                        int interest = job.op == AioJob.READ ? Epoll.EPOLLIN | Epoll.EPOLLRDHUP : Epoll.EPOLLOUT;
                        Epoll.ctl(epfd, Epoll.EPOLL_CTL_MOD, held, interest | Epoll.EPOLLONESHOT, held);
                    }
                    continue;
                }
                if (result < 0) {
                    result = -Libc.errno();
                }
                synchronized (this) {
                    waiting[held] = null;
                    Epoll.ctl(epfd, Epoll.EPOLL_CTL_DEL, held, 0, 0);   // before the close: the file outlives the dup
                }
                finish(job, result);
            }
        }
    }

    private void finish(AioJob job, long result) {
        synchronized (this) {
            finishLocked(job);
        }
        release(job, result);
    }

    /** The job leaves the backend; a write's end may free the FSYNCs that waited for it. */
    private void finishLocked(AioJob job) {
        if (job.op == AioJob.WRITE && !job.socket && job.slot >= 0) {
            remove(writes, --nwrites, job);
            for (int i = 0; i < nsyncs; ) {
                AioJob sync = syncs[i];
                if (sync.fd == job.fd && sync.seq > job.seq && --sync.pendingWrites == 0) {
                    remove(syncs, --nsyncs, sync);
                    LockSupport.unpark(enqueue(sync));
                } else {
                    i++;
                }
            }
        }
        job.slot = -1;
        job.where = IDLE;
    }

    private static void release(AioJob job, long result) {
        Libc.close(job.heldFd);
        job.heldFd = -1;
        job.complete(result);
    }

    private static AioJob[] add(AioJob[] list, int i, AioJob job) {
        if (i == list.length) {
            list = Arrays.copyOf(list, i * 2);
        }
        list[i] = job;
        return list;
    }

    /** Swap-remove: the last entry (now at {@code last}) takes the job's slot. */
    private static void remove(AioJob[] list, int last, AioJob job) {
        AioJob moved = list[last];
        list[job.slot] = moved;
        moved.slot = job.slot;
        list[last] = null;
        job.slot = -1;
    }

    private static int freeBsd(int linux) {
        int e = LinuxErrno.toFreeBsd(linux);
        return e == LinuxErrno.UNKNOWN ? io.jkqueue.Errno.EIO.code() : e;
    }
}
