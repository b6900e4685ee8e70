package io.jkqueue.core;

import io.jkqueue.Errno;
import io.jkqueue.KEventList;
import io.jkqueue.KQueueException;
import io.jkqueue.linux.Epoll;
import io.jkqueue.linux.EventFd;
import io.jkqueue.linux.Libc;
import io.jkqueue.linux.LinuxErrno;
import io.jkqueue.linux.TimerFd;
import io.jkqueue.spi.DescriptorSource;
import io.jkqueue.spi.Knote;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

import static io.jkqueue.core.EpollSet.NESTED;
import static io.jkqueue.core.EpollSet.TOKEN_EVENTFD;
import static io.jkqueue.core.EpollSet.TOKEN_TIMERFD;

/**
 * How a thread in kqueue_scan sleeps and is woken (the seed's msleep on the
 * kq and kqueue_wakeup): it blocks in epoll_pwait2 on the kqueue's epoll set
 * without the kq lock, and is woken by an edge of the eventfd (written after
 * the waker drops the kq lock, see {@link KqueueImpl#unlock}), by the timerfd
 * armed to the earliest callout, by a watched descriptor, by a nested
 * kqueue, or by Thread.interrupt(). A virtual thread parks instead, and the
 * JVM's {@link VirtualPoller} unparks it when the epoll set has something;
 * it then looks without blocking. What epoll reports is turned into
 * activations here (harvest). Guarded by the kq lock.
 */
final class WaitPath {
    private static final System.Logger LOG = System.getLogger("io.jkqueue");
    private static final int WAIT_EVENTS = 256;

    private final KqueueImpl kq;
    private final EpollSet epoll;
    final int evfd;
    final int tfd;
    private final Condition interruptCond;

    private int sleepers;
    private int scanners;               // threads in kqueue_scan, asleep or not
    private int interrupts;             // interrupted sleepers that have not yet left epoll_wait
    private boolean eventfdSignalled;   // an eventfd edge is pending in the epoll set, or about to be written
    private volatile boolean exposed;   // fd() was handed out: something outside may poll the epoll fd
    private long timerfdArmed = Long.MAX_VALUE;
    private ScanContext freeContexts;
    private final List<Thread> virtualWaiters = new ArrayList<>();   // parked in kevent, first come first

    /** What one thread inside kevent needs: its scan marker and its epoll buffers. */
    static final class ScanContext {
        final KnoteImpl marker;
        final Epoll.Events events = new Epoll.Events(WAIT_EVENTS);
        final EpollSet.FdWatch[] ready = new EpollSet.FdWatch[WAIT_EVENTS];
        final long[] readyHints = new long[WAIT_EVENTS];
        boolean nested;   // the last harvest saw a nested kqueue's epoll descriptor
        long look;        // the number of the look whose reports are in events (EpollSet.looks)
        KEventList out;   // the scan's event list, null for a look outside a scan: Scan.handOff fills
        int room;         // its first entries, up to room, with reports it can take at once
        int handed;
        ScanContext next;

        ScanContext(KqueueImpl kq) {
            marker = new KnoteImpl(kq);
            marker.status = KnoteImpl.KN_MARKER;
        }
    }

    WaitPath(KqueueImpl kq, EpollSet epoll, int evfd, int tfd, Condition interruptCond) {
        this.kq = kq;
        this.epoll = epoll;
        this.evfd = evfd;
        this.tfd = tfd;
        this.interruptCond = interruptCond;
    }

    /** fd() was handed out: from now on the epoll fd must be readable exactly while events are queued. */
    void expose() {
        exposed = true;
    }

    boolean isExposed() {
        return exposed;
    }

    /** close(): threads waiting for an interrupted sleeper to leave, and parked virtual waiters, see the close. */
    void closing() {
        assert kq.ownsLock();
        interruptCond.signalAll();
        virtualWaiters.forEach(LockSupport::unpark);
    }

    /** From the virtual poller: the epoll set has something; each parked virtual waiter looks. */
    void unparkVirtualWaiters() {
        kq.lock();
        try {
            virtualWaiters.forEach(LockSupport::unpark);
        } finally {
            kq.unlock();
        }
    }

    /** Whether a thread is asleep in the scan (platform or virtual) or a poller holds fd(): the timerfd must wake them for callouts. */
    boolean hasWaiters() {
        return sleepers > 0 || !virtualWaiters.isEmpty() || exposed;
    }

    /** Threads asleep in epoll_wait (for tests). */
    int sleepers() {
        assert kq.ownsLock();
        return sleepers;
    }

    /** A thread enters kqueue_scan (kq lock held). */
    void scanEntered() {
        scanners++;
    }

    /** ... and leaves it: its own unlock then wakes a sleeper for what it left queued. */
    void scanLeft() {
        scanners--;
    }

    /** Whether a thread is in kqueue_scan: a close() waits for it to leave. */
    boolean scanning() {
        return scanners > 0;
    }

    /**
     * Whether a thread is in kqueue_scan awake: it takes what is queued, or
     * wakes a sleeper for what it leaves when it returns, so that waking one
     * now would only have two threads contend for the same events.
     */
    private boolean scannerAwake() {
        return scanners > sleepers + virtualWaiters.size();
    }

    /**
     * The wake decision of KQ_UNLOCK, with the kq lock held once: whether the
     * eventfd must be written once it is released. A sleeper must take the
     * queued events unless an awake scanner will (and must see the close);
     * an outside poller must see the epoll fd readable while events are
     * queued; an interrupted sleeper must wake, so whoever took the edge
     * meant for it passes it on.
     */
    boolean takeWakeup(int count, boolean closing) {
        assert kq.ownsLock();
        if (!eventfdSignalled && (interrupts > 0
                || closing && (sleepers > 0 || exposed)
                || count > 0 && (exposed || sleepers > 0 && !scannerAwake()))) {
            eventfdSignalled = true;
            return true;
        }
        return false;
    }

    /**
     * The other wake decision of KQ_UNLOCK: a parked virtual waiter to unpark
     * for what is queued unless an awake scanner will take it (one, as an
     * eventfd edge wakes one sleeper: if it leaves events queued, its own
     * unlock wakes the next), or null.
     */
    Thread virtualToWake(int count) {
        return count > 0 && !virtualWaiters.isEmpty() && !scannerAwake() ? virtualWaiters.get(0) : null;
    }

    /** kqueue_wakeup's write, without the kq lock. */
    void signal() {
        EventFd.signal(evfd);
    }

    /**
     * Whether a call that can answer without sleeping must still look at
     * epoll first: descriptors are watched (queued in-JVM events must not
     * starve them), or an outside poller needs the eventfd edge taken.
     */
    boolean mustLook() {
        return epoll.watchesDescriptors() || exposed && eventfdSignalled;
    }

    /** Whether an interrupted sleeper has not yet taken its wake-up (a thread must not sleep now). */
    boolean interruptPending() {
        return interrupts > 0;
    }

    /** A context for a scan into {@code out} (up to {@code room} events), or for a look outside a scan (null, 0). */
    ScanContext takeContext(KEventList out, int room) {
        assert kq.ownsLock();
        ScanContext ctx = freeContexts;
        if (ctx == null) {
            ctx = new ScanContext(kq);
        } else {
            freeContexts = ctx.next;
            ctx.next = null;
        }
        ctx.out = out;
        ctx.room = room;
        ctx.handed = 0;
        return ctx;
    }

    void putContext(ScanContext ctx) {
        assert kq.ownsLock();
        ctx.out = null;   // no reference to the caller's list while pooled
        ctx.next = freeContexts;
        freeContexts = ctx;
    }

    /**
     * Thread.interrupt() of a thread blocked in this kqueue, called in the
     * interrupting thread while the waiter (which holds a reference) is
     * blocked. An eventfd edge wakes whichever sleeper epoll picks: until the
     * interrupted one has left, each thread that takes the edge passes it on
     * (takeWakeup) and does not sleep again (awaitInterruptsTaken), so it
     * reaches the interrupted one.
     */
    void interruptSleeper() {
        kq.lock();
        interrupts++;
        kq.unlock();
    }

    /**
     * With the kq lock held once, instead of sleeping while an interrupted
     * sleeper has not taken its wake-up (sleeping now could take it instead):
     * waits until it has, the deadline passes, or the kqueue closes.
     */
    void awaitInterruptsTaken(long deadline) throws KQueueException {
        kq.unlock();   // passes on the edge this thread may have taken
        kq.lock();
        try {
            while (interrupts > 0 && kq.isOpen()) {
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

    /**
     * Called with the kq lock held once; returns with it held. Blocks in
     * epoll_pwait2 for up to {@code waitNanos} (0 = poll, negative = until
     * something happens) without the lock, then turns what the kernel
     * reported into activations. Thread.interrupt() wakes the block.
     */
    void waitForEvents(ScanContext ctx, long waitNanos) throws KQueueException {
        assert kq.ownsLock();
        if (waitNanos != 0) {
            kq.clock.arm(true);   // the earliest callout ends the sleep
        }
        if (waitNanos != 0 && Thread.currentThread().isVirtual() && parkVirtual(waitNanos)) {
            waitNanos = 0;   // unparked (or timed out): look without blocking
        }
        if (waitNanos == 0) {
            look(ctx);
            return;
        }
        sleepers++;
        if (waitNanos > 0 && waitNanos % 1_000_000 != 0 && !Epoll.nanosecondTimeouts()) {
            // epoll_wait rounds the timeout up to a millisecond: the timerfd ends it on time
            armTimerfd(System.nanoTime() + waitNanos);
        }
        kq.unlock();
        // entered without the kq lock: an interrupt calls interruptSleeper under the thread's interrupt lock
        InterruptibleWait interruptible = InterruptibleWait.current();
        boolean interrupted;
        int n;
        try {
            interruptible.enter(this);
            n = ctx.events.epollWait(epoll.epfd, waitNanos);
        } finally {
            interrupted = interruptible.leave();
        }
        int errno = n < 0 ? Libc.errno() : 0;
        pumpNested(ctx, n);
        kq.lock();
        sleepers--;
        if (interrupted && --interrupts == 0) {
            interruptCond.signalAll();
        }
        checkWait(n, errno);
        int ready = deliverHeld(ctx, harvest(ctx, n));
        if (ready > 0) {
            kq.unlock();
            deliverFdEvents(ctx, ready);
            kq.lock();
        }
    }

    /**
     * A look that cannot block (epoll_wait with a zero timeout returns at
     * once), so the kq lock is kept across it; dropped only to deliver what
     * it could not deliver with it held, and to let nested kqueues look.
     */
    private void look(ScanContext ctx) throws KQueueException {
        int n = ctx.events.epollWait(epoll.epfd, 0);
        checkWait(n, n < 0 ? Libc.errno() : 0);
        int ready = deliverHeld(ctx, harvest(ctx, n));
        if (ready > 0 || ctx.nested) {
            kq.unlock();
            if (ctx.nested) {
                pumpNested(ctx, n);
            }
            deliverFdEvents(ctx, ready);
            kq.lock();
        }
    }

    private static void checkWait(int n, int errno) throws KQueueException {
        if (n < 0 && errno != LinuxErrno.EINTR) {
            int code = LinuxErrno.toFreeBsd(errno);
            throw new KQueueException(code > 0 ? Errno.of(code) : Errno.EINVAL, "epoll_wait failed, errno " + errno);
        }
    }

    /**
     * A virtual thread's sleep, with the kq lock held once (released while
     * parked): it parks until something is queued (the queuing thread's
     * unlock unparks it), the virtual poller sees the epoll set readable
     * (the kernel has news: a descriptor, the timerfd, a source), the
     * timeout, close(), or Thread.interrupt(). False (nothing done) when
     * there is no poller: then it waits in the kernel.
     */
    private boolean parkVirtual(long waitNanos) {
        Thread me = Thread.currentThread();
        virtualWaiters.add(me);
        kq.unlock();
        try {
            if (!VirtualPoller.arm(epoll.epfd)) {
                return false;
            }
            if (waitNanos < 0) {
                LockSupport.park(this);
            } else {
                LockSupport.parkNanos(this, waitNanos);
            }
            return true;
        } finally {
            kq.lock();
            virtualWaiters.remove(me);
        }
    }

    /**
     * With the kq lock held: takes in what epoll reported for the eventfd and
     * the timerfd, runs due callouts, and collects the watched descriptors
     * that changed into {@code ctx.ready}; returns their count.
     */
    private int harvest(ScanContext ctx, int n) {
        assert kq.ownsLock();
        int ready = 0;
        boolean timerFired = false;
        ctx.nested = false;
        for (int i = 0; i < n; i++) {
            long data = ctx.events.data(i);
            if (data == TOKEN_EVENTFD) {
                eventfdSignalled = false;
            } else if (data == TOKEN_TIMERFD) {
                timerfdArmed = Long.MAX_VALUE;   // it fired: the next earliest callout must re-arm it
                timerFired = true;
            } else if ((data & NESTED) == 0) {
                EpollSet.FdWatch w = epoll.registration((int) data);
                if (w != null) {
                    ctx.ready[ready] = w;
                    ctx.readyHints[ready++] = fdHint(ctx.events.events(i));
                }
            } else {
                ctx.nested = true;
            }
        }
        kq.clock.run(timerFired);
        return ready;
    }

    /**
     * With the kq lock held: knote(hint) for each ready descriptor whose
     * knlist lock is free now (tryLock: the list lock comes before the kq
     * lock, so waiting for it here could deadlock); f_event runs with both
     * held, as knote() runs it. Keeps the rest (and the shared sources) in
     * {@code ctx.ready} for {@link #deliverFdEvents}; returns their count.
     */
    private int deliverHeld(ScanContext ctx, int ready) {
        epoll.reporting = ctx.look;
        int left = 0;
        for (int i = 0; i < ready; i++) {
            EpollSet.FdWatch w = ctx.ready[i];
            ReentrantLock listLock = w.knlist.lock;
            if (w.source == null && listLock.tryLock()) {
                try {
                    w.knlist.knoteKqLocked(ctx.readyHints[i], ctx);   // a descriptor's list: this kqueue's knotes only
                    epoll.reported(w);
                } finally {
                    listLock.unlock();
                }
                ctx.ready[i] = null;
            } else {
                ctx.ready[i] = null;
                ctx.ready[left] = w;
                ctx.readyHints[left++] = ctx.readyHints[i];
            }
        }
        return left;
    }

    /** knote(so_rcv/so_snd, hint) for each ready descriptor; without the kq lock (knlist lock, then kq lock). */
    private void deliverFdEvents(ScanContext ctx, int ready) {
        for (int i = 0; i < ready; i++) {
            EpollSet.FdWatch w = ctx.ready[i];
            ctx.ready[i] = null;
            DescriptorSource source = w.source;
            if (source == null) {
                w.knlist.lock.lock();
                try {
                    kq.lock();
                    try {
                        epoll.reporting = ctx.look;
                        w.knlist.knoteKqLocked(ctx.readyHints[i], ctx);   // a descriptor's list: this kqueue's knotes only
                        epoll.reported(w);
                    } finally {
                        kq.unlock();
                    }
                } finally {
                    w.knlist.lock.unlock();
                }
                continue;
            }
            try {
                source.drain();
            } catch (RuntimeException | Error e) {
                LOG.log(System.Logger.Level.ERROR, "event source on descriptor " + w.fd + " threw in drain", e);
            }
        }
    }

    /** The knote hint of an epoll report's events (poll's revents: the same bits). */
    static long fdHint(int events) {
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
            long data = ctx.events.data(i);
            if (data >= 0 && (data & NESTED) != 0) {
                KqueueImpl inner = KqRegistry.get((int) data);
                if (inner != null) {
                    inner.wait.pump();
                }
            }
        }
    }

    /**
     * A non-blocking look at this kqueue's epoll set and callouts, for a
     * kqueue watching this one: whatever fires is queued here, and the
     * watchers learn of it through kq_sel. Holds a reference like a kevent
     * call, so that close() waits for it to finish with the buffers.
     */
    private void pump() {
        if (!kq.acquireQuietly()) {
            return;
        }
        try {
            ScanContext ctx;
            int n;
            int ready;
            kq.lock();
            try {
                ctx = takeContext(null, 0);
                ctx.look = ++epoll.looks;
                n = ctx.events.epollWait(epoll.epfd, 0);
                ready = deliverHeld(ctx, harvest(ctx, n));
            } finally {
                kq.unlock();
            }
            deliverFdEvents(ctx, ready);
            pumpNested(ctx, n);
            kq.lock();
            putContext(ctx);
            kq.unlock();
        } finally {
            kq.release();
        }
    }

    /** Keeps the timerfd armed at or before {@code earliest} (a callout's deadline), so fd() turns readable in time. */
    void armTimerfd(long earliest) {
        assert kq.ownsLock();
        if (earliest < timerfdArmed && TimerFd.setAbsolute(tfd, earliest) == 0) {
            timerfdArmed = earliest;
        }
    }

    /** After the callouts due by {@code now} ran: a timerfd armed for them has fired. */
    void calloutsRan(long now) {
        if (timerfdArmed <= now) {
            timerfdArmed = Long.MAX_VALUE;
        }
    }
}
