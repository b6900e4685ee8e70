package io.jkqueue.core;

import io.jkqueue.Errno;
import io.jkqueue.KEventList;
import io.jkqueue.spi.DescriptorSource;
import io.jkqueue.spi.FilterOps;
import io.jkqueue.spi.Knote;

import java.nio.channels.Channel;

/**
 * struct knote. The kevent fields are what a filter sees through
 * {@link Knote}; status, influx and the links belong to the core. A
 * descriptor filter's knote is an {@link FdKnote}, which alone carries the
 * descriptor's channel and epoll registration: a knote of any other filter
 * is 128 bytes. A timer waiting for its callout, of which a program may hold
 * millions, is not an object at all but a row of {@link TimerRows}.
 *
 * <h2>Locks</h2>
 * Guarded by the kq lock ({@link KqueueImpl#lock}): kn_status, kn_influx,
 * kn_tqe (the queue), kn_link (the tables), the callout. Guarded by the
 * knlist lock: kn_selnext (the list). The order, outermost first:
 * <ol>
 * <li>a thread's interrupt lock (Thread.interrupt() runs the wait path's
 *     interrupt hook under it), the filters' own monitors (the signal table,
 *     the inotify source, the process registry, the filter table), never
 *     taken while holding any lock below;</li>
 * <li>kq_global ({@link KqueueImpl#KQ_GLOBAL}: the lock of every kq_sel
 *     knlist), before any kq lock;</li>
 * <li>a knlist lock (an event source's, or a descriptor registration's);</li>
 * <li>the kq lock: nothing is taken while holding it but the locks of
 *     kqueues watching this one, after it is released ({@link KqueueImpl#unlock}).</li>
 * </ol>
 *
 * <h2>In flux</h2>
 * A knote is in flux (kn_influx &gt; 0) while a thread works on it without
 * the kq lock: attach, detach, f_event from register or scan, touch, drop.
 * Nobody else changes it meanwhile: register and drain wait for it to leave
 * flux (msleep "kqflxwt"), scan waits at it, and knote() skips it unless the
 * scan that holds it also holds its list lock (KN_SCAN) and will re-check it.
 * A system timer is attached and dropped in flux too, but with the kq lock
 * held throughout ({@link KqueueImpl#opsRunLocked}): nobody sees it in flux.
 */
public sealed class KnoteImpl implements Knote permits FdKnote {
    private static final System.Logger LOG = System.getLogger("io.jkqueue");

    // kn_status bits, as sys/event.h
    static final int KN_ACTIVE = 0x01;   // event has been triggered
    static final int KN_QUEUED = 0x02;   // event is on queue
    static final int KN_DISABLED = 0x04; // event is disabled
    static final int KN_DETACHED = 0x08; // knote is detached
    static final int KN_MARKER = 0x20;   // ignore this knote
    static final int KN_SCAN = 0x100;    // flux set in kqueue_scan()
    static final int KN_KEPT = 0x1000;   // jkqueue's: kept between two jobs of its source, as if deleted

    // kn_kevent
    long ident;
    short filter;            // a short, as in struct kevent
    int flags;
    int fflags;
    long data;
    Object udata;

    int sfflags;
    long sdata;
    Object hook;
    long hookId;

    int status;
    int influx;
    final KqueueImpl kq;
    FilterOps fop;
    KnListImpl knlist;

    KnoteImpl link;          // kn_link: the kq's fd table or hash chain
    KnoteImpl selNext;       // kn_selnext: the knlist
    KnoteImpl selPrev;
    KnoteImpl tqeNext;       // kn_tqe: the kq's event queue
    KnoteImpl tqePrev;

    Callout callout;
    long calloutTime;        // c_time: the pending callout's deadline
    boolean calloutPending;  // the callout heap's entry at calloutTime is live
    boolean calloutOnWheel;  // the callout waits on the callwheel instead
    KnoteImpl calloutNext;   // c_links: the callwheel bucket
    KnoteImpl calloutPrev;

    /**
     * A descriptor filter's hook whose data a scan may leave to be measured
     * when the program reads it ({@code KEventList.data(i)}), instead of with
     * a syscall per event handed out.
     */
    public interface LazyData {
        /**
         * With the knote in flux (so that no f_event runs on it), for a
         * knote that epoll has just reported ready (or, for an enable, that
         * a poll will look at): whether it is ready for certain once
         * reported, and its data the only thing left to measure (no
         * low-water mark, no end of file or error to report, the descriptor
         * still open).
         *
         * @param kn the knote
         * @return true if its data may be measured later
         */
        boolean deferData(Knote kn);

        /**
         * Measures the data of a {@code filter} event on the descriptor now;
         * 0 once the descriptor is closed.
         *
         * @param filter EVFILT_READ or EVFILT_WRITE
         * @return the data
         */
        long measureData(int filter);
    }

    /** How the scan marks a KEventList entry's data as not yet measured: KEventList's package-private defer. */
    public interface DeferredEntries {
        /**
         * Marks entry {@code i} of {@code list}, just copied out, to be measured by {@code m} on first read.
         *
         * @param list the event list
         * @param i    the entry
         * @param m    its measurement
         */
        void defer(KEventList list, int i, LazyData m);
    }

    private static DeferredEntries deferredEntries;

    /**
     * Set once, by KEventList's class initialization (which precedes any scan into a list).
     *
     * @param access KEventList's defer
     */
    public static void setDeferredEntries(DeferredEntries access) {
        deferredEntries = access;
    }

    /** Copies this knote out to entry {@code i} with its data left to {@code m}. */
    void copyOutDeferred(KEventList kev, int i, LazyData m) {
        kev.set(i, ident, filter, flags, fflags, 0, udata);
        deferredEntries.defer(kev, i, m);
    }

    KnoteImpl(KqueueImpl kq) {
        this.kq = kq;
    }

    boolean inFlux() {
        return influx > 0;
    }

    /** kn_enter_flux. */
    void enterFlux() {
        assert kq.ownsLock();
        influx++;
    }

    /** kn_leave_flux. */
    void leaveFlux() {
        assert kq.ownsLock() && influx > 0 : this;
        influx--;
    }

    // ---- the filter's functions: a throwing filter must not corrupt the kqueue

    /** f_attach; an errno kevent cannot report counts as a fault. */
    int attachFilter() {
        int error;
        try {
            error = fop.attach(this);
        } catch (RuntimeException | Error e) {
            filterFault(this, "attach", e);
            return Errno.EINVAL.code();
        }
        try {
            return error == 0 ? 0 : Errno.of(error).code();
        } catch (IllegalArgumentException e) {
            filterFault(this, "attach", e);   // as if it had thrown
            return Errno.EINVAL.code();
        }
    }

    /** f_detach; a knote the filter left on a list is taken off it. */
    void detachFilter() {
        try {
            fop.detach(this);
        } catch (RuntimeException | Error e) {
            filterFault(this, "detach", e);
        }
        KnListImpl knl = knlist;
        if (knl != null) {
            knl.remove(this); // the filter forgot (or failed) to: never leave a freed knote on a list
        }
    }

    /** f_event; a throw is "no event". An epoll report that activates the knote is stamped with the look it came from. */
    boolean event(long hint) {
        try {
            boolean fired = fop.event(this, hint);
            if (fired && (hint & HINT_FD) != 0 && this instanceof FdKnote fk) {
                fk.stampReport();
            }
            return fired;
        } catch (RuntimeException | Error e) {
            filterFault(this, "event", e);
            return false;
        }
    }

    /** f_touch; false if it threw. */
    boolean touch(KEventList kev, int i, int type) {
        try {
            fop.touch(this, kev, i, type);
            return true;
        } catch (RuntimeException | Error e) {
            filterFault(this, "touch", e);
            return false;
        }
    }

    static void filterFault(KnoteImpl kn, String op, Throwable e) {
        LOG.log(System.Logger.Level.ERROR, "filter " + kn.filter + " threw in " + op + " for ident " + kn.ident, e);
    }

    /**
     * Keeps {@code k}, a knote whose source will fire it again (an
     * EVFILT_AIO knote between two jobs of its cb), as if deleted: changes
     * from a change list do not find it, and it holds no udata. Waits until
     * no scan holds it.
     */
    public static void keep(Knote k) {
        setKept((KnoteImpl) k, true, null);
    }

    /** Takes a knote kept by {@link #keep} back into use with {@code udata}. */
    public static void unkeep(Knote k, Object udata) {
        setKept((KnoteImpl) k, false, udata);
    }

    private static void setKept(KnoteImpl kn, boolean kept, Object udata) {
        KqueueImpl kq = kn.kq;
        kq.lock();
        try {
            while (kn.inFlux()) {
                kq.awaitFluxLocked();
            }
            kn.status = kept ? kn.status | KN_KEPT : kn.status & ~KN_KEPT;
            kn.udata = udata;
        } finally {
            kq.unlock();
        }
    }

    // ---- what a filter sees

    @Override public long ident() { return ident; }
    @Override public int filter() { return filter; }
    @Override public int flags() { return flags; }
    @Override public void setFlags(int flags) { this.flags = flags; }
    @Override public int fflags() { return fflags; }
    @Override public void setFflags(int fflags) { this.fflags = fflags; }
    @Override public long data() { return data; }
    @Override public void setData(long data) { this.data = data; }
    @Override public Object udata() { return udata; }
    @Override public int sfflags() { return sfflags; }
    @Override public void setSfflags(int sfflags) { this.sfflags = sfflags; }
    @Override public long sdata() { return sdata; }
    @Override public void setSdata(long sdata) { this.sdata = sdata; }
    @Override public Channel channel() { return null; }
    @Override public Object hook() { return hook; }
    @Override public void setHook(Object hook) { this.hook = hook; }
    @Override public long hookId() { return hookId; }
    @Override public void setHookId(long hookId) { this.hookId = hookId; }

    @Override
    public void copyOut(KEventList kev, int i) {
        kev.set(i, ident, filter, flags, fflags, data, udata);
    }

    @Override
    public void activate() {
        if (kq.ownsLock()) {
            kq.activateLocked(this);   // a callout, or f_event under knote(): no reentrant lock and unlock
        } else {
            kq.activate(this);
        }
    }

    @Override
    public void deactivate() {
        if (kq.ownsLock()) {
            kq.deactivateLocked(this);   // a timer's touch on re-add, under the kq lock
        } else {
            kq.deactivate(this);
        }
    }

    @Override
    public void markAttached() {
        if (kq.ownsLock()) {
            status &= ~KN_DETACHED;   // a timer attached under the kq lock (KqueueImpl.opsRunLocked)
        } else {
            kq.setDetached(this, false);
        }
    }

    @Override
    public void markDetached() {
        if (kq.ownsLock()) {
            status |= KN_DETACHED;   // a timer dropped under the kq lock
        } else {
            kq.setDetached(this, true);
        }
    }

    /** Only a descriptor filter's knote (an {@link FdKnote}) has a descriptor to watch. */
    @Override
    public int watchFd(int interest) {
        return Errno.EINVAL.code();
    }

    @Override
    public void unwatchFd() {
    }

    @Override
    public int watchSource(DescriptorSource source) {
        return kq.epoll.watchSource(source);
    }

    @Override
    public void unwatchSource(DescriptorSource source) {
        kq.epoll.unwatchSource(source);
    }

    @Override
    public long uptime() {
        return Register.COPYIN.get().uptime();
    }

    @Override
    public void calloutReset(long whenNanos, Callout fn) {
        if (kq.ownsLock()) {
            kq.clock.schedule(this, whenNanos, fn);   // a callout re-arming itself, a timer attached under the kq lock
        } else {
            kq.calloutReset(this, whenNanos, fn);
        }
    }

    @Override
    public void calloutStop() {
        if (kq.ownsLock()) {
            kq.clock.stop(this);   // a timer's touch or drop under the kq lock
        } else {
            kq.calloutStop(this);
        }
    }

    @Override
    public String toString() {
        return "knote[ident=" + ident + " filter=" + filter + " flags=0x" + Integer.toHexString(flags)
                + " status=0x" + Integer.toHexString(status) + " influx=" + influx + "]";
    }
}
