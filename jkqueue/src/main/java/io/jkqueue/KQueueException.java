package io.jkqueue;

import java.io.IOException;

/** A kqueue call failed with {@link #errno()}, as kevent(2) returns -1 and sets errno. */
public class KQueueException extends IOException {
    private static final long serialVersionUID = 1L;

    /** The errno of the failure. */
    private final Errno errno;

    /**
     * A failure with {@code errno}; the message reads {@code "EINVAL: " + message}.
     *
     * @param errno   FreeBSD's errno for the failure
     * @param message what failed, naming filters and flags as sys/event.h does
     */
    public KQueueException(Errno errno, String message) {
        super(errno + ": " + message);
        this.errno = errno;
    }

    /**
     * A failure with {@code errno} caused by {@code cause}.
     *
     * @param errno   FreeBSD's errno for the failure
     * @param message what failed
     * @param cause   the exception behind it
     */
    public KQueueException(Errno errno, String message, Throwable cause) {
        super(errno + ": " + message, cause);
        this.errno = errno;
    }

    /**
     * The errno kevent(2) would have set.
     *
     * @return the errno, with FreeBSD's number
     */
    public Errno errno() {
        return errno;
    }
}
