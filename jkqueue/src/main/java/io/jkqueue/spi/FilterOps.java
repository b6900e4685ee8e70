package io.jkqueue.spi;

import io.jkqueue.KEventList;

/**
 * A filter: FreeBSD's {@code struct filterops}. The core calls these with the
 * knote in flux, so they run one at a time for one knote. {@link #event} and
 * {@link #touch} may run with the knote's kqueue locked (always so for a knote
 * on no knlist): they must not block, and may take no lock that is taken
 * before a kqueue's (a knlist's, for instance).
 */
public interface FilterOps {
    /** touch() type: a change for an existing knote (EVENT_REGISTER). */
    int EVENT_REGISTER = 1;
    /** touch() type: copying a fired knote out to the caller (EVENT_PROCESS). */
    int EVENT_PROCESS = 2;

    /**
     * f_isfd: ident is a descriptor; such knotes are dropped when it is closed.
     *
     * @return whether idents are descriptors
     */
    boolean isFd();

    /**
     * f_attach: binds the knote to its event source.
     *
     * @param kn the knote being added
     * @return 0, or an errno code (FreeBSD's number) that fails the change
     */
    int attach(Knote kn);

    /**
     * f_detach: unbinds the knote; called once for an attached knote before it is freed.
     *
     * @param kn the knote going away
     */
    void detach(Knote kn);

    /**
     * f_event: whether the knote's condition holds, updating data/fflags.
     *
     * @param kn   the knote
     * @param hint what {@link KnList#knote(long)} was given; 0 when the core asks (at attach, at a scan)
     * @return whether the knote fires
     */
    boolean event(Knote kn, long hint);

    /**
     * Whether this filter implements {@link #touch} (f_touch != NULL).
     *
     * @return false unless overridden
     */
    default boolean hasTouch() {
        return false;
    }

    /**
     * f_touch. EVENT_REGISTER: apply change {@code i} of {@code kev} to the knote.
     * EVENT_PROCESS: write the event to report into entry {@code i} of {@code kev}
     * (see {@link Knote#copyOut}) and reset what EV_CLEAR resets.
     *
     * @param kn   the knote
     * @param kev  the change list (EVENT_REGISTER) or event list (EVENT_PROCESS)
     * @param i    the entry in {@code kev}
     * @param type {@link #EVENT_REGISTER} or {@link #EVENT_PROCESS}
     */
    default void touch(Knote kn, KEventList kev, int i, int type) {
        throw new UnsupportedOperationException("no touch");
    }
}
