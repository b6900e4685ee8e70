package io.jkqueue.filters;

import io.jkqueue.spi.FilterOps;
import io.jkqueue.spi.Knote;

import static io.jkqueue.KEvent.EV_EOF;
import static io.jkqueue.KEvent.NOTE_FILE_POLL;
import static io.jkqueue.KEvent.NOTE_LOWAT;

/**
 * EVFILT_READ on a descriptor (filt_soread, filt_piperead, filt_vfsread):
 * data = bytes readable, or connections pending on a listening socket, or
 * bytes to end of file for a regular file; EV_EOF once the peer or the last
 * writer is gone.
 */
final class ReadFilter implements FilterOps {
    private static final long RELEVANT = Knote.HINT_READABLE | Knote.HINT_RDHUP | Knote.HINT_HUP | Knote.HINT_ERROR;

    @Override
    public boolean isFd() {
        return true;
    }

    @Override
    public int attach(Knote kn) {
        return Descriptor.attach(kn, Knote.WATCH_READ);
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
        long lowat = (kn.sfflags() & NOTE_LOWAT) != 0 && kn.sdata() > 0 ? kn.sdata() : 1;
        switch (d.kind) {
            case FILE -> {
                kn.setData(d.bytesToEof());
                return (kn.sfflags() & NOTE_FILE_POLL) != 0 || kn.data() > 0;
            }
            case SOCKET -> {
                if (d.listening) {
                    kn.setData(d.pendingConnections());
                    return kn.data() > 0;
                }
                kn.setData(d.bytesReadable());
                if (d.rdhup || d.hup) {
                    kn.setFlags(kn.flags() | EV_EOF);
                    kn.setFflags(d.soError);
                    return true;
                }
                return d.error || kn.data() >= lowat;
            }
            default -> {   // pipes, FIFOs, terminals
                kn.setData(d.bytesReadable());
                if (d.hup) {
                    kn.setFlags(kn.flags() | EV_EOF);
                    return true;
                }
                return kn.data() >= lowat;
            }
        }
    }
}
