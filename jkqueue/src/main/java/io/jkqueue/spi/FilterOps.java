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

    /** f_isfd: ident is a descriptor; such knotes are dropped when it is closed. */
    boolean isFd();

    /** f_attach: binds the knote to its event source; returns 0 or an errno code. */
    int attach(Knote kn);

    /** f_detach: unbinds the knote; called once for an attached knote before it is freed. */
    void detach(Knote kn);

    /** f_event: whether the knote's condition holds, updating data/fflags; {@code hint} comes from knote(). */
    boolean event(Knote kn, long hint);

    /** Whether this filter implements {@link #touch} (f_touch != NULL). */
    default boolean hasTouch() {
        return false;
    }

    /**
     * f_touch. EVENT_REGISTER: apply change {@code i} of {@code kev} to the knote.
     * EVENT_PROCESS: write the event to report into entry {@code i} of {@code kev}
     * (see {@link Knote#copyOut}) and reset what EV_CLEAR resets.
     */
    default void touch(Knote kn, KEventList kev, int i, int type) {
        throw new UnsupportedOperationException("no touch");
    }
}
