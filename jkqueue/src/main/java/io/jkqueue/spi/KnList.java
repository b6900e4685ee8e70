package io.jkqueue.spi;

import io.jkqueue.core.KnListImpl;

/**
 * An event source's list of knotes: FreeBSD's {@code struct knlist}. A filter
 * adds a knote in attach and removes it in detach; the source calls
 * {@link #knote(long)} when something happens.
 */
public interface KnList {
    /**
     * A list with its own lock.
     *
     * @return an empty list
     */
    static KnList create() {
        return new KnListImpl();
    }

    /**
     * knlist_add, from {@link FilterOps#attach}.
     *
     * @param kn the knote being attached
     */
    void add(Knote kn);

    /**
     * knlist_remove, from {@link FilterOps#detach}.
     *
     * @param kn a knote on this list
     */
    void remove(Knote kn);

    /**
     * knlist_empty.
     *
     * @return whether no knote is on the list
     */
    boolean isEmpty();

    /**
     * knote(list, hint): runs f_event(kn, hint) on every knote and activates those that fire.
     *
     * @param hint passed to {@link FilterOps#event}; what happened, in the filter's own terms
     */
    void knote(long hint);

    /**
     * knote_fork: the process this list belongs to forked {@code pid}; each
     * knote sees NOTE_FORK as a hint, and those with NOTE_TRACK get notes for
     * the child in their kqueue (NOTE_CHILD, and one that tracks it further).
     *
     * @param pid the child's pid
     */
    void knoteFork(int pid);

    /**
     * knlist_clear: detaches every knote and marks it EV_EOF|EV_ONESHOT, so
     * that it is deleted after its next report (as in the seed, a knote that
     * is not active is not activated: call {@link #knote} first to report
     * the end). For a source that goes away.
     */
    void clear();
}
