package io.jkqueue.core;

import io.jkqueue.KEventList;
import io.jkqueue.spi.DescriptorSource;
import io.jkqueue.spi.FilterOps;
import io.jkqueue.spi.Knote;

/**
 * struct knote. The kevent fields are what a filter sees through
 * {@link Knote}; status, influx and the links belong to the core and are
 * guarded by the kqueue lock (kn_status, kn_influx, kn_tqe, kn_link) or by
 * the knlist lock (kn_selnext).
 */
public final class KnoteImpl implements Knote {
    // kn_status bits, as sys/event.h
    static final int KN_ACTIVE = 0x01;   // event has been triggered
    static final int KN_QUEUED = 0x02;   // event is on queue
    static final int KN_DISABLED = 0x04; // event is disabled
    static final int KN_DETACHED = 0x08; // knote is detached
    static final int KN_MARKER = 0x20;   // ignore this knote
    static final int KN_KQUEUE = 0x40;   // this knote belongs to a kq
    static final int KN_SCAN = 0x100;    // flux set in kqueue_scan()

    // kn_kevent
    long ident;
    int filter;
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
    boolean calloutPending;  // a callout heap entry with this generation is live
    int calloutGen;

    KqueueImpl.FdWatch fdWatch; // the descriptor registration this knote is on, if any
    int watchInterest;

    KnoteImpl(KqueueImpl kq) {
        this.kq = kq;
    }

    boolean inFlux() {
        return influx > 0;
    }

    // kn_enter_flux / kn_leave_flux: callers hold the kq lock
    void enterFlux() {
        influx++;
    }

    boolean leaveFlux() {
        return --influx == 0;
    }

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
        kq.activate(this);
    }

    @Override
    public void deactivate() {
        kq.deactivate(this);
    }

    @Override
    public void markAttached() {
        kq.setDetached(this, false);
    }

    @Override
    public void markDetached() {
        kq.setDetached(this, true);
    }

    @Override
    public int watchFd(int interest) {
        return kq.watchFd(this, (int) ident, interest);
    }

    @Override
    public int watchFd(int fd, int interest) {
        return kq.watchFd(this, fd, interest);
    }

    @Override
    public void unwatchFd() {
        kq.unwatchFd(this);
    }

    @Override
    public int watchSource(DescriptorSource source) {
        return kq.watchSource(source);
    }

    @Override
    public void unwatchSource(DescriptorSource source) {
        kq.unwatchSource(source);
    }

    @Override
    public void calloutReset(long whenNanos, Callout fn) {
        kq.calloutReset(this, whenNanos, fn);
    }

    @Override
    public void calloutStop() {
        kq.calloutStop(this);
    }

    @Override
    public String toString() {
        return "knote[ident=" + ident + " filter=" + filter + " flags=0x" + Integer.toHexString(flags)
                + " status=0x" + Integer.toHexString(status) + " influx=" + influx + "]";
    }
}
