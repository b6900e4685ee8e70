package io.jkqueue.filters;

import io.jkqueue.Errno;
import io.jkqueue.spi.FilterOps;
import io.jkqueue.spi.Knote;

/**
 * EVFILT_EMPTY on a socket (filt_soempty): fires when everything written has
 * left the send buffer. In FreeBSD each acknowledgement that frees send
 * buffer space runs the filter; Linux wakes a TCP socket's pollers on an
 * acknowledgement only if the buffer had been full. So a knote on a TCP
 * socket looks for itself on a callout, as long as it lives: every
 * {@link #RECHECK_MIN} while bytes are in flight, backing off to
 * {@link #RECHECK_MAX} while the socket is idle; a drain is the buffer found
 * empty with more bytes acknowledged (tcpi_bytes_acked) than when the knote
 * last fired, so a write and its acknowledgement between two looks are not
 * missed. Other sockets re-check at {@link #RECHECK_MIN} only while bytes
 * remain (their pollers are woken as the buffer drains).
 */
final class EmptyFilter implements FilterOps {
    static final long RECHECK_MIN = 100_000L;
    static final long RECHECK_MAX = 20_000_000L;
    private static final Knote.Callout RECHECK = EmptyFilter::recheck;

    @Override
    public boolean isFd() {
        return true;
    }

    @Override
    public int attach(Knote kn) {
        int error = Descriptor.attach(kn, Knote.WATCH_WRITE);
        if (error != 0) {
            return error;
        }
        Descriptor d = (Descriptor) kn.hook();
        if (d.kind != Descriptor.Kind.SOCKET) {
            kn.unwatchFd();
            return Errno.EINVAL.code();
        }
        if (d.tcp) {
            kn.calloutReset(System.nanoTime() + RECHECK_MIN, RECHECK);
        }
        return 0;
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
            if (d.tcp) {
                d.ackedWhenEmpty = d.bytesAcked();
            }
            kn.setData(0);
            return true;
        }
        d.emptyRecheck = RECHECK_MIN;
        kn.calloutReset(System.nanoTime() + RECHECK_MIN, RECHECK);
        return false;
    }

    /** The callout, with the kq locked: activates the knote on a drain, and schedules the next look. */
    private static void recheck(Knote kn, long deadline) {
        Descriptor d = (Descriptor) kn.hook();
        int unsent = d.bytesUnsent();
        if (unsent < 0) {
            if (!d.isCurrent()) {
                kn.activate();   // closed: the scan's f_event drops the knote
                return;
            }
            d.emptyRecheck = RECHECK_MAX;   // a socket that cannot say (a listening one) never drains
        } else if (unsent == 0 && (!d.tcp || d.bytesAcked() != d.ackedWhenEmpty)) {
            kn.activate();   // drained: f_event measures it again in the scan
            d.emptyRecheck = RECHECK_MIN;
        } else if (unsent != 0) {
            d.emptyRecheck = RECHECK_MIN;
        } else {
            d.emptyRecheck = Math.min(2 * d.emptyRecheck, RECHECK_MAX);
        }
        if (d.tcp || unsent > 0) {
            kn.calloutReset(System.nanoTime() + d.emptyRecheck, RECHECK);
        }
    }
}
