package io.jkqueue.filters;

import io.jkqueue.Errno;
import io.jkqueue.spi.FilterOps;
import io.jkqueue.spi.Knote;

import static io.jkqueue.KEvent.EV_DROP;
import static io.jkqueue.KEvent.EV_EOF;
import static io.jkqueue.KEvent.EV_ONESHOT;
import static io.jkqueue.KEvent.NOTE_LOWAT;

/**
 * EVFILT_WRITE on a descriptor (filt_sowrite, filt_pipewrite): data = space
 * in the send buffer or the pipe; EV_EOF once the reader is gone. A regular
 * file is always writable with data 0.
 */
final class WriteFilter implements FilterOps {

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
            return 0;
        }
        d.reportPending = true;
        return kn.watchFd(Knote.WATCH_WRITE);
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
            if ((hint & (Knote.HINT_WRITABLE | Knote.HINT_HUP | Knote.HINT_ERROR)) == 0) {
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
            kn.setFlags(kn.flags() | EV_DROP);
            return false;
        }
        long lowat = (kn.sfflags() & NOTE_LOWAT) != 0 && kn.sdata() > 0 ? kn.sdata() : 1;
        switch (d.kind) {
            case FILE -> {
                kn.setData(0);
                return true;
            }
            case SOCKET -> {
                if (d.listening) {
                    return false;
                }
                int unsent = d.bytesUnsent();
                kn.setData(unsent < 0 ? 0 : Math.max(d.sndbuf - unsent, 0));
                if (d.hup || d.error) {
                    kn.setFlags(kn.flags() | EV_EOF);
                    kn.setFflags(d.soError);
                    return true;
                }
                return kn.data() >= lowat;
            }
            case PIPE -> {
                kn.setData(d.pipeSpace());
                if (d.error || d.hup) {
                    kn.setFlags(kn.flags() | EV_EOF);
                    return true;
                }
                return kn.data() >= lowat;
            }
            default -> {
                kn.setData(0);
                return true;
            }
        }
    }
}
