package io.jkqueue.core;

import io.jkqueue.Errno;
import io.jkqueue.KEvent;
import io.jkqueue.KEventList;
import io.jkqueue.KQueueException;
import io.jkqueue.linux.Epoll;
import io.jkqueue.linux.EventFd;
import io.jkqueue.linux.Libc;
import io.jkqueue.linux.Stat;
import io.jkqueue.linux.TimerFd;
import io.jkqueue.spi.DescriptorSource;
import io.jkqueue.spi.FilterOps;
import io.jkqueue.spi.Knote;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.Channel;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
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
import static io.jkqueue.core.KnoteImpl.KN_KQUEUE;
import static io.jkqueue.core.KnoteImpl.KN_MARKER;
import static io.jkqueue.core.KnoteImpl.KN_QUEUED;
import static io.jkqueue.core.KnoteImpl.KN_SCAN;

/**
 * struct kqueue and the functions of kern_event.c that work on it:
 * kqueue_register, kqueue_scan, kqueue_kevent, kqueue_drain, knote_drop,
 * knote_enqueue. One kqueue is one epoll instance holding an eventfd (a wake
 * from another Java thread), a timerfd (armed to the earliest callout) and
 * the descriptors its fd knotes watch, so that {@link #fd()} is readable
 * when kevent would return something.
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

    private static final int KQEXTENT = 256;
    private static final int WAIT_EVENTS = 256;

    // epoll_event.data of the kqueue's own descriptors; a nested kqueue is NESTED | its fd
    private static final long TOKEN_EVENTFD = -1L;
    private static final long TOKEN_TIMERFD = -2L;
    private static final long NESTED = 1L << 32;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition fluxCond = lock.newCondition();
    private final Condition refCond = lock.newCondition();
    private final Condition interruptCond = lock.newCondition();
    private int state;
    private volatile boolean closing;                    // KQ_CLOSING, read without the lock by acquire
    private final AtomicInteger refcnt = new AtomicInteger(1);

    private final KnoteImpl head = new KnoteImpl(this); // kq_head: circular, head is the sentinel
    private volatile int count;                          // kq_count: knotes queued (markers excluded)

    private KnoteImpl[] knlist = new KnoteImpl[0];       // kq_knlist: fd knotes by descriptor
    private long[] fdIdentity = new long[0];             // per descriptor with knotes: dev, ino of its file
    private Channel[] fdChannel = new Channel[0];        // ... or the channel it belongs to (then dev, ino are 0)
    private FdWatch[] fdWatches = new FdWatch[0];        // per descriptor in the epoll set: its registration
    private KnoteImpl[] knhash = new KnoteImpl[64];      // kq_knhash: other knotes by (ident, filter)
    private int knhashCount;
    private int fdKnotes;                                // knotes in the fd table

    /** The callout of the sweep for closed descriptors, due every SWEEP_PERIOD while the fd table has knotes. */
    private final KnoteImpl sweeper = new KnoteImpl(this);
    private static final long SWEEP_PERIOD = 1_000_000_000L;
    private boolean sweepDue;
    private final Knote.Callout sweepCallout = this::sweepExpired;

    /** kq_sel.si_note: knotes of other kqueues watching this one. */
    final KnListImpl sel = new KnListImpl(KQ_GLOBAL);

    // the wait path, guarded by the kq lock
    private final int epfd;
    private final int evfd;
    private final int tfd;
    private int sleepers;
    private int interrupts;             // interrupted sleepers that have not yet left epoll_wait
    private int epollWatches;           // descriptors in the epoll set besides the eventfd and timerfd
    private boolean eventfdSignalled;   // an eventfd edge is pending in the epoll set, or about to be written
    private volatile boolean exposed;   // fd() was handed out: something outside may poll the epoll fd
    private boolean selPending;
    private final CalloutHeap callouts = new CalloutHeap();
    private long timerfdArmed = Long.MAX_VALUE;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment ctlScratch;
    private final MemorySegment timerScratch;
    private ScanContext freeContexts;

    /**
     * One descriptor in this kqueue's epoll set: the knotes watching it (the
     * socket's knlist in the seed, filled here by epoll) and the union of
     * their interests, which is what epoll has registered.
     */
    static final class FdWatch {
        final int fd;
        final KnListImpl knlist = new KnListImpl();
        int registered;
        // Level-triggered in epoll: every knote is plain level, so epoll's re-report replaces
        // the scan's re-check. edgeOnly: a filter once disagreed with epoll, or a knote was disabled.
        boolean level;
        boolean edgeOnly;
        DescriptorSource source;   // set for a shared source's descriptor: drained, not knote()d
        int sourceRefs;            // knotes of this kqueue that need the source

        FdWatch(int fd) {
            this.fd = fd;
        }
    }

    /** What one thread inside kevent needs: its scan marker and its epoll buffers. */
    private static final class ScanContext {
        final KnoteImpl marker;
        final MemorySegment events;
        final MemorySegment ts;
        final FdWatch[] ready = new FdWatch[WAIT_EVENTS];
        final long[] readyHints = new long[WAIT_EVENTS];
        ScanContext next;

        ScanContext(KqueueImpl kq, Arena arena) {
            marker = new KnoteImpl(kq);
            marker.status = KN_MARKER;
            events = arena.allocate(Epoll.EVENT_SIZE * WAIT_EVENTS, 8);
            ts = arena.allocate(Epoll.TIMESPEC);
        }
    }

    private KqueueImpl(int epfd, int evfd, int tfd) {
        this.epfd = epfd;
        this.evfd = evfd;
        this.tfd = tfd;
        head.status = KN_MARKER;
        head.tqeNext = head.tqePrev = head;
        ctlScratch = arena.allocate(Epoll.EVENT);
        timerScratch = arena.allocate(TimerFd.ITIMERSPEC);
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
        // Edge-triggered: an edge wakes one waiter and nobody ever reads the counters.
        if (Epoll.ctl(epfd, Epoll.EPOLL_CTL_ADD, evfd, Epoll.EPOLLIN | Epoll.EPOLLET, TOKEN_EVENTFD, kq.ctlScratch) < 0
                || Epoll.ctl(epfd, Epoll.EPOLL_CTL_ADD, tfd, Epoll.EPOLLIN | Epoll.EPOLLET, TOKEN_TIMERFD,
                        kq.ctlScratch) < 0) {
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
        if (!exposed) {
            lock();
            exposed = true;
            unlock();   // events already queued: readable at once
        }
        return epfd;
    }

    public boolean isOpen() {
        return !closing;
    }

    /** The knotes in the fd table (for tests). */
    int fdKnoteCount() {
        lock();
        try {
            return fdKnotes;
        } finally {
            unlock();
        }
    }

    // ---- locking -------------------------------------------------------

    void lock() {
        lock.lock();
    }

    /**
     * KQ_UNLOCK. The wake-ups decided under the lock happen here, after it is
     * released, so that a woken thread never finds the lock still held by its
     * waker: the eventfd write (kqueue_wakeup) and the kq_sel knote
     * (kqueue_task, done in the releasing thread instead of a taskqueue).
     */
    void unlock() {
        boolean write = false;
        boolean notifySel = false;
        if (lock.getHoldCount() == 1) {
            if (!eventfdSignalled && ((sleepers > 0 || exposed) && (count > 0 || closing) || interrupts > 0)) {
                // a waiter must take the queued events (or see the close); an outside poller must
                // see the epoll fd readable while events are queued; an interrupted sleeper must
                // wake, so whoever took the edge meant for it passes it on
                eventfdSignalled = true;
                write = true;
            }
            notifySel = selPending;
            selPending = false;
        }
        lock.unlock();
        if (write) {
            EventFd.signal(evfd);
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
        if ((state & KQ_FLUXWAIT) != 0) {
            state &= ~KQ_FLUXWAIT;
            fluxCond.signalAll();
        }
    }

    /** msleep(kq, "kqflxwt"): with the kq lock held once, waits for a knote to leave flux. */
    void awaitFluxLocked() {
        state |= KQ_FLUXWAIT;
        fluxCond.awaitUninterruptibly();
    }

    /** kqueue_acquire: a reference for the call, refused once closing (a counter: no lock on the hot path). */
    private void acquire() throws KQueueException {
        refcnt.incrementAndGet();
        if (closing) {
            release();
            throw new KQueueException(Errno.EBADF, "kqueue is closed");
        }
    }

    /** kqueue_release: the last call out wakes a close() waiting for it. */
    private void release() {
        if (refcnt.decrementAndGet() == 1 && closing) {
            lock.lock();
            try {
                refCond.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    // ---- the queue -----------------------------------------------------

    private void insertTail(KnoteImpl kn) {
        KnoteImpl last = head.tqePrev;
        kn.tqePrev = last;
        kn.tqeNext = head;
        last.tqeNext = kn;
        head.tqePrev = kn;
    }

    private static void unlink(KnoteImpl kn) {
        kn.tqePrev.tqeNext = kn.tqeNext;
        kn.tqeNext.tqePrev = kn.tqePrev;
        kn.tqeNext = kn.tqePrev = null;
    }

    /** knote_enqueue. */
    private void enqueue(KnoteImpl kn) {
        insertTail(kn);
        kn.status |= KN_QUEUED;
        count++;
        wakeup();
    }

    /** knote_dequeue. */
    private void dequeue(KnoteImpl kn) {
        unlink(kn);
        kn.status &= ~KN_QUEUED;
        count--;
    }

    /**
     * kqueue_wakeup: tell the kqueues watching this one. (The eventfd write
     * that wakes a sleeper or an outside poller is decided in unlock().)
     */
    private void wakeup() {
        if (!sel.isEmpty()) {
            selPending = true;
        }
    }

    /**
     * Thread.interrupt() of a thread blocked in this kqueue, called in the
     * interrupting thread while the waiter (which holds a reference) is
     * blocked. An eventfd edge wakes whichever sleeper epoll picks: until the
     * interrupted one has left, each thread that takes the edge passes it on
     * (unlock) and does not sleep again (awaitInterruptsTaken), so it reaches
     * the interrupted one.
     */
    void interruptSleeper() {
        lock();
        interrupts++;
        unlock();
    }

    /**
     * With the kq lock held once, instead of sleeping while an interrupted
     * sleeper has not taken its wake-up (sleeping now could take it instead):
     * waits until it has, the deadline passes, or the kqueue closes.
     */
    private void awaitInterruptsTaken(long deadline) throws KQueueException {
        unlock();   // passes on the edge this thread may have taken
        lock();
        try {
            while (interrupts > 0 && !closing) {
                if (deadline == Long.MAX_VALUE) {
                    interruptCond.await();
                } else if (interruptCond.awaitNanos(deadline - System.nanoTime()) <= 0) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KQueueException(Errno.EINTR, "interrupted");
        }
    }

    /** KNOTE_ACTIVATE. */
    void activate(KnoteImpl kn) {
        lock();
        try {
            kn.status |= KN_ACTIVE;
            if ((kn.status & (KN_QUEUED | KN_DISABLED)) == 0) {
                enqueue(kn);
            }
        } finally {
            unlock();
        }
    }

    void deactivate(KnoteImpl kn) {
        lock();
        try {
            if ((kn.status & KN_QUEUED) != 0) {
                dequeue(kn);
            }
            kn.status &= ~KN_ACTIVE;
        } finally {
            unlock();
        }
    }

    void setDetached(KnoteImpl kn, boolean detached) {
        lock();
        try {
            kn.status = detached ? kn.status | KN_DETACHED : kn.status & ~KN_DETACHED;
        } finally {
            unlock();
        }
    }

    // ---- knote tables --------------------------------------------------

    private int hashSlot(long ident, int mask) {
        long h = ident * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 40) & mask;
    }

    private KnoteImpl find(FilterOps fops, long ident, int filter) {
        KnoteImpl kn;
        if (fops.isFd()) {
            kn = ident < knlist.length ? knlist[(int) ident] : null;
        } else {
            kn = knhash[hashSlot(ident, knhash.length - 1)];
        }
        while (kn != null && (kn.ident != ident || kn.filter != filter)) {
            kn = kn.link;
        }
        return kn;
    }

    /** kqueue_expand + knote_attach: links a new knote into its table. */
    private void tableInsert(KnoteImpl kn) {
        if (kn.fop.isFd()) {
            int fd = (int) kn.ident;
            if (fd >= knlist.length) {
                knlist = Arrays.copyOf(knlist, (fd / KQEXTENT + 1) * KQEXTENT);
                fdIdentity = Arrays.copyOf(fdIdentity, 2 * knlist.length);
                fdChannel = Arrays.copyOf(fdChannel, knlist.length);
            }
            kn.link = knlist[fd];
            knlist[fd] = kn;
            if (fdKnotes++ == 0 && !sweeper.calloutPending) {
                scheduleSweep(System.nanoTime() + SWEEP_PERIOD);
                armTimerfd();
            }
        } else {
            if (knhashCount >= knhash.length - (knhash.length >>> 2)) {
                rehash(knhash.length * 2);
            }
            int slot = hashSlot(kn.ident, knhash.length - 1);
            kn.link = knhash[slot];
            knhash[slot] = kn;
            knhashCount++;
        }
    }

    /**
     * Whether knotes exist on {@code fd} for a file other than the one it names
     * now ({@code channel}, or else dev+ino); with the kq lock held.
     */
    private boolean isStaleFd(int fd, Channel channel, long dev, long ino) {
        if (fd >= knlist.length || knlist[fd] == null) {
            return false;
        }
        Channel old = fdChannel[fd];
        if (old != null) {
            return old != channel;   // an open channel keeps its number: another one means it was closed
        }
        if (channel != null) {       // watched by number, now known as a channel: compare the files
            MemorySegment stx = Libc.scratch();
            if (Stat.fstatx(fd, stx) != 0) {
                return true;
            }
            dev = Stat.dev(stx);
            ino = Stat.ino(stx);
        }
        return fdIdentity[2 * fd] != dev || fdIdentity[2 * fd + 1] != ino;
    }

    private void tableRemove(KnoteImpl kn) {
        KnoteImpl[] table;
        int slot;
        if (kn.fop.isFd()) {
            table = knlist;
            slot = (int) kn.ident;
            fdKnotes--;
        } else {
            table = knhash;
            slot = hashSlot(kn.ident, knhash.length - 1);
            knhashCount--;
        }
        if (table[slot] == kn) {
            table[slot] = kn.link;
            if (table == knlist && kn.link == null) {
                fdChannel[slot] = null;   // the last knote on fd: let its channel go
            }
        } else {
            KnoteImpl p = table[slot];
            while (p.link != kn) {
                p = p.link;
            }
            p.link = kn.link;
        }
        kn.link = null;
    }

    private void rehash(int size) {
        KnoteImpl[] old = knhash;
        knhash = new KnoteImpl[size];
        for (KnoteImpl chain : old) {
            for (KnoteImpl kn = chain, next; kn != null; kn = next) {
                next = kn.link;
                int slot = hashSlot(kn.ident, size - 1);
                kn.link = knhash[slot];
                knhash[slot] = kn;
            }
        }
    }

    // ---- calling filters: a throwing filter must not corrupt the kqueue --

    private static int filterAttach(KnoteImpl kn) {
        int error;
        try {
            error = kn.fop.attach(kn);
        } catch (RuntimeException | Error e) {
            filterFault(kn, "attach", e);
            return Errno.EINVAL.code();
        }
        try {
            return error == 0 ? 0 : Errno.of(error).code();
        } catch (IllegalArgumentException e) {
            filterFault(kn, "attach", e);   // an errno kevent cannot report: as if it had thrown
            return Errno.EINVAL.code();
        }
    }

    private static void filterDetach(KnoteImpl kn) {
        try {
            kn.fop.detach(kn);
        } catch (RuntimeException | Error e) {
            filterFault(kn, "detach", e);
        }
        KnListImpl knl = kn.knlist;
        if (knl != null) {
            knl.remove(kn); // the filter forgot (or failed) to: never leave a freed knote on a list
        }
    }

    boolean filterEvent(KnoteImpl kn, long hint) {
        try {
            return kn.fop.event(kn, hint);
        } catch (RuntimeException | Error e) {
            filterFault(kn, "event", e);
            return false;
        }
    }

    private static boolean filterTouch(KnoteImpl kn, KEventList kev, int i, int type) {
        try {
            kn.fop.touch(kn, kev, i, type);
            return true;
        } catch (RuntimeException | Error e) {
            filterFault(kn, "touch", e);
            return false;
        }
    }

    private static void filterFault(KnoteImpl kn, String op, Throwable e) {
        LOG.log(System.Logger.Level.ERROR, "filter " + kn.filter + " threw in " + op + " for ident " + kn.ident, e);
    }

    private static KnListImpl listLock(KnoteImpl kn) {
        KnListImpl knl = kn.knlist;
        if (knl != null) {
            knl.lock.lock();
        }
        return knl;
    }

    private static void listUnlock(KnListImpl knl) {
        if (knl != null) {
            knl.lock.unlock();
        }
    }

    // ---- kevent --------------------------------------------------------

    /**
     * Per thread: the change kqueue_register works on (the seed's copyin), which
     * it and a filter's touch may alter and an EV_ERROR entry reports; size 1
     * while a kevent call of the thread uses it.
     */
    private static final ThreadLocal<KEventList> COPYIN = ThreadLocal.withInitial(() -> new KEventList(1));

    /** kern_kevent_fp + kqueue_kevent. */
    public int kevent(KEventList changes, KEventList events, long timeoutNanos) throws KQueueException {
        acquire();
        KEventList kev = null;
        try {
            int nevents = events == null ? 0 : events.capacity();
            int nchanges = changes == null ? 0 : changes.size();
            int nerrors = 0;
            for (int i = 0; i < nchanges; i++) {
                if (changes.filter(i) == 0) {
                    continue;
                }
                if (kev == null) {
                    kev = COPYIN.get();
                    // a filter calling kevent from inside register (an SPI filter may) gets its own copy
                    kev = kev.size() == 0 ? kev : new KEventList(1);
                    kev.setSize(1);
                }
                int flags = changes.flags(i) & ~EV_SYSFLAGS;
                kev.set(0, changes.ident(i), changes.filter(i), flags, changes.fflags(i), changes.data(i),
                        changes.udata(i));
                int error = register(kev, 0, flags);
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
                    events.set(nerrors, kev.ident(0), kev.filter(0), EV_ERROR, kev.fflags(0), error, kev.udata(0));
                    nevents--;
                    nerrors++;
                }
            }
            if (nerrors > 0) {
                events.setSize(nerrors);
                return nerrors;
            }
            int n = nevents == 0 ? 0 : scan(events, nevents, timeoutNanos);
            if (events != null) {
                events.setSize(n);
            }
            return n;
        } finally {
            if (kev != null) {
                kev.set(0, 0, 0, 0, 0, 0, null);   // let udata go
                kev.setSize(0);
            }
            release();
        }
    }

    /**
     * kqueue_register: applies change {@code i} (flags already stripped of
     * EV_SYSFLAGS), a copy of the caller's that it may alter as the seed does
     * (a new knote's fflags and data become 0; touch may mask them). Returns 0
     * or an errno code.
     */
    int register(KEventList kev, int i, int flags) {
        if ((flags & (EV_ENABLE | EV_DISABLE)) == (EV_ENABLE | EV_DISABLE)) {
            return Errno.EINVAL.code();
        }
        long ident = kev.ident(i);
        int filter = kev.filter(i);
        FilterOps fops = FilterTable.find(filter);
        if (fops == null) {
            return Errno.EINVAL.code();
        }
        boolean fopsHeld = true;   // the filter reference passes to a new knote
        boolean haskqglobal = false;
        try {
            KnoteImpl kn;
            long dev = 0;
            long ino = 0;
            Channel channel = null;
            for (;;) {   // findkn
                if (fops.isFd()) {
                    // fget: the file the number names now, known by its channel or else by dev+ino
                    if (ident < 0 || ident > Integer.MAX_VALUE) {
                        return Errno.EBADF.code();
                    }
                    channel = FileTable.channel((int) ident);
                    if (channel == null) {
                        MemorySegment stx = Libc.scratch();
                        if (Stat.fstatx((int) ident, stx) != 0) {
                            return Errno.EBADF.code();
                        }
                        dev = Stat.dev(stx);
                        ino = Stat.ino(stx);
                    }
                    KqueueImpl target = KqRegistry.get((int) ident);
                    if (target == this) {
                        return Errno.EINVAL.code(); // a kqueue cannot watch itself
                    }
                    if (target != null && !haskqglobal) {
                        KQ_GLOBAL.lock();
                        haskqglobal = true;
                    }
                }
                lock();
                if (fops.isFd() && isStaleFd((int) ident, channel, dev, ino)) {
                    // the descriptor was closed and its number reused: the old file's knotes died with it
                    unlock();
                    fdclose((int) ident);
                    continue;
                }
                // an internal creation of a process tracking note is never coalesced with an existing note
                kn = filter == KEvent.EVFILT_PROC && (flags & (EV_FLAG1 | EV_FLAG2)) != 0 ? null
                        : find(fops, ident, filter);
                if (kn != null && kn.inFlux()) {
                    // knote is in the process of changing, wait for it to stabilize
                    if (haskqglobal) {
                        KQ_GLOBAL.unlock();
                        haskqglobal = false;
                    }
                    awaitFluxLocked();
                    unlock();
                    continue;
                }
                break;
            }

            KnListImpl knl = null;
            boolean kqLocked = false;
            if (kn == null) {
                if ((flags & EV_ADD) == 0) {
                    unlock();
                    return Errno.ENOENT.code();
                }
                kn = new KnoteImpl(this);
                kn.fop = fops;
                fopsHeld = false;
                kn.ident = ident;
                kn.filter = filter;
                kn.flags = flags & ~(EV_ADD | EV_DELETE | EV_ENABLE | EV_DISABLE | EV_FORCEONESHOT | EV_KEEPUDATA);
                kn.udata = kev.udata(i);
                kn.sfflags = kev.fflags(i);
                kn.sdata = kev.data(i);
                kev.set(i, ident, filter, kev.flags(i), 0, 0, kev.udata(i));
                // KN_SCAN: a source that reports while attach runs must not be skipped by knote()
                // (the seed's f_event after attach re-reads the source; ours may rely on that report)
                kn.status = KN_DETACHED | KN_SCAN;
                kn.enterFlux();
                tableInsert(kn);
                if (fops.isFd()) {
                    fdChannel[(int) ident] = channel;
                    fdIdentity[2 * (int) ident] = dev;
                    fdIdentity[2 * (int) ident + 1] = ino;
                }
                unlock();
                int error = filterAttach(kn);
                if (error != 0) {
                    dropDetached(kn);
                    return error;
                }
                knl = listLock(kn);
            } else {
                if ((flags & EV_DELETE) != 0) {
                    kn.enterFlux();
                    unlock();
                    drop(kn);
                    return 0;
                }
                if ((flags & EV_FORCEONESHOT) != 0) {
                    kn.flags |= EV_ONESHOT;
                    activate(kn);
                }
                // The user may change some filter values after the initial EV_ADD,
                // but doing so will not reset any filter which has already been triggered.
                kn.status |= KN_SCAN;
                kn.enterFlux();
                // with no knlist there is no list lock to take first: touch and f_event run with
                // the kq lock held, as knote() runs f_event (KN_HASKQLOCK)
                kqLocked = kn.knlist == null;
                if (!kqLocked) {
                    unlock();
                    knl = listLock(kn);
                }
                if ((flags & EV_KEEPUDATA) == 0) {
                    kn.udata = kev.udata(i);
                }
                if (!fops.isFd() && fops.hasTouch()) {
                    filterTouch(kn, kev, i, FilterOps.EVENT_REGISTER);
                } else {
                    kn.sfflags = kev.fflags(i);
                    kn.sdata = kev.data(i);
                }
            }

            // done_ev_add: the knote is ours (in flux), so KN_DISABLED is stable until we relock
            boolean disabled = (flags & EV_ENABLE) != 0 ? false
                    : (flags & EV_DISABLE) != 0 || (kn.status & KN_DISABLED) != 0;
            boolean event = !disabled && filterEvent(kn, 0);
            if (!kqLocked) {
                lock();
            }
            boolean wasDisabled = (kn.status & KN_DISABLED) != 0;
            kn.status = disabled ? kn.status | KN_DISABLED : kn.status & ~KN_DISABLED;
            if (disabled && !wasDisabled && kn.fdWatch != null && kn.fdWatch.level) {
                // a disabled knote must not be re-reported (a sleeper would spin); one disabled
                // once may well be again, so for good: toggling it costs no epoll_ctl
                demoteToEdge(kn.fdWatch);
            }
            if (event) {
                kn.status |= KN_ACTIVE;
            }
            if ((kn.status & (KN_ACTIVE | KN_DISABLED | KN_QUEUED)) == KN_ACTIVE) {
                enqueue(kn);
            }
            kn.status &= ~KN_SCAN;
            kn.leaveFlux();
            listUnlock(knl);
            fluxWakeup();
            unlock();
            return 0;
        } finally {
            if (haskqglobal) {
                KQ_GLOBAL.unlock();
            }
            if (fopsHeld) {
                FilterTable.release(filter);
            }
        }
    }

    /** kqueue_register from inside jkqueue (knote_fork): flags are taken as given, EV_FLAG1/EV_FLAG2 included. */
    int registerInternal(long ident, int filter, int flags, int fflags, long data, Object udata) {
        if (!isOpen()) {
            return Errno.EBADF.code();
        }
        KEventList kev = new KEventList(1);
        kev.add(ident, filter, flags, fflags, data, udata);
        return register(kev, 0, flags);
    }

    /** knote_drop: the knote is in flux (once) and the kq is not locked. */
    void drop(KnoteImpl kn) {
        if ((kn.status & KN_DETACHED) == 0) {
            filterDetach(kn);
        }
        dropDetached(kn);
    }

    /** knote_drop_detached. */
    void dropDetached(KnoteImpl kn) {
        lock();
        try {
            tableRemove(kn);
            if ((kn.status & KN_QUEUED) != 0) {
                dequeue(kn);
            }
            callouts.remove(kn);
            fluxWakeup();
        } finally {
            unlock();
        }
        FilterTable.release(kn.filter);
        kn.fop = null;
    }

    // ---- kqueue_scan ---------------------------------------------------

    /**
     * kqueue_scan: copies up to {@code maxevents} triggered knotes to
     * {@code out}, waiting up to {@code timeoutNanos} (&lt; 0 forever, 0 poll)
     * for the first. A marker bounds the walk so that level-triggered knotes
     * re-queued behind it are not returned twice in one call.
     */
    private int scan(KEventList out, int maxevents, long timeoutNanos) throws KQueueException {
        if (timeoutNanos == INVALID_TIMEOUT) {
            throw new KQueueException(Errno.EINVAL, "negative timeout");
        }
        boolean poll = timeoutNanos == 0;
        // < 0 waits forever; a poll never waits, so it needs no clock read either
        long deadline = timeoutNanos <= 0 ? Long.MAX_VALUE : saturatedAdd(System.nanoTime(), timeoutNanos);
        int remaining = maxevents;
        int nkev = 0;
        boolean looked = false;   // epoll was consulted during this call
        ScanContext ctx = null;
        lock();
        try {
            retry:
            for (;;) {
                if (closing) {
                    throw new KQueueException(Errno.EBADF, "kqueue was closed while waiting");
                }
                if (callouts.hasLive()) {
                    runCallouts(System.nanoTime());
                }
                if (sweepDue) {
                    sweepClosedFds();
                }
                if ((epollWatches > 0 || exposed && eventfdSignalled) && !looked && (count > 0 || poll)) {
                    // look at the descriptors before answering, so that queued
                    // in-JVM events never starve them (and take the eventfd's
                    // edge, so that an outside poller sees an emptied queue)
                    if (ctx == null) {
                        ctx = takeContext();
                    }
                    waitForEvents(ctx, 0);
                    looked = true;
                    continue;
                }
                if (count == 0) {
                    if (poll) {
                        return 0;
                    }
                    long wait = -1;
                    if (deadline != Long.MAX_VALUE) {
                        wait = deadline - System.nanoTime();
                        if (wait <= 0) {
                            return 0;
                        }
                    }
                    if (Thread.currentThread().isInterrupted()) {
                        throw new KQueueException(Errno.EINTR, "interrupted");
                    }
                    if (interrupts > 0) {
                        awaitInterruptsTaken(deadline);
                        continue;
                    }
                    if (ctx == null) {
                        ctx = takeContext();
                    }
                    waitForEvents(ctx, wait);
                    looked = true;
                    continue;
                }

                if (ctx == null) {
                    ctx = takeContext();
                }
                KnoteImpl marker = ctx.marker;
                insertTail(marker);
                boolean influx = false;
                while (remaining > 0) {
                    KnoteImpl kn = head.tqeNext;
                    if ((kn.status == KN_MARKER && kn != marker) || kn.inFlux()) {
                        if (influx) {
                            influx = false;
                            fluxWakeup();
                        }
                        awaitFluxLocked();
                        continue;
                    }
                    unlink(kn);
                    if ((kn.status & KN_DISABLED) != 0) {
                        kn.status &= ~KN_QUEUED;
                        count--;
                        continue;
                    }
                    if (kn == marker) {
                        fluxWakeup();
                        if (remaining == maxevents) {
                            continue retry;
                        }
                        return nkev;
                    }
                    if ((kn.flags & EV_DROP) != 0) {
                        kn.status &= ~KN_QUEUED;
                        kn.enterFlux();
                        count--;
                        unlock();
                        drop(kn);
                        lock();
                        continue;
                    } else if ((kn.flags & EV_ONESHOT) != 0) {
                        kn.status &= ~KN_QUEUED;
                        kn.enterFlux();
                        count--;
                        unlock();
                        kn.copyOut(out, nkev);
                        drop(kn);
                        lock();
                    } else {
                        kn.status |= KN_SCAN;
                        kn.enterFlux();
                        KnListImpl knl = kn.knlist;
                        boolean kqLocked = knl == null;   // as in register: no list lock, keep the kq lock
                        if (!kqLocked) {
                            unlock();
                            knl.lock.lock();
                        }
                        if (!filterEvent(kn, 0)) {
                            if (!kqLocked) {
                                lock();
                            }
                            if (kn.fdWatch != null && kn.fdWatch.level && (kn.flags & EV_DROP) == 0) {
                                demoteToEdge(kn.fdWatch);   // (a dropped knote's number may name another file now)
                            }
                            kn.status &= ~(KN_QUEUED | KN_ACTIVE | KN_SCAN);
                            count--;
                            listUnlock(knl);
                            if ((kn.flags & EV_DROP) != 0) {
                                // the filter found its source gone (e.g. the descriptor was closed)
                                unlock();
                                drop(kn);
                                lock();
                            } else {
                                kn.leaveFlux();
                            }
                            influx = true;
                            continue;
                        }
                        boolean touch = !kn.fop.isFd() && kn.fop.hasTouch();
                        if (!touch || !filterTouch(kn, out, nkev, FilterOps.EVENT_PROCESS)) {
                            kn.copyOut(out, nkev);
                        }
                        if (!kqLocked) {
                            lock();
                        }
                        if ((kn.flags & (EV_CLEAR | EV_DISPATCH)) != 0) {
                            // manually clear knotes who weren't 'touch'ed
                            if (!touch && (kn.flags & EV_CLEAR) != 0) {
                                kn.data = 0;
                                kn.fflags = 0;
                            }
                            if ((kn.flags & EV_DISPATCH) != 0) {
                                kn.status |= KN_DISABLED;
                            }
                            kn.status &= ~(KN_QUEUED | KN_ACTIVE);
                            count--;
                        } else if (kn.fdWatch != null && kn.fdWatch.level) {
                            // epoll re-reports the descriptor at the next look while it stays ready
                            kn.status &= ~(KN_QUEUED | KN_ACTIVE);
                            count--;
                        } else {
                            insertTail(kn);
                        }
                        kn.status &= ~KN_SCAN;
                        kn.leaveFlux();
                        listUnlock(knl);
                        influx = true;
                    }
                    nkev++;
                    remaining--;
                }
                unlink(marker);
                return nkev;
            }
        } finally {
            fluxWakeup();
            if (ctx != null) {
                ctx.next = freeContexts;
                freeContexts = ctx;
            }
            unlock();
        }
    }

    private ScanContext takeContext() {
        ScanContext ctx = freeContexts;
        if (ctx == null) {
            return new ScanContext(this, arena);
        }
        freeContexts = ctx.next;
        ctx.next = null;
        return ctx;
    }

    /**
     * Called with the kq lock held once; returns with it held. Blocks in
     * epoll_pwait2 for up to {@code waitNanos} (0 = poll, negative = until
     * something happens) without the lock, then turns what the kernel
     * reported into activations. Thread.interrupt() wakes the block.
     */
    private void waitForEvents(ScanContext ctx, long waitNanos) throws KQueueException {
        boolean sleeping = waitNanos != 0;
        if (sleeping) {
            sleepers++;
        }
        unlock();
        // entered without the kq lock: an interrupt calls interruptSleeper under the thread's interrupt lock
        InterruptibleWait interruptible = sleeping ? InterruptibleWait.current() : null;
        boolean interrupted = false;
        int n;
        try {
            if (interruptible != null) {
                interruptible.enter(this);
            }
            n = Epoll.wait(epfd, ctx.events, WAIT_EVENTS, waitNanos, ctx.ts);
        } finally {
            if (interruptible != null) {
                interrupted = interruptible.leave();
            }
        }
        int errno = n < 0 ? Libc.errno() : 0;
        pumpNested(ctx, n);
        lock();
        if (sleeping) {
            sleepers--;
        }
        if (interrupted && --interrupts == 0) {
            interruptCond.signalAll();
        }
        if (n < 0 && errno != Libc.EINTR) {
            throw new KQueueException(Errno.EINVAL, "epoll_wait failed, errno " + errno);
        }
        int ready = harvest(ctx, n);
        if (ready > 0) {
            unlock();
            deliverFdEvents(ctx, ready);
            lock();
        }
    }

    /**
     * With the kq lock held: takes in what epoll reported for this kqueue's
     * eventfd and timerfd, runs due callouts, and collects the watched
     * descriptors that changed into {@code ctx.ready}; returns their count.
     */
    private int harvest(ScanContext ctx, int n) {
        int ready = 0;
        for (int i = 0; i < n; i++) {
            long data = Epoll.data(ctx.events, i);
            if (data == TOKEN_EVENTFD) {
                eventfdSignalled = false;
            } else if (data == TOKEN_TIMERFD) {
                timerfdArmed = Long.MAX_VALUE;   // it fired: the next earliest callout must re-arm it
            } else if ((data & NESTED) == 0) {
                int fd = (int) data;
                FdWatch w = fd < fdWatches.length ? fdWatches[fd] : null;
                if (w != null) {
                    ctx.ready[ready] = w;
                    ctx.readyHints[ready++] = fdHint(Epoll.events(ctx.events, i));
                }
            }
        }
        if (callouts.hasLive()) {
            runCallouts(System.nanoTime());
        }
        return ready;
    }

    /** knote(so_rcv/so_snd, hint) for each ready descriptor; without the kq lock (knlist lock, then kq lock). */
    private static void deliverFdEvents(ScanContext ctx, int ready) {
        for (int i = 0; i < ready; i++) {
            FdWatch w = ctx.ready[i];
            ctx.ready[i] = null;
            DescriptorSource source = w.source;
            if (source == null) {
                w.knlist.knote(ctx.readyHints[i]);
                continue;
            }
            try {
                source.drain();
            } catch (RuntimeException | Error e) {
                LOG.log(System.Logger.Level.ERROR, "event source on descriptor " + w.fd + " threw in drain", e);
            }
        }
    }

    private static long fdHint(int events) {
        long hint = Knote.HINT_FD;
        if ((events & Epoll.EPOLLIN) != 0) {
            hint |= Knote.HINT_READABLE;
        }
        if ((events & Epoll.EPOLLOUT) != 0) {
            hint |= Knote.HINT_WRITABLE;
        }
        if ((events & Epoll.EPOLLRDHUP) != 0) {
            hint |= Knote.HINT_RDHUP;
        }
        if ((events & Epoll.EPOLLHUP) != 0) {
            hint |= Knote.HINT_HUP;
        }
        if ((events & Epoll.EPOLLERR) != 0) {
            hint |= Knote.HINT_ERROR;
        }
        return hint;
    }

    /** Without any lock: lets each nested kqueue that epoll reported ready look at its own descriptors. */
    private static void pumpNested(ScanContext ctx, int n) {
        for (int i = 0; i < n; i++) {
            long data = Epoll.data(ctx.events, i);
            if (data >= 0 && (data & NESTED) != 0) {
                KqueueImpl inner = KqRegistry.get((int) data);
                if (inner != null) {
                    inner.pump();
                }
            }
        }
    }

    /**
     * A non-blocking look at this kqueue's epoll set and callouts, for a
     * kqueue watching this one: whatever fires is queued here, and the
     * watchers learn of it through kq_sel.
     */
    private void pump() {
        refcnt.incrementAndGet(); // like a kevent call: close() waits for it to finish with our buffers
        try {
            if (closing) {
                return;
            }
            ScanContext ctx;
            int n;
            int ready;
            lock();
            try {
                ctx = takeContext();
                n = Epoll.wait(epfd, ctx.events, WAIT_EVENTS, 0, ctx.ts);
                ready = harvest(ctx, n);
            } finally {
                unlock();
            }
            deliverFdEvents(ctx, ready);
            pumpNested(ctx, n);
            lock();
            ctx.next = freeContexts;
            freeContexts = ctx;
            unlock();
        } finally {
            release();
        }
    }

    // ---- callouts ------------------------------------------------------

    void calloutReset(KnoteImpl kn, long whenNanos, Knote.Callout fn) {
        lock();
        try {
            kn.callout = fn;
            callouts.schedule(kn, whenNanos);
            armTimerfd();
        } finally {
            unlock();
        }
    }

    void calloutStop(KnoteImpl kn) {
        lock();
        try {
            callouts.remove(kn);
            kn.callout = null;
        } finally {
            unlock();
        }
    }

    /** softclock: runs every callout due by {@code now}, with the kq lock held. */
    private void runCallouts(long now) {
        while (callouts.hasLive() && callouts.earliest() <= now) {
            long deadline = callouts.earliest();
            KnoteImpl kn = callouts.pop();
            Knote.Callout fn = kn.callout;
            kn.callout = null;
            try {
                fn.expire(kn, deadline);
            } catch (RuntimeException | Error e) {
                filterFault(kn, "callout", e);
            }
        }
        if (timerfdArmed <= now) {
            timerfdArmed = Long.MAX_VALUE;
        }
        armTimerfd();
    }

    private void scheduleSweep(long when) {
        sweeper.callout = sweepCallout;
        callouts.schedule(sweeper, when);
    }

    /** The sweeper's callout: the next scan sweeps; periodic while the fd table has knotes. */
    private void sweepExpired(Knote kn, long deadline) {
        sweepDue = true;
        if (fdKnotes > 0) {
            scheduleSweep(deadline + SWEEP_PERIOD);
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
        sweepDue = false;
        MemorySegment stx = Libc.scratch();
        for (int fd = 0; fd < knlist.length; fd++) {
            if (knlist[fd] == null) {
                continue;
            }
            Channel channel = fdChannel[fd];
            if (channel != null) {
                if (!channel.isOpen()) {
                    dropChain(true, fd);
                }
                continue;
            }
            long dev = fdIdentity[2 * fd];
            long ino = fdIdentity[2 * fd + 1];
            unlock();
            boolean current = Stat.fstatx(fd, stx) == 0 && Stat.dev(stx) == dev && Stat.ino(stx) == ino;
            lock();
            if (!current && knlist[fd] != null && fdChannel[fd] == null && fdIdentity[2 * fd] == dev
                    && fdIdentity[2 * fd + 1] == ino) {
                dropChain(true, fd);   // unless registered afresh meanwhile
            }
        }
    }

    /** Keeps the timerfd armed at or before the earliest callout, so fd() turns readable in time. */
    private void armTimerfd() {
        if (callouts.hasLive() && callouts.earliest() < timerfdArmed) {
            long when = callouts.earliest();
            if (TimerFd.setAbsolute(tfd, when, timerScratch) == 0) {
                timerfdArmed = when;
            }
        }
    }

    // ---- descriptors in the epoll set ------------------------------------

    private static int epollInterest(int watch, boolean level) {
        int events = level ? 0 : Epoll.EPOLLET;
        if ((watch & Knote.WATCH_READ) != 0) {
            events |= Epoll.EPOLLIN | Epoll.EPOLLRDHUP;
        }
        if ((watch & Knote.WATCH_WRITE) != 0) {
            events |= Epoll.EPOLLOUT;
        }
        return events;
    }

    /**
     * Adds {@code kn} to its descriptor's registration, creating or widening
     * it (one epoll entry per descriptor: ADD once, then MOD). Edge-triggered:
     * the filters re-check the descriptor when they report, so a change only
     * needs to be seen once.
     */
    int watchFd(KnoteImpl kn, int fd, int interest) {
        for (;;) {
            FdWatch w = fdWatch(fd);
            w.knlist.lock.lock();   // serializes the changes to this registration
            try {
                lock();
                try {
                    if (fdWatches[fd] != w) {
                        continue;   // emptied and removed meanwhile
                    }
                    boolean level = mayBeLevel(w) && (kn.flags & (EV_CLEAR | EV_DISPATCH)) == 0;
                    int error = epollUpdate(fd, w, w.registered | interest, level, true);
                    if (error != 0) {
                        if (w.registered == 0) {
                            fdWatches[fd] = null;
                        }
                        return error;
                    }
                } finally {
                    unlock();
                }
                kn.watchInterest = interest;
                kn.fdWatch = w;
                w.knlist.addLocked(kn);
                return 0;
            } finally {
                w.knlist.lock.unlock();
            }
        }
    }

    /** The registration of {@code fd}, created empty if there is none. */
    private FdWatch fdWatch(int fd) {
        lock();
        try {
            if (fd >= fdWatches.length) {
                fdWatches = Arrays.copyOf(fdWatches, (fd / KQEXTENT + 1) * KQEXTENT);
            }
            FdWatch w = fdWatches[fd];
            if (w == null) {
                w = fdWatches[fd] = new FdWatch(fd);
            }
            return w;
        } finally {
            unlock();
        }
    }

    /** Counts one more knote needing {@code source}; its descriptor joins the epoll set with the first. */
    int watchSource(DescriptorSource source) {
        int fd = source.fd();
        for (;;) {
            FdWatch w = fdWatch(fd);
            w.knlist.lock.lock();
            try {
                lock();
                try {
                    if (fdWatches[fd] != w) {
                        continue;
                    }
                    if (w.sourceRefs == 0) {
                        int error = epollUpdate(fd, w, Knote.WATCH_READ, false, false);
                        if (error != 0) {
                            fdWatches[fd] = null;
                            return error;
                        }
                        w.source = source;
                    }
                    w.sourceRefs++;
                    return 0;
                } finally {
                    unlock();
                }
            } finally {
                w.knlist.lock.unlock();
            }
        }
    }

    void unwatchSource(DescriptorSource source) {
        FdWatch w;
        lock();
        try {
            int fd = source.fd();
            w = fd < fdWatches.length ? fdWatches[fd] : null;
            if (w == null || w.source != source) {
                return;
            }
        } finally {
            unlock();
        }
        w.knlist.lock.lock();
        try {
            lock();
            try {
                if (w.sourceRefs > 0 && --w.sourceRefs == 0) {
                    epollUpdate(w.fd, w, 0, false, false);
                    if (fdWatches[w.fd] == w) {
                        fdWatches[w.fd] = null;
                    }
                }
            } finally {
                unlock();
            }
        } finally {
            w.knlist.lock.unlock();
        }
    }

    void unwatchFd(KnoteImpl kn) {
        FdWatch w = kn.fdWatch;
        if (w == null) {
            return;
        }
        int fd = w.fd;
        w.knlist.lock.lock();
        try {
            if (kn.knlist == w.knlist) {
                w.knlist.removeLocked(kn, false);
            }
            kn.fdWatch = null;
            int union = w.knlist.watchInterest();
            lock();
            try {
                epollUpdate(fd, w, union, mayBeLevel(w), false);
                if (union == 0 && fdWatches[fd] == w) {
                    fdWatches[fd] = null;
                }
            } finally {
                unlock();
            }
        } finally {
            w.knlist.lock.unlock();
        }
    }

    /**
     * Brings epoll's entry for {@code fd} to {@code interest} (0 removes it),
     * level- or edge-triggered; with the kq lock held. An ADD or MOD makes
     * epoll report the descriptor's current readiness once; {@code report}
     * asks for that even when nothing changes.
     */
    private int epollUpdate(int fd, FdWatch w, int interest, boolean level, boolean report) {
        if (interest == 0) {
            if (w.registered != 0) {
                // may fail: a closed descriptor leaves the set by itself
                Epoll.ctl(epfd, Epoll.EPOLL_CTL_DEL, fd, 0, 0, ctlScratch);
                epollWatches--;
            }
            w.registered = 0;
            w.level = false;
            return 0;
        }
        if (interest == w.registered && level == w.level && !report) {
            return 0;
        }
        int rc;
        if (w.registered == 0) {
            rc = Epoll.ctl(epfd, Epoll.EPOLL_CTL_ADD, fd, epollInterest(interest, level), fd, ctlScratch);
            if (rc != 0 && Libc.errno() == Libc.EEXIST) {
                // an entry left by a closed file of the same number that is still open elsewhere (dup)
                rc = Epoll.ctl(epfd, Epoll.EPOLL_CTL_MOD, fd, epollInterest(interest, level), fd, ctlScratch);
            }
            if (rc == 0) {
                epollWatches++;
            }
        } else {
            rc = Epoll.ctl(epfd, Epoll.EPOLL_CTL_MOD, fd, epollInterest(interest, level), fd, ctlScratch);
            if (rc != 0 && Libc.errno() == Libc.ENOENT) {
                rc = Epoll.ctl(epfd, Epoll.EPOLL_CTL_ADD, fd, epollInterest(interest, level), fd, ctlScratch);
            }
        }
        if (rc != 0) {
            int errno = Libc.errno();
            return errno == Libc.EPERM ? Errno.EPERM.code() : errno == Libc.EBADF ? Errno.EBADF.code()
                    : Errno.ENOMEM.code();
        }
        w.registered = interest;
        w.level = level;
        return 0;
    }

    /**
     * Whether {@code w}'s entry may be level-triggered: every knote on it is
     * plain level, none was ever disabled or found not ready where epoll said
     * it was (edgeOnly), and the descriptor is a channel's from Fd.of.
     * (A raw number may be closed while a dup keeps its file open, leaving an
     * entry no epoll_ctl can reach; level-triggered, it would wake sleepers
     * for as long as that file is ready. A channel's file is closed by the
     * JDK, and held elsewhere only through native code.)
     * With the list and kq locks held.
     */
    private boolean mayBeLevel(FdWatch w) {
        return !w.edgeOnly && w.source == null && fdChannel.length > w.fd && fdChannel[w.fd] != null
                && w.knlist.allLevel();
    }

    /**
     * Edge-triggered from now on: epoll reported {@code w} ready (level-
     * triggered) but a filter measured it not ready (a low-water mark, an
     * empty datagram), or a knote on it was disabled; either way a sleeper
     * must not spin on it. With the list and kq locks held.
     */
    private void demoteToEdge(FdWatch w) {
        w.edgeOnly = true;
        epollUpdate(w.fd, w, w.registered, false, false);
    }

    // ---- nested kqueues (kqueue_kqfilter, filt_kqdetach, filt_kqueue) ----

    private static final FilterOps KQREAD_FILTOPS = new FilterOps() {
        @Override
        public boolean isFd() {
            return true;
        }

        @Override
        public int attach(Knote kn) {
            throw new IllegalStateException("kqread knotes are attached by kqueue_kqfilter");
        }

        @Override
        public void detach(Knote k) {
            KnoteImpl kn = (KnoteImpl) k;
            KqueueImpl inner = (KqueueImpl) kn.hook;
            inner.sel.remove(kn);
            if (kn.hookId != 0) {
                kn.kq.epollDelete(inner.epfd);
            }
        }

        @Override
        public boolean event(Knote k, long hint) {
            KnoteImpl kn = (KnoteImpl) k;
            kn.data = ((KqueueImpl) kn.hook).count;
            return kn.data > 0;
        }
    };

    /**
     * kqueue_kqfilter: {@code kn} (a knote of another kqueue) watches this
     * one. Its kqueue also puts our epoll fd in its epoll set, so that our
     * descriptors and timerfd wake it; where epoll refuses (a cycle, or too
     * deep a nesting) the watch still works for everything that happens in
     * the JVM.
     */
    int kqfilter(KnoteImpl kn) {
        if (kn.filter != KEvent.EVFILT_READ) {
            return Errno.EINVAL.code();
        }
        if (closing) {
            // under kq_global: a close that got this far drops its watchers after we are done, or already did
            return Errno.EBADF.code();
        }
        kn.status |= KN_KQUEUE;
        kn.fop = KQREAD_FILTOPS;
        kn.hook = this;
        kn.hookId = kn.kq.epollAdd(epfd, Epoll.EPOLLIN | Epoll.EPOLLET, NESTED | epfd) ? 1 : 0;
        sel.add(kn);
        return 0;
    }

    /** Attaches a file knote: what the descriptor is decides its filter ops (filt_fileattach). */
    static int fileAttach(KnoteImpl kn) {
        KqueueImpl target = KqRegistry.get((int) kn.ident);
        if (target != null) {
            return target.kqfilter(kn);
        }
        FilterOps ops = FilterTable.fileOps(kn.filter);
        if (ops == null) {
            return Errno.ENXIO.code();
        }
        kn.fop = ops;
        return ops.attach(kn);
    }

    private boolean epollAdd(int fd, int events, long data) {
        lock();
        try {
            if (Epoll.ctl(epfd, Epoll.EPOLL_CTL_ADD, fd, events, data, ctlScratch) != 0) {
                return false;
            }
            epollWatches++;
            return true;
        } finally {
            unlock();
        }
    }

    private void epollDelete(int fd) {
        lock();
        try {
            Epoll.ctl(epfd, Epoll.EPOLL_CTL_DEL, fd, 0, 0, ctlScratch);
            epollWatches--;
        } finally {
            unlock();
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
        interruptCond.signalAll();
        unlock(); // wakes a sleeper; each one leaving with EBADF wakes the next
        lock.lock();
        try {
            while (refcnt.get() > 1) {
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
            watcher.kq.fdclose(epfd);
        }
        drain();
        KqRegistry.remove(epfd, this);
        closeDescriptors();
        arena.close();
    }

    /** kqueue_drain: drops every knote, waiting for those in flux. */
    private void drain() {
        lock();
        try {
            for (int fd = 0; fd < knlist.length; fd++) {
                dropChain(true, fd);
            }
            for (int slot = 0; slot < knhash.length; slot++) {
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

    /** With the kq lock held: drops the knotes chained at {@code slot} of a table, waiting for those in flux. */
    private void dropChain(boolean fdTable, int slot) {
        for (;;) {
            KnoteImpl[] table = fdTable ? knlist : knhash;
            KnoteImpl kn = slot < table.length ? table[slot] : null;
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
        Libc.close(tfd);
        Libc.close(evfd);
        Libc.close(epfd);
    }

    // ---- errors --------------------------------------------------------

    private static KQueueException changeError(int error, KEventList kev, int i) {
        return new KQueueException(Errno.of(error), "change " + i + " (ident " + kev.ident(i) + ", filter "
                + kev.filter(i) + ", flags 0x" + Integer.toHexString(kev.flags(i)) + ") failed");
    }

    private static KQueueException nativeError(String call) {
        int errno = Libc.errno();
        Errno e;
        try {
            e = Errno.of(errno);
        } catch (IllegalArgumentException unknown) {
            e = Errno.EINVAL;
        }
        return new KQueueException(e, call + " failed (errno " + errno + ")");
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }

    @Override
    public String toString() {
        return "kqueue[fd=" + epfd + "]";
    }
}
