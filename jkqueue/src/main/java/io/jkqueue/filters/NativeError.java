package io.jkqueue.filters;

import io.jkqueue.Errno;
import io.jkqueue.linux.Libc;
import io.jkqueue.linux.LinuxErrno;

/** The errno of the Linux call that just failed, in kevent's terms; which errno to answer stays each filter's choice. */
final class NativeError {
    private NativeError() {}

    /** FreeBSD's name for the last failed call's errno; null when kevent has none for it. */
    static Errno last() {
        int code = LinuxErrno.toFreeBsd(Libc.errno());
        try {
            return Errno.of(code);
        } catch (IllegalArgumentException unreported) {
            return null;
        }
    }
}
