package io.jkqueue.spi;

import io.jkqueue.KEventList;

/**
 * What a filter sees of a knote: its kevent fields (kn_kevent), the saved
 * fflags/data of the last change (kn_sfflags, kn_sdata), two slots for the
 * filter's own state (kn_hook, kn_hookid), and the calls a filter makes on a
 * knote in FreeBSD (KNOTE_ACTIVATE, callouts).
 */
public interface Knote {
    /** {@link #watchFd} interest: the descriptor turning readable (or its peer shutting down). */
    int WATCH_READ = 1;
    /** {@link #watchFd} interest: the descriptor turning writable. */
    int WATCH_WRITE = 2;

    /** knote() hint bit: the hint reports descriptor readiness; the bits below say what. */
    long HINT_FD = 1L << 62;
    /** With {@link #HINT_FD}: the descriptor is readable. */
    long HINT_READABLE = 0x01;
    /** With {@link #HINT_FD}: the descriptor is writable. */
    long HINT_WRITABLE = 0x02;
    /** Peer shut down writing: reads will reach end of file. */
    long HINT_RDHUP = 0x04;
    /** Hang-up: both directions are gone (for a pipe's read end, the last writer closed). */
    long HINT_HUP = 0x08;
    /** An error is pending on the descriptor (for a pipe's write end, the reader is gone). */
    long HINT_ERROR = 0x10;

    /**
     * kn_id: what the knote watches.
     *
     * @return its ident
     */
    long ident();

    /**
     * kn_filter.
     *
     * @return its filter's number
     */
    int filter();

    /**
     * kn_flags: the {@code EV_*} flags it was added with, and those a filter sets to report (EV_EOF).
     *
     * @return its flags
     */
    int flags();

    /**
     * Sets kn_flags; a filter sets or clears EV_EOF (and EV_ONESHOT at its end).
     *
     * @param flags the new flags
     */
    void setFlags(int flags);

    /**
     * kn_fflags: what the knote will report in fflags.
     *
     * @return its fflags
     */
    int fflags();

    /**
     * Sets kn_fflags, the fflags to report.
     *
     * @param fflags the new fflags
     */
    void setFflags(int fflags);

    /**
     * kn_data: what the knote will report in data.
     *
     * @return its data
     */
    long data();

    /**
     * Sets kn_data, the data to report.
     *
     * @param data the new data
     */
    void setData(long data);

    /**
     * kn_udata: the object given with the change, returned with each event.
     *
     * @return its udata
     */
    Object udata();

    /**
     * kn_sfflags: fflags of the change that added or last touched the knote.
     *
     * @return those fflags
     */
    int sfflags();

    /**
     * Sets kn_sfflags, from a filter's touch.
     *
     * @param sfflags the fflags to keep
     */
    void setSfflags(int sfflags);

    /**
     * kn_sdata: data of the change that added or last touched the knote.
     *
     * @return that data
     */
    long sdata();

    /**
     * Sets kn_sdata, from a filter's touch.
     *
     * @param sdata the data to keep
     */
    void setSdata(long sdata);

    /**
     * For a descriptor knote: the channel its number was handed out for by
     * {@code Fd.of}, as kevent found it when the knote was added (fget);
     * while that channel is open the number names its file. Null for a
     * number known only as a number, and for knotes of other filters.
     *
     * @return the channel, or null
     */
    java.nio.channels.Channel channel();

    /**
     * kn_hook: the filter's object for this knote.
     *
     * @return what the filter set, or null
     */
    Object hook();

    /**
     * Sets kn_hook.
     *
     * @param hook the filter's object for this knote
     */
    void setHook(Object hook);

    /**
     * kn_hookid: the filter's number for this knote.
     *
     * @return what the filter set, or 0
     */
    long hookId();

    /**
     * Sets kn_hookid.
     *
     * @param hookId the filter's number for this knote
     */
    void setHookId(long hookId);

    /**
     * *kev = kn->kn_kevent: writes this knote's kevent into entry {@code i} of {@code kev}.
     *
     * @param kev the event list
     * @param i   the entry to write
     */
    void copyOut(KEventList kev, int i);

    /** KNOTE_ACTIVATE: marks the knote active and queues it unless disabled or queued. */
    void activate();

    /**
     * Throws away an undelivered activation: dequeues the knote, clears
     * KN_ACTIVE (what filt_timertouch does under the kq lock).
     */
    void deactivate();

    /** For a filter with no knlist whose detach must still run: clears KN_DETACHED. */
    void markAttached();

    /** The counterpart of {@link #markAttached()}, from the filter's detach. */
    void markDetached();

    /**
     * Watches this knote's descriptor ({@link #ident()}) for {@code interest}
     * ({@link #WATCH_READ}, {@link #WATCH_WRITE}): each change of readiness
     * reaches {@link FilterOps#event} as a hint with {@link #HINT_FD} set,
     * starting with one report of the current readiness. The kqueue keeps one
     * registration per descriptor for all its knotes. Returns
     * 0 or an errno code (EPERM: the descriptor cannot be polled, e.g. a
     * regular file; EINVAL: the knote's filter is not a descriptor filter,
     * {@link FilterOps#isFd()}). For attach; undone by {@link #unwatchFd()} in detach.
     *
     * @param interest {@link #WATCH_READ}, {@link #WATCH_WRITE} or both
     * @return 0 or an errno code
     */
    int watchFd(int interest);

    /** Undoes {@link #watchFd}, in detach. */
    void unwatchFd();

    /**
     * Keeps {@code source}'s descriptor in this knote's kqueue's epoll set
     * while the knote lives, so that the kqueue drains the source when it has
     * news (a knote may need several sources). For attach; undone by
     * {@link #unwatchSource} in detach. Returns 0 or an errno code.
     *
     * @param source the shared source this knote hears from
     * @return 0 or an errno code
     */
    int watchSource(DescriptorSource source);

    /**
     * Undoes {@link #watchSource}, in detach.
     *
     * @param source the source given to watchSource
     */
    void unwatchSource(DescriptorSource source);

    /**
     * sbinuptime: the System.nanoTime() clock, read once per kevent change
     * list: the changes of one call that ask for it share the first read
     * (a relative timer's delay so counts from a moment within its kevent
     * call, never before it began); outside a change list, a fresh read.
     *
     * @return the time, on System.nanoTime()'s clock
     */
    long uptime();

    /**
     * callout_reset: runs {@code fn} once at System.nanoTime() time {@code whenNanos},
     * with this knote's kqueue locked; replaces a pending callout.
     *
     * @param whenNanos the System.nanoTime() at which to run
     * @param fn        what to run
     */
    void calloutReset(long whenNanos, Callout fn);

    /** callout_drain: cancels a pending callout; after it returns, the callout does not run. */
    void calloutStop();

    /**
     * A callout function: runs with the knote's kqueue locked and must not
     * block. {@code deadline} is the time it was scheduled for, so that a
     * periodic callout can reschedule without drift.
     */
    @FunctionalInterface
    interface Callout {
        /**
         * The callout has come due.
         *
         * @param kn       the knote it was set on
         * @param deadline the System.nanoTime() it was scheduled for
         */
        void expire(Knote kn, long deadline);
    }
}
