package io.jkqueue.filters;

import io.jkqueue.Errno;
import io.jkqueue.spi.FilterOps;
import io.jkqueue.spi.Knote;

import static io.jkqueue.KEvent.EV_DROP;
import static io.jkqueue.KEvent.EV_ONESHOT;

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
        Descriptor d = Descriptor.of((int) kn.ident());
        if (d == null) {
            return Errno.EBADF.code();
        }
        if (d.kind != Descriptor.Kind.SOCKET) {
            return Errno.EINVAL.code();
        }
        kn.setHook(d);
        return kn.watchFd(Knote.WATCH_WRITE);
    }

    @Override
    public void detach(Knote kn) {
        kn.calloutStop();
        kn.unwatchFd();
    }

    @Override
    public boolean event(Knote kn, long hint) {
        Descriptor d = (Descriptor) kn.hook();
        if ((hint & Knote.HINT_FD) != 0) {
            d.note(hint);
            if ((kn.flags() & EV_ONESHOT) == 0) {
                return true; // the scan re-checks it before handing it out
            }
        }
        if (!d.isCurrent()) {
            kn.setFlags(kn.flags() | EV_DROP);
            return false;
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
