package io.jkqueue.core;

import java.util.Arrays;

/**
 * Which descriptor numbers are open jkqueue kqueues (their epoll fds), so that
 * EVFILT_READ on one finds it, as fget + DTYPE_KQUEUE does in the seed, and a
 * close jkqueue makes itself reaches the knotes of every kqueue.
 */
final class KqRegistry {
    private KqRegistry() {}

    // copy-on-write: opens and closes are rare, lookups lock-free
    private static volatile KqueueImpl[] byFd = new KqueueImpl[64];

    static synchronized void put(int fd, KqueueImpl kq) {
        KqueueImpl[] t = Arrays.copyOf(byFd, Math.max(fd + 1, byFd.length));
        t[fd] = kq;
        byFd = t;
    }

    static synchronized void remove(int fd, KqueueImpl kq) {
        if (fd < byFd.length && byFd[fd] == kq) {
            KqueueImpl[] t = byFd.clone();
            t[fd] = null;
            byFd = t;
        }
    }

    /** Every open kqueue, indexed by its descriptor (null where none): a snapshot, not to be changed. */
    static KqueueImpl[] all() {
        return byFd;
    }

    /** The open kqueue whose descriptor is {@code fd}, or null. */
    static KqueueImpl get(int fd) {
        KqueueImpl[] t = byFd;
        return fd >= 0 && fd < t.length ? t[fd] : null;
    }
}
