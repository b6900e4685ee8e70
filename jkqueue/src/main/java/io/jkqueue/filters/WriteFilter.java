package io.jkqueue.filters;

import io.jkqueue.spi.FilterOps;
import io.jkqueue.spi.Knote;

import static io.jkqueue.KEvent.EV_EOF;

/**
 * EVFILT_WRITE on a descriptor (filt_sowrite, filt_pipewrite): data = space
 * in the send buffer or the pipe; EV_EOF once the reader is gone. A regular
 * file is always writable with data 0.
 */
final class WriteFilter implements FilterOps {
    private static final long RELEVANT = Knote.HINT_WRITABLE | Knote.HINT_HUP | Knote.HINT_ERROR;

    @Override
    public boolean isFd() {
        return true;
    }

    @Override
    public int attach(Knote kn) {
        return Descriptor.attach(kn, Knote.WATCH_WRITE);
    }

    @Override
    public void detach(Knote kn) {
        kn.unwatchFd();
    }

    @Override
    public boolean event(Knote kn, long hint) {
        Descriptor d = (Descriptor) kn.hook();
        int screened = d.screen(kn, hint, RELEVANT);
        if (screened != Descriptor.MEASURE) {
            return screened == Descriptor.READY;
        }
        long lowat = Descriptor.lowWaterMark(kn);
        switch (d.kind) {
            case SOCKET -> {
                if (d.listening) {
                    return false;
                }
                kn.setData(d.sendSpace());
                if (d.hup || d.error) {
                    kn.setFlags(kn.flags() | EV_EOF);
                    kn.setFflags(d.soError);
                    return true;
                }
                return kn.data() >= lowat;
            }
            case PIPE -> {
                kn.setData(d.pipeSpace());
                if ((d.error || d.hup) && d.otherEndStillGone()) {
                    kn.setFlags(kn.flags() | EV_EOF);
                    return true;
                }
                kn.setFlags(kn.flags() & ~EV_EOF);   // a FIFO's reader came back
                return kn.data() >= lowat;
            }
            default -> {   // regular files and character devices
                kn.setData(0);
                return true;
            }
        }
    }
}
