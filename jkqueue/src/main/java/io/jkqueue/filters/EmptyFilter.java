package io.jkqueue.filters;

import io.jkqueue.Errno;
import io.jkqueue.spi.FilterOps;
import io.jkqueue.spi.Knote;

/**
 * EVFILT_EMPTY on a socket (filt_soempty): fires when everything written has
 * left the send buffer. Linux signals no edge when the buffer drains without
 * having been full, so while bytes remain the knote re-checks on a 1 ms
 * callout.
 */
final class EmptyFilter implements FilterOps {
    private static final long RECHECK_NANOS = 1_000_000L;
    private static final Knote.Callout RECHECK = EmptyFilter::recheck;

    @Override
    public boolean isFd() {
        return true;
    }

    @Override
    public int attach(Knote kn) {
        int error = Descriptor.attach(kn, Knote.WATCH_WRITE);
        if (error == 0 && ((Descriptor) kn.hook()).kind != Descriptor.Kind.SOCKET) {
            kn.unwatchFd();
            return Errno.EINVAL.code();
        }
        return error;
    }

    @Override
    public void detach(Knote kn) {
        kn.calloutStop();
        kn.unwatchFd();
    }

    @Override
    public boolean event(Knote kn, long hint) {
        Descriptor d = (Descriptor) kn.hook();
        int screened = d.screen(kn, hint, Knote.HINT_WRITABLE | Knote.HINT_HUP | Knote.HINT_ERROR);
        if (screened != Descriptor.MEASURE) {
            return screened == Descriptor.READY;
        }
        if (d.bytesUnsent() == 0) {
            kn.setData(0);
            return true;
        }
        kn.calloutReset(System.nanoTime() + RECHECK_NANOS, RECHECK);
        return false;
    }

    private static void recheck(Knote kn, long deadline) {
        if (((Descriptor) kn.hook()).bytesUnsent() == 0) {
            kn.activate();
        } else {
            kn.calloutReset(deadline + RECHECK_NANOS, RECHECK);
        }
    }
}
