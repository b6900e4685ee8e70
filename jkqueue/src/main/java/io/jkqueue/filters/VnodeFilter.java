package io.jkqueue.filters;

import io.jkqueue.Errno;
import io.jkqueue.linux.Stat;
import io.jkqueue.spi.FilterOps;
import io.jkqueue.spi.Knote;

import static io.jkqueue.KEvent.EV_CLEAR;
import static io.jkqueue.KEvent.EV_DROP;
import static io.jkqueue.KEvent.EV_EOF;
import static io.jkqueue.KEvent.NOTE_REVOKE;

/**
 * EVFILT_VNODE (filt_vfsattach, filt_vfsvnode) on an open file or directory:
 * fflags collects the subscribed NOTE_* that happened since the last report.
 * The events come from the JVM's shared inotify instance.
 */
final class VnodeFilter implements FilterOps {
    private static final InotifySource INOTIFY = InotifySource.JVM;

    @Override
    public boolean isFd() {
        return true;
    }

    @Override
    public int attach(Knote kn) {
        int fd = (int) kn.ident();
        Stat.Buffer stx = Stat.threadBuffer();
        if (!stx.fstatx(fd)) {
            return Errno.EBADF.code();
        }
        if (!isVnode(fd, stx.type())) {
            return Errno.EINVAL.code();
        }
        Acquired<InotifySource.Watch> watched = INOTIFY.watch(kn);
        if (watched.source() == null) {
            return watched.error();
        }
        InotifySource.Watch w = watched.source();
        int rc = kn.watchSource(INOTIFY);
        if (rc != 0) {
            INOTIFY.release(w);
            return rc;
        }
        kn.setHook(w);
        kn.setFlags(kn.flags() | EV_CLEAR);   // automatically set
        w.vnode.knlist.add(kn);
        return 0;
    }

    /**
     * Whether the descriptor is a file system's: sockets (soo_kqfilter),
     * anonymous pipes (pipe_kqfilter; a FIFO opened by path goes to the vnode
     * ops) and anonymous inodes (a kqueue's epoll, eventfd, timerfd, pidfd:
     * no file type) take only their own filters.
     */
    private static boolean isVnode(int fd, int fmt) {
        return switch (fmt) {
            case 0, Stat.S_IFSOCK -> false;
            case Stat.S_IFIFO -> Stat.fsType(fd) != Stat.PIPEFS_MAGIC;
            default -> true;
        };
    }

    @Override
    public void detach(Knote kn) {
        InotifySource.Watch w = (InotifySource.Watch) kn.hook();
        w.vnode.knlist.remove(kn);
        INOTIFY.release(w);
        kn.unwatchSource(INOTIFY);
    }

    /** filt_vfsvnode: the hint is the NOTE_* bits that happened. */
    @Override
    public boolean event(Knote kn, long hint) {
        InotifySource.Vnode v = ((InotifySource.Watch) kn.hook()).vnode;
        if (hint == 0 && v.stale && (kn.sfflags() & InotifySource.LOOK_NOTES) != 0) {
            INOTIFY.refresh(v);   // an EV_ADD gave the knote a note the snapshot must be current for
        }
        int notes = (int) hint & kn.sfflags();
        kn.setFflags(kn.fflags() | notes);
        boolean revoked = (hint & NOTE_REVOKE) != 0;
        if (!revoked && kn.fflags() == 0) {
            return false;
        }
        if (!((InotifySource.Watch) kn.hook()).isCurrent()) {
            // the descriptor was closed (its number may name another file now): knote_fdclose.
            // From knote() the knote is queued for the scan to drop; in the scan, false drops it
            kn.setFlags(kn.flags() | EV_DROP);
            return hint != 0;
        }
        if (revoked) {
            kn.setFlags(kn.flags() | EV_EOF);
        }
        return true;
    }
}
