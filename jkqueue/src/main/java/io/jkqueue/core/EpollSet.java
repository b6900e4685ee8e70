package io.jkqueue.core;

import io.jkqueue.Errno;
import io.jkqueue.linux.Epoll;
import io.jkqueue.linux.Libc;
import io.jkqueue.linux.LinuxErrno;
import io.jkqueue.spi.DescriptorSource;
import io.jkqueue.spi.Knote;

import java.util.Arrays;

import static io.jkqueue.KEvent.EV_CLEAR;

/**
 * A kqueue's epoll instance and what is registered in it besides the wait
 * path's own descriptors: one entry per watched descriptor ({@link FdWatch},
 * shared by the descriptor's knotes: the Linux stand-in for a socket's
 * so_rcv/so_snd selinfo), the descriptors of shared event sources, and the
 * epoll descriptors of nested kqueues. Changes run with the kq lock held.
 */
final class EpollSet {
    /** epoll_event.data of the wait path's descriptors; a nested kqueue is {@link #NESTED} | its fd. */
    static final long TOKEN_EVENTFD = -1L;
    static final long TOKEN_TIMERFD = -2L;
    static final long NESTED = 1L << 32;

    private static final int EXTENT = 256;

    private final KqueueImpl kq;
    final int epfd;
    private FdWatch[] byFd = new FdWatch[0];
    private int watched;   // entries besides the wait path's eventfd and timerfd
    // Numbers the looks at epoll (kq lock), each before it starts: a knote stamped with a look above
    // the count a scan began with was activated by a look that began during that call (any thread's),
    // so a knote left queued from an earlier call, or reported by a look that began before the call (a
    // sleeper woken before it), is measured again. Starts at 1: an unreported knote is 0.
    long looks = 1;
    long reporting;   // the look whose reports are being knoted (kq lock): what f_event stamps

    /**
     * One descriptor in the epoll set: the knotes watching it (the socket's
     * knlist in the seed, filled here by epoll) and the union of their
     * interests, which is what epoll has registered.
     */
    static final class FdWatch {
        final int fd;
        final KnListImpl knlist = new KnListImpl();
        int registered;
        // Level-triggered in epoll: no knote is EV_CLEAR, so epoll's re-report replaces the scan's
        // re-check. edgeOnly: a filter once disagreed with epoll, or epoll reported a disabled knote.
        boolean level;
        boolean edgeOnly;
        DescriptorSource source;   // set for a shared source's descriptor: drained, not knote()d
        int sourceRefs;            // knotes of this kqueue that need the source

        FdWatch(int fd) {
            this.fd = fd;
        }
    }

    EpollSet(KqueueImpl kq, int epfd) {
        this.kq = kq;
        this.epfd = epfd;
    }

    /** Whether descriptors besides the wait path's are in the set. */
    boolean watchesDescriptors() {
        return watched > 0;
    }

    /** The registration of {@code fd}, or null; for the wait path's harvest. */
    FdWatch registration(int fd) {
        assert kq.ownsLock();
        return fd < byFd.length ? byFd[fd] : null;
    }

    /**
     * Adds {@code kn} to the registration of {@code fd} for {@code interest},
     * creating or widening it (one epoll entry per descriptor: ADD once, then
     * MOD); epoll then reports the descriptor's current readiness once.
     */
    int watchFd(FdKnote kn, int fd, int interest) {
        for (;;) {
            FdWatch w = registrationOf(fd);
            w.knlist.lock.lock();   // serializes the changes to this registration
            try {
                kq.lock();
                try {
                    if (byFd[fd] != w) {
                        continue;   // emptied and removed meanwhile
                    }
                    boolean level = mayBeLevel(w) && (kn.flags & EV_CLEAR) == 0;
                    int error = update(w, w.registered | interest, level, true);
                    if (error != 0) {
                        if (w.registered == 0) {
                            byFd[fd] = null;
                        }
                        return error;
                    }
                } finally {
                    kq.unlock();
                }
                kn.watchInterest = interest;
                kn.fdWatch = w;
                w.knlist.addLocked(kn);
                return 0;
            } finally {
                w.knlist.lock.unlock();
            }
        }
    }

    void unwatchFd(FdKnote kn) {
        FdWatch w = kn.fdWatch;
        if (w == null) {
            return;
        }
        w.knlist.lock.lock();
        try {
            if (kn.knlist == w.knlist) {
                w.knlist.removeLocked(kn, false);
            }
            kn.fdWatch = null;
            int union = w.knlist.watchInterest();
            kq.lock();
            try {
                update(w, union, mayBeLevel(w), false);
                if (union == 0 && byFd[w.fd] == w) {
                    byFd[w.fd] = null;
                }
            } finally {
                kq.unlock();
            }
        } finally {
            w.knlist.lock.unlock();
        }
    }

    /** Counts one more knote needing {@code source}; its descriptor joins the epoll set with the first. */
    int watchSource(DescriptorSource source) {
        int fd = source.fd();
        for (;;) {
            FdWatch w = registrationOf(fd);
            w.knlist.lock.lock();
            try {
                kq.lock();
                try {
                    if (byFd[fd] != w) {
                        continue;
                    }
                    if (w.sourceRefs == 0) {
                        int error = update(w, Knote.WATCH_READ, false, false);
                        if (error != 0) {
                            byFd[fd] = null;
                            return error;
                        }
                        w.source = source;
                    }
                    w.sourceRefs++;
                    return 0;
                } finally {
                    kq.unlock();
                }
            } finally {
                w.knlist.lock.unlock();
            }
        }
    }

    void unwatchSource(DescriptorSource source) {
        FdWatch w;
        kq.lock();
        try {
            int fd = source.fd();
            w = fd < byFd.length ? byFd[fd] : null;
            if (w == null || w.source != source) {
                return;
            }
        } finally {
            kq.unlock();
        }
        w.knlist.lock.lock();
        try {
            kq.lock();
            try {
                if (w.sourceRefs > 0 && --w.sourceRefs == 0) {
                    update(w, 0, false, false);
                    if (byFd[w.fd] == w) {
                        byFd[w.fd] = null;
                    }
                }
            } finally {
                kq.unlock();
            }
        } finally {
            w.knlist.lock.unlock();
        }
    }

    /** The registration of {@code fd}, created empty if there is none. */
    private FdWatch registrationOf(int fd) {
        kq.lock();
        try {
            if (fd >= byFd.length) {
                byFd = Arrays.copyOf(byFd, (fd / EXTENT + 1) * EXTENT);
            }
            FdWatch w = byFd[fd];
            if (w == null) {
                w = byFd[fd] = new FdWatch(fd);
            }
            return w;
        } finally {
            kq.unlock();
        }
    }

    private static int interestEvents(int watch, boolean level) {
        int events = level ? 0 : Epoll.EPOLLET;
        if ((watch & Knote.WATCH_READ) != 0) {
            events |= Epoll.EPOLLIN | Epoll.EPOLLRDHUP;
        }
        if ((watch & Knote.WATCH_WRITE) != 0) {
            events |= Epoll.EPOLLOUT;
        }
        return events;
    }

    /**
     * Brings epoll's entry for {@code w} to {@code interest} (0 removes it),
     * level- or edge-triggered. An ADD or MOD makes epoll report the
     * descriptor's current readiness once; {@code report} asks for that even
     * when nothing changes.
     */
    private int update(FdWatch w, int interest, boolean level, boolean report) {
        assert kq.ownsLock();
        int fd = w.fd;
        if (interest == 0) {
            if (w.registered != 0) {
                // may fail: a closed descriptor leaves the set by itself
                Epoll.ctl(epfd, Epoll.EPOLL_CTL_DEL, fd, 0, 0);
                watched--;
            }
            w.registered = 0;
            w.level = false;
            return 0;
        }
        if (interest == w.registered && level == w.level && !report) {
            return 0;
        }
        int events = interestEvents(interest, level);
        int rc;
        if (w.registered == 0) {
            rc = Epoll.ctl(epfd, Epoll.EPOLL_CTL_ADD, fd, events, fd);
            if (rc != 0 && Libc.errno() == Libc.EEXIST) {
                // an entry left by a closed file of the same number that is still open elsewhere (dup)
                rc = Epoll.ctl(epfd, Epoll.EPOLL_CTL_MOD, fd, events, fd);
            }
            if (rc == 0) {
                watched++;
            }
        } else {
            rc = Epoll.ctl(epfd, Epoll.EPOLL_CTL_MOD, fd, events, fd);
            if (rc != 0 && Libc.errno() == Libc.ENOENT) {
                rc = Epoll.ctl(epfd, Epoll.EPOLL_CTL_ADD, fd, events, fd);
            }
        }
        if (rc != 0) {
            // EPERM: a descriptor epoll cannot watch; EBADF: closed meanwhile; ENOMEM, ENOSPC: no room
            int errno = Libc.errno();
            return errno == LinuxErrno.EPERM || errno == LinuxErrno.EBADF ? LinuxErrno.toFreeBsd(errno)
                    : Errno.ENOMEM.code();
        }
        w.registered = interest;
        w.level = level;
        return 0;
    }

    /**
     * Whether {@code w}'s entry may be level-triggered: no knote on it is
     * EV_CLEAR, none was ever reported while disabled or found not ready
     * where epoll said it was (edgeOnly), and the descriptor is a channel's
     * from Fd.of.
     * (A raw number may be closed while a dup keeps its file open, leaving an
     * entry no epoll_ctl can reach; level-triggered, it would wake sleepers
     * for as long as that file is ready. A channel's file is closed by the
     * JDK, and held elsewhere only through native code.)
     * With the list and kq locks held.
     */
    private boolean mayBeLevel(FdWatch w) {
        return !w.edgeOnly && w.source == null && kq.table.channel(w.fd) != null && w.knlist.allLevel();
    }

    /**
     * Edge-triggered from now on: epoll reported {@code w} ready (level-
     * triggered) but a filter measured it not ready (a low-water mark, an
     * empty datagram), or epoll reported a disabled knote on it; either way
     * a sleeper must not spin on it. With the list and kq locks held.
     */
    void demoteToEdge(FdWatch w) {
        w.edgeOnly = true;
        update(w, w.registered, false, false);
    }

    /**
     * After epoll reported {@code w}: a level-triggered entry whose report
     * found a knote disabled turns edge-triggered, or every look would report
     * it again while the knote stays disabled. Until that happens a disabled
     * knote costs nothing, and EV_DISPATCH's re-enable needs no re-check (one
     * thread handing its knotes back). With the list and kq locks held.
     */
    void reported(FdWatch w) {
        if (w.level && w.knlist.activeWhileDisabled()) {
            demoteToEdge(w);
        }
    }

    /** Registers one of the wait path's descriptors (edge-triggered, readable), at open; false if epoll refuses. */
    boolean addWaitDescriptor(int fd, long token) {
        return Epoll.ctl(epfd, Epoll.EPOLL_CTL_ADD, fd, Epoll.EPOLLIN | Epoll.EPOLLET, token) == 0;
    }

    /**
     * Puts a nested kqueue's epoll descriptor in this set, so that what wakes
     * it wakes this one; false where epoll refuses (a cycle, too deep a nesting).
     */
    boolean addNested(int innerEpfd) {
        kq.lock();
        try {
            if (Epoll.ctl(epfd, Epoll.EPOLL_CTL_ADD, innerEpfd, Epoll.EPOLLIN | Epoll.EPOLLET, NESTED | innerEpfd) != 0) {
                return false;
            }
            watched++;
            return true;
        } finally {
            kq.unlock();
        }
    }

    void deleteNested(int innerEpfd) {
        kq.lock();
        try {
            Epoll.ctl(epfd, Epoll.EPOLL_CTL_DEL, innerEpfd, 0, 0);
            watched--;
        } finally {
            kq.unlock();
        }
    }
}
