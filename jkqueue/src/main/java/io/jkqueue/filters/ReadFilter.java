package io.jkqueue.filters;

import io.jkqueue.Errno;
import io.jkqueue.spi.FilterOps;
import io.jkqueue.spi.Knote;

import static io.jkqueue.KEvent.EV_DROP;
import static io.jkqueue.KEvent.EV_EOF;
import static io.jkqueue.KEvent.EV_ONESHOT;
import static io.jkqueue.KEvent.NOTE_FILE_POLL;
import static io.jkqueue.KEvent.NOTE_LOWAT;

/**
 * EVFILT_READ on a descriptor (filt_soread, filt_piperead, filt_vfsread):
 * data = bytes readable, or connections pending on a listening socket, or
 * bytes to end of file for a regular file; EV_EOF once the peer or the last
 * writer is gone.
 */
final class ReadFilter implements FilterOps {

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
        kn.setHook(d);
        if (d.kind == Descriptor.Kind.FILE) {
            return 0; // always ready as far as poll goes (filt_vfsread): nothing to watch
        }
        d.reportPending = true;
        return kn.watchFd(Knote.WATCH_READ);
    }

    @Override
    public void detach(Knote kn) {
        kn.unwatchFd();
    }

    @Override
    public boolean event(Knote kn, long hint) {
        Descriptor d = (Descriptor) kn.hook();
        if ((hint & Knote.HINT_FD) != 0) {
            d.note(hint);
            if ((hint & (Knote.HINT_READABLE | Knote.HINT_RDHUP | Knote.HINT_HUP | Knote.HINT_ERROR)) == 0) {
                return false;
            }
            if ((kn.flags() & EV_ONESHOT) == 0) {
                return true; // the scan measures it before handing it out
            }
            d.reportPending = false; // a oneshot is handed out as it is now: measure it here
        } else if (d.reportPending) {
            // right after attach: epoll's report of the current state will activate the knote,
            // and a second activation now could hand an EV_CLEAR knote out twice
            d.reportPending = false;
            return false;
        }
        if (!d.isCurrent()) {
            kn.setFlags(kn.flags() | EV_DROP); // closed: knote_fdclose
            return false;
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
