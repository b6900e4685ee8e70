package io.jkqueue;

import java.io.IOException;

/** A kqueue call failed with {@link #errno()}, as kevent(2) returns -1 and sets errno. */
public class KQueueException extends IOException {
    private static final long serialVersionUID = 1L;

    private final Errno errno;

    public KQueueException(Errno errno, String message) {
        super(errno + ": " + message);
        this.errno = errno;
    }

    public KQueueException(Errno errno, String message, Throwable cause) {
        super(errno + ": " + message, cause);
        this.errno = errno;
    }

    public Errno errno() {
        return errno;
    }
}
