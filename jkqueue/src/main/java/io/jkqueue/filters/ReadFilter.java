package io.jkqueue.filters;

import io.jkqueue.spi.FilterOps;
import io.jkqueue.spi.Knote;

import static io.jkqueue.KEvent.EV_EOF;
import static io.jkqueue.KEvent.NOTE_FILE_POLL;

/**
 * EVFILT_READ on a descriptor (filt_soread, filt_piperead, filt_vfsread):
 * data = bytes readable, or connections pending on a listening socket, or
 * bytes to end of file for a regular file; EV_EOF once the peer or the last
 * writer is gone.
 */
final class ReadFilter implements FilterOps {
    private static final long RELEVANT = Knote.HINT_READABLE | Knote.HINT_RDHUP | Knote.HINT_HUP | Knote.HINT_ERROR;
    private static final InotifySource INOTIFY = InotifySource.JVM;

    @Override
    public boolean isFd() {
        return true;
    }

    @Override
    public int attach(Knote kn) {
        int error = Descriptor.attach(kn, Knote.WATCH_READ);
        if (error == 0 && ((Descriptor) kn.hook()).kind == Descriptor.Kind.FILE) {
            watchFile(kn, (Descriptor) kn.hook());
        }
        return error;
    }

    /**
     * A regular file turns readable again when it grows (FreeBSD's vnode
     * knlist hears every write): the shared inotify watch on it reports the
     * change. Best effort: a file inotify cannot watch is measured only when
     * the knote is.
     */
    private static void watchFile(Knote kn, Descriptor d) {
        InotifySource.Watch w = INOTIFY.watch(d.fd, kn.channel()).source();
        if (w == null) {
            return;
        }
        if (kn.watchSource(INOTIFY) != 0) {
            INOTIFY.release(w);
            return;
        }
        d.fileWatch = w;
        w.vnode.knlist.add(kn);
    }

    @Override
    public void detach(Knote kn) {
        Descriptor d = (Descriptor) kn.hook();
        if (d.fileWatch != null) {
            d.fileWatch.vnode.knlist.remove(kn);
            INOTIFY.release(d.fileWatch);
            kn.unwatchSource(INOTIFY);
            d.fileWatch = null;
        }
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
            default -> {   // pipes, FIFOs, character devices
                kn.setData(d.bytesReadable());
                if (d.hup && (d.kind != Descriptor.Kind.PIPE || d.otherEndStillGone())) {
                    kn.setFlags(kn.flags() | EV_EOF);
                    return true;
                }
                kn.setFlags(kn.flags() & ~EV_EOF);   // a FIFO's writer came back
                return kn.data() >= lowat;
            }
        }
    }
}
