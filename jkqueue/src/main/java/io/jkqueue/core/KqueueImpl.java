package io.jkqueue.core;

import io.jkqueue.Errno;
import io.jkqueue.KEvent;
import io.jkqueue.KEventList;
import io.jkqueue.KQueueException;
import io.jkqueue.linux.Epoll;
import io.jkqueue.linux.EventFd;
import io.jkqueue.linux.Kernel;
import io.jkqueue.linux.Libc;
import io.jkqueue.linux.LinuxErrno;
import io.jkqueue.linux.Stat;
import io.jkqueue.linux.TimerFd;
import io.jkqueue.spi.FilterOps;
import io.jkqueue.spi.Knote;

import java.nio.channels.Channel;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

import static io.jkqueue.KEvent.EV_ADD;
import static io.jkqueue.KEvent.EV_CLEAR;
import static io.jkqueue.KEvent.EV_DELETE;
import static io.jkqueue.KEvent.EV_DISABLE;
import static io.jkqueue.KEvent.EV_DISPATCH;
import static io.jkqueue.KEvent.EV_DROP;
import static io.jkqueue.KEvent.EV_ENABLE;
import static io.jkqueue.KEvent.EV_ERROR;
import static io.jkqueue.KEvent.EV_FLAG1;
import static io.jkqueue.KEvent.EV_FLAG2;
import static io.jkqueue.KEvent.EV_FORCEONESHOT;
import static io.jkqueue.KEvent.EV_KEEPUDATA;
import static io.jkqueue.KEvent.EV_ONESHOT;
import static io.jkqueue.KEvent.EV_RECEIPT;
import static io.jkqueue.KEvent.EV_SYSFLAGS;
import static io.jkqueue.core.KnoteImpl.KN_ACTIVE;
import static io.jkqueue.core.KnoteImpl.KN_DETACHED;
import static io.jkqueue.core.KnoteImpl.KN_DISABLED;
import static io.jkqueue.core.KnoteImpl.KN_MARKER;
import static io.jkqueue.core.KnoteImpl.KN_QUEUED;
import static io.jkqueue.core.KnoteImpl.KN_SCAN;

/**
 * struct kqueue and the functions of kern_event.c that work on it:
 * kqueue_kevent, kqueue_register, kqueue_scan, knote_drop, kqueue_drain,
 * knote_fdclose, the queue (knote_enqueue, knote_dequeue) and the callouts.
 * Its parts: the knote tables ({@link KnoteTable}), the epoll set and its
 * descriptor registrations ({@link EpollSet}), how a thread sleeps and is
 * woken ({@link WaitPath}), and a kqueue as a file another one watches
 * ({@link KqFile}). The lock order is written beside the knote
 * ({@link KnoteImpl}).
 *
 * <p>Threads: any. The kq lock guards knote status, the queue, the tables and
 * the wait state; a thread never blocks in the kernel while holding it, and
 * never writes the eventfd while holding it (see {@link #unlock()}).
 */
public final class KqueueImpl {
    private static final System.Logger LOG = System.getLogger("io.jkqueue");

    // kq_state
    private static final int KQ_FLUXWAIT = 0x40;

    /** kq_global: the lock of every kqueue's kq_sel knlist, so nested kqueues never lock in a cycle. */
    static final ReentrantLock KQ_GLOBAL = new ReentrantLock();

    /** Passed as timeoutNanos by the Duration API for a negative timeout: EINVAL at scan time, as the seed. */
    public static final long INVALID_TIMEOUT = Long.MIN_VALUE;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition fluxCond = lock.newCondition();
    private final Condition refCond = lock.newCondition();
    private int state;
    private volatile boolean closing;                    // KQ_CLOSING, read without the lock by acquire
    private final AtomicInteger refcnt = new AtomicInteger(1);

    private final KnoteImpl head = new KnoteImpl(this); // kq_head: circular, head is the sentinel
    private volatile int count;                          // kq_count: knotes queued (markers excluded)

    final KnoteTable table = new KnoteTable(this);
    final EpollSet epoll;
    final WaitPath wait;

    /** kq_sel.si_note: knotes of other kqueues watching this one. */
    final KnListImpl sel = new KnListImpl(KQ_GLOBAL);
    private boolean selPending;

    final Softclock clock = new Softclock(this);

    private KqueueImpl(int epfd, int evfd, int tfd) {
        head.status = KN_MARKER;
        head.tqeNext = head.tqePrev = head;
        epoll = new EpollSet(this, epfd);
        wait = new WaitPath(this, epoll, evfd, tfd, lock.newCondition());
    }

    /** kern_kqueue. */
    public static KqueueImpl open() throws KQueueException {
        int epfd = Epoll.create1(Epoll.EPOLL_CLOEXEC);
        if (epfd < 0) {
            throw nativeError("epoll_create1");
        }
        int evfd = EventFd.create(0, EventFd.EFD_NONBLOCK | EventFd.EFD_CLOEXEC);
        if (evfd < 0) {
            KQueueException e = nativeError("eventfd");
            Libc.close(epfd);
            throw e;
        }
        int tfd = TimerFd.create(TimerFd.CLOCK_MONOTONIC, TimerFd.TFD_NONBLOCK | TimerFd.TFD_CLOEXEC);
        if (tfd < 0) {
            KQueueException e = nativeError("timerfd_create");
            Libc.close(evfd);
            Libc.close(epfd);
            throw e;
        }
        KqueueImpl kq = new KqueueImpl(epfd, evfd, tfd);
        // edge-triggered: an edge wakes one waiter and nobody ever reads the counters
        if (!kq.epoll.addWaitDescriptor(evfd, EpollSet.TOKEN_EVENTFD)
                || !kq.epoll.addWaitDescriptor(tfd, EpollSet.TOKEN_TIMERFD)) {
            KQueueException e = nativeError("epoll_ctl");
            kq.closeDescriptors();
            throw e;
        }
        KqRegistry.put(epfd, kq);
        return kq;
    }

    /**
     * The epoll descriptor, for another kqueue or any poller to watch: from
     * now on it is readable exactly while events are queued (unlock() and
     * the look at epoll in scan keep it so).
     */
    public int fd() {
        if (!wait.isExposed()) {
            lock();
            wait.expose();
            clock.arm(false);   // pending callouts now turn it readable on time
            unlock();   // events already queued: readable at once
        }
        return epoll.epfd;
    }

    public boolean isOpen() {
        return !closing;
    }

    /** kq_count: the knotes queued. */
    int count() {
        return count;
    }

    /** The knotes in the fd table (for tests). */
    int fdKnoteCount() {
        lock();
        try {
            return table.fdKnotes();
        } finally {
            unlock();
        }
    }

    // ---- locking -------------------------------------------------------

    void lock() {
        lock.lock();
    }

    /** KQ_OWNED. */
    boolean ownsLock() {
        return lock.isHeldByCurrentThread();
    }

    /**
     * KQ_UNLOCK. The wake-ups decided under the lock happen here, after it is
     * released, so that a woken thread never finds the lock still held by its
     * waker: the eventfd write (kqueue_wakeup) or the unpark of a virtual waiter, and the kq_sel knote
     * (kqueue_task, done in the releasing thread instead of a taskqueue).
     */
    void unlock() {
        boolean write = false;
        Thread unpark = null;
        boolean notifySel = false;
        if (lock.getHoldCount() == 1) {
            write = wait.takeWakeup(count, closing);
            unpark = wait.virtualToWake(count);
            notifySel = selPending;
            selPending = false;
        }
        lock.unlock();
        if (write) {
            wait.signal();
        }
        if (unpark != null) {
            LockSupport.unpark(unpark);
        }
        if (notifySel) {
            KQ_GLOBAL.lock();
            try {
                sel.knoteLocked(0);
            } finally {
                KQ_GLOBAL.unlock();
            }
        }
    }

    /** KQ_FLUX_WAKEUP. */
    void fluxWakeup() {
        assert ownsLock();
        if ((state & KQ_FLUXWAIT) != 0) {
            state &= ~KQ_FLUXWAIT;
            fluxCond.signalAll();
        }
    }

    /** msleep(kq, "kqflxwt"): with the kq lock held once, waits for a knote to leave flux. */
    void awaitFluxLocked() {
        assert lock.getHoldCount() == 1;
        state |= KQ_FLUXWAIT;
        fluxCond.awaitUninterruptibly();
    }

    /**
     * kqueue_acquire: a reference for a call that registers changes, refused
     * once closing (a counter: no lock). A call that only scans needs none:
     * the scan counts itself under the kq lock ({@link #scanEntered}).
     */
    private void acquire() throws KQueueException {
        if (!acquireQuietly()) {
            throw new KQueueException(Errno.EBADF, "kqueue is closed");
        }
    }

    /** kqueue_acquire without the error: false once closing. */
    boolean acquireQuietly() {
        refcnt.incrementAndGet();
        if (closing) {
            release();
            return false;
        }
        return true;
    }

    /** kqueue_release: the last call out wakes a close() waiting for it. */
    void release() {
        if (refcnt.decrementAndGet() == 1 && closing) {
            lock.lock();
            try {
                refCond.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /** A thread enters kqueue_scan, with the kq lock held: refused once closing, else counted until it leaves. */
    boolean scanEntered() {
        assert ownsLock();
        if (closing) {
            return false;
        }
        wait.scanEntered();
        return true;
    }

    /** ... and leaves it: the last call out wakes a close() waiting for it. */
    void scanLeft() {
        assert ownsLock();
        wait.scanLeft();
        if (closing && !wait.scanning()) {
            refCond.signalAll();
        }
    }

    // ---- the queue -----------------------------------------------------

    /** The knote at the head of the queue (kq_head itself when it is empty). */
    KnoteImpl firstQueued() {
        return head.tqeNext;
    }

    void insertTail(KnoteImpl kn) {
        KnoteImpl last = head.tqePrev;
        kn.tqePrev = last;
        kn.tqeNext = head;
        last.tqeNext = kn;
        head.tqePrev = kn;
    }

    static void unlink(KnoteImpl kn) {
        kn.tqePrev.tqeNext = kn.tqeNext;
        kn.tqeNext.tqePrev = kn.tqePrev;
        kn.tqeNext = kn.tqePrev = null;
    }

    /** The rest of knote_dequeue, for a knote the scan has unlinked. */
    void unqueued(KnoteImpl kn) {
        assert ownsLock() && (kn.status & KN_QUEUED) != 0 : kn;
        kn.status &= ~KN_QUEUED;
        count--;
    }

    /** knote_enqueue. */
    void enqueue(KnoteImpl kn) {
        assert ownsLock();
        assert (kn.status & KN_QUEUED) == 0 : kn;
        insertTail(kn);
        kn.status |= KN_QUEUED;
        count++;
        if (!sel.isEmpty()) {
            selPending = true;   // kqueue_wakeup: the kqueues watching this one hear of it in unlock()
        }
    }

    /** knote_dequeue. */
    private void dequeue(KnoteImpl kn) {
        unlink(kn);
        unqueued(kn);
    }

    /** KNOTE_ACTIVATE(kn, 0). */
    void activate(KnoteImpl kn) {
        lock();
        try {
            activateLocked(kn);
        } finally {
            unlock();
        }
    }

    /** KNOTE_ACTIVATE(kn, 1): the kq lock is held. */
    void activateLocked(KnoteImpl kn) {
        assert ownsLock();
        kn.status |= KN_ACTIVE;
        if ((kn.status & (KN_QUEUED | KN_DISABLED)) == 0) {
            enqueue(kn);
        }
    }

    void deactivate(KnoteImpl kn) {
        lock();
        try {
            deactivateLocked(kn);
        } finally {
            unlock();
        }
    }

    /** The kq lock is held (a timer's touch): no reentrant lock and unlock, as activateLocked. */
    void deactivateLocked(KnoteImpl kn) {
        assert ownsLock();
        if ((kn.status & KN_QUEUED) != 0) {
            dequeue(kn);
        }
        kn.status &= ~KN_ACTIVE;
    }

    void setDetached(KnoteImpl kn, boolean detached) {
        lock();
        try {
            kn.status = detached ? kn.status | KN_DETACHED : kn.status & ~KN_DETACHED;
        } finally {
            unlock();
        }
    }

    /**
     * kqfd_register: a change from inside jkqueue (aio_aqueue's knote, with
     * EV_FLAG1, which a change list cannot carry), flags taken as given; a
     * new knote's kn_hook is {@code hook} (the job that the seed passes in
     * kev.data). Returns 0 or an errno code (EBADF: this kqueue is closed).
     */
    public int registerInternal(long ident, int filter, int flags, int fflags, long data, Object udata, Object hook) {
        return Register.registerInternal(this, ident, filter, flags, fflags, data, udata, hook);
    }

    // ---- kevent --------------------------------------------------------

    /** kern_kevent_fp + kqueue_kevent. */
    public int kevent(KEventList changes, KEventList events, long timeoutNanos) throws KQueueException {
        int nevents = events == null ? 0 : events.capacity();
        int nchanges = changes == null ? 0 : changes.size();
        if (nchanges == 0 && nevents > 0) {
            int n = Scan.scan(this, events, nevents, timeoutNanos, Long.MAX_VALUE);   // its own reference
            events.setSize(n);
            return n;
        }
        acquire();
        Register.Copyin c = null;
        try {
            int nerrors = 0;
            for (int i = 0; i < nchanges; i++) {
                if (changes.filter(i) == 0) {
                    continue;
                }
                if (c == null) {
                    c = Register.COPYIN.get();
                    // a filter calling kevent from inside register (an SPI filter may) gets its own copy
                    c = c.inUse ? c.nested() : c;
                    c.open();
                }
                int flags = changes.flags(i) & ~EV_SYSFLAGS;
                c.kev.set(0, changes.ident(i), changes.filter(i), flags, changes.fflags(i), changes.data(i),
                        changes.udata(i));
                int error = Register.register(this, c, flags);
                if (error != 0 || (flags & EV_RECEIPT) != 0) {
                    if (nevents == 0) {
                        if (error != 0) {
                            throw changeError(error, changes, i);
                        }
                        if (events != null) {
                            events.setSize(0);
                        }
                        return 0;
                    }
                    // the change as kqueue_register left it (fflags 0 for a new knote, or as touch made it)
                    events.set(nerrors, c.kev.ident(0), c.kev.filter(0), EV_ERROR, c.kev.fflags(0), error,
                            c.kev.udata(0));
                    nevents--;
                    nerrors++;
                }
            }
            if (nerrors > 0) {
                events.setSize(nerrors);
                return nerrors;
            }
            long since = Long.MAX_VALUE;
            if (c != null) {
                c.changesDone();
                since = c.recheck.flush(this);
            }
            int n = nevents == 0 ? 0 : Scan.scan(this, events, nevents, timeoutNanos, since);
            if (events != null) {
                events.setSize(n);
            }
            return n;
        } finally {
            if (c != null) {
                c.recheck.flush(this);   // a change list cut short by an error: its enables are still looked at
                c.clear();
            }
            release();
        }
    }


    /** knote_drop: the knote is in flux (once) and the kq is not locked. */
    void drop(KnoteImpl kn) {
        assert !ownsLock() && kn.inFlux() : kn;
        if ((kn.status & KN_DETACHED) == 0) {
            kn.detachFilter();
        }
        dropDetached(kn);
    }

    /**
     * Whether {@code kn}'s f_attach and f_detach may run with the kq lock
     * held: a system timer's take no lock but this one (callout_reset or
     * callout_stop, and the detached mark), so that a timer is added and
     * dropped without letting the lock go and taking it again for each step.
     */
    static boolean opsRunLocked(KnoteImpl kn) {
        return kn.filter == KEvent.EVFILT_TIMER && kn.getClass() == KnoteImpl.class;
    }

    /** knote_drop with the kq lock held, for a knote whose ops may run so ({@link #opsRunLocked}). */
    void dropLocked(KnoteImpl kn) {
        assert ownsLock() && kn.inFlux() && opsRunLocked(kn) : kn;
        if ((kn.status & KN_DETACHED) == 0) {
            kn.detachFilter();
        }
        unhook(kn);
        kn.fop = null;   // a system filter: no reference to release
    }

    /** knote_drop_detached. */
    void dropDetached(KnoteImpl kn) {
        lock();
        try {
            unhook(kn);
        } finally {
            unlock();
        }
        FilterTable.release(kn.filter);
        kn.fop = null;
    }

    /** knote_drop_detached's part under the kq lock: out of the table, the queue and the callouts. */
    private void unhook(KnoteImpl kn) {
        assert ownsLock() && kn.inFlux() : kn;
        table.remove(kn);
        if ((kn.status & KN_QUEUED) != 0) {
            dequeue(kn);
        }
        clock.stop(kn);
        fluxWakeup();
    }

    // ---- callouts and the sweep -----------------------------------------

    void calloutReset(KnoteImpl kn, long whenNanos, Knote.Callout fn) {
        lock();
        try {
            clock.schedule(kn, whenNanos, fn);
        } finally {
            unlock();
        }
    }

    void calloutStop(KnoteImpl kn) {
        lock();
        try {
            clock.stop(kn);
        } finally {
            unlock();
        }
    }

    /** With the kq lock held once: the sweep, if the clock found it due since the last one. */
    void sweepIfDue() {
        if (clock.takeSweep()) {
            sweepClosedFds();
        }
    }

    /**
     * knote_fdclose for the descriptors closed since the last sweep, which
     * jkqueue cannot see being closed: with the kq lock held once, drops the
     * knotes of every number that no longer names the file they were
     * registered on (a channel's number by isOpen(), any other by one statx
     * without the kq lock), so that their filters release what they hold.
     */
    private void sweepClosedFds() {
        for (int fd = 0; fd < table.fdLimit(); fd++) {
            if (table.firstOnFd(fd) == null) {
                continue;
            }
            Channel channel = table.channel(fd);
            if (channel != null) {
                if (!channel.isOpen()) {
                    dropChain(true, fd);
                }
                continue;
            }
            long dev = table.identityDev(fd);
            long ino = table.identityIno(fd);
            unlock();
            boolean current = Stat.names(fd, dev, ino);
            lock();
            if (!current && table.firstOnFd(fd) != null && table.channel(fd) == null && table.identityDev(fd) == dev
                    && table.identityIno(fd) == ino) {
                dropChain(true, fd);   // unless registered afresh meanwhile
            }
        }
    }

    // ---- close ---------------------------------------------------------

    /**
     * kqueue_close: wakes every waiter (DEVIATION: they throw EBADF), waits for
     * the calls in progress, drops the knotes of kqueues watching this one
     * (knote_fdclose), then this kqueue's own (kqueue_drain). Idempotent.
     */
    public void close() {
        lock();
        if (closing) {
            unlock();
            return;
        }
        closing = true;
        wait.closing();
        unlock(); // wakes a sleeper; each one leaving with EBADF wakes the next
        lock.lock();
        try {
            while (refcnt.get() > 1 || wait.scanning()) {
                refCond.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
        for (;;) {
            KnoteImpl watcher;
            KQ_GLOBAL.lock();
            try {
                watcher = sel.first();
            } finally {
                KQ_GLOBAL.unlock();
            }
            if (watcher == null) {
                break;
            }
            watcher.kq.fdclose(epoll.epfd);
        }
        drain();
        KqRegistry.remove(epoll.epfd, this);
        closeDescriptors();
    }

    /** kqueue_drain: drops every knote, waiting for those in flux. */
    private void drain() {
        lock();
        try {
            clock.reviveAll();
            for (int fd = 0; fd < table.fdLimit(); fd++) {
                dropChain(true, fd);
            }
            for (int slot = 0; slot < table.slots(); slot++) {
                dropChain(false, slot);
            }
        } finally {
            unlock();
        }
    }

    /** knote_fdclose: drops every knote on descriptor {@code fd}. */
    void fdclose(int fd) {
        lock();
        try {
            dropChain(true, fd);
        } finally {
            unlock();
        }
    }

    /**
     * knote_fdclose in every kqueue, for a close(2) jkqueue makes itself
     * (Fd.close): once this returns no knote on descriptor {@code fd} is left
     * in any kqueue, so none can meet a file that reuses the number. The
     * descriptor of a kqueue closes that kqueue instead (kqueue_close, which
     * closes the descriptor): then it returns true. Otherwise the number
     * stays closing until {@link FileTable#closed}, which the caller calls
     * once its close(2) returned: meanwhile a registration on it is EBADF.
     */
    public static boolean fdcloseAll(int fd) {
        KqueueImpl self = KqRegistry.get(fd);
        if (self != null) {
            self.close();
            return true;
        }
        FileTable.closing(fd);   // before any kq lock: a registration after a drop sees it
        for (KqueueImpl kq : KqRegistry.all()) {
            if (kq != null) {
                kq.fdclose(fd);
            }
        }
        return false;
    }

    /** With the kq lock held once: drops the knotes chained at {@code slot} of a table, waiting for those in flux. */
    private void dropChain(boolean fdTable, int slot) {
        for (;;) {
            KnoteImpl kn = fdTable ? table.firstOnFd(slot) : table.firstInSlot(slot);
            if (kn == null) {
                return;
            }
            if (kn.inFlux()) {
                awaitFluxLocked();
                continue;
            }
            kn.enterFlux();
            unlock();
            drop(kn);
            lock();
        }
    }

    private void closeDescriptors() {
        Libc.close(wait.tfd);
        Libc.close(wait.evfd);
        Libc.close(epoll.epfd);
    }

    // ---- errors --------------------------------------------------------

    private static KQueueException changeError(int error, KEventList kev, int i) {
        Errno errno = Errno.of(error);
        return new KQueueException(errno, "change " + i + " (ident " + kev.ident(i) + ", filter "
                + KEvent.filterName(kev.filter(i)) + ", flags " + KEvent.flagsName(kev.flags(i)) + ") failed"
                + (errno == Errno.ENOSYS ? ": this kernel lacks " + Kernel.describeMissing() : ""));
    }

    private static KQueueException nativeError(String call) {
        int errno = Libc.errno();
        int code = LinuxErrno.toFreeBsd(errno);
        return new KQueueException(code > 0 ? Errno.of(code) : Errno.EINVAL, call + " failed (errno " + errno + ")");
    }


    @Override
    public String toString() {
        return "kqueue[fd=" + epoll.epfd + "]";
    }
}
