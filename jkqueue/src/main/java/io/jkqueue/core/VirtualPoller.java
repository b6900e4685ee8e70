package io.jkqueue.core;

import io.jkqueue.linux.Epoll;
import io.jkqueue.linux.Libc;
import io.jkqueue.linux.LinuxErrno;

/**
 * The JVM's one poller for kqueues with parked virtual waiters (a platform
 * thread of jkqueue's own, started at the first such wait). A virtual thread
 * that must wait in a kqueue parks instead of blocking its carrier in
 * epoll_wait, after arming the kqueue's epoll fd here, one-shot: when that
 * fd turns readable (something for the kqueue to take in: an eventfd write,
 * a timer, a descriptor, a nested kqueue), the poller unparks the kqueue's
 * virtual waiters, and they look at their epoll set without blocking.
 */
final class VirtualPoller {
    private VirtualPoller() {}

    private static final int EVENTS = 64;

    /** The poller's epoll instance; started on first use, -1 if it could not be made. */
    private static final class Holder {
        static final int EPFD = start();

        private static int start() {
            int epfd = Epoll.create1(Epoll.EPOLL_CLOEXEC);
            if (epfd < 0) {
                System.getLogger("io.jkqueue").log(System.Logger.Level.WARNING, "no epoll instance for the virtual"
                        + " thread poller (errno " + Libc.errno() + "): virtual threads wait in the kernel");
                return -1;
            }
            Thread.ofPlatform().daemon().name("jkqueue-virtual-poller").start(() -> run(epfd));
            return epfd;
        }
    }

    /**
     * Arms {@code kqEpfd}: the poller unparks the kqueue's virtual waiters
     * once it is readable (at once if it is now). False if there is no
     * poller; the caller then waits in the kernel.
     */
    static boolean arm(int kqEpfd) {
        int epfd = Holder.EPFD;
        if (epfd < 0) {
            return false;
        }
        int events = Epoll.EPOLLIN | Epoll.EPOLLONESHOT;
        if (Epoll.ctl(epfd, Epoll.EPOLL_CTL_MOD, kqEpfd, events, kqEpfd) == 0) {
            return true;
        }
        // first arm of this kqueue (or its number's previous kqueue was closed, which left the set)
        return Epoll.ctl(epfd, Epoll.EPOLL_CTL_ADD, kqEpfd, events, kqEpfd) == 0
                || Libc.errno() == LinuxErrno.EEXIST
                && Epoll.ctl(epfd, Epoll.EPOLL_CTL_MOD, kqEpfd, events, kqEpfd) == 0;
    }

    private static void run(int epfd) {
        Epoll.Events ready = new Epoll.Events(EVENTS);
        for (;;) {
            int n = ready.epollWait(epfd, -1);
            for (int i = 0; i < n; i++) {
                KqueueImpl kq = KqRegistry.get((int) ready.data(i));
                if (kq != null) {
                    kq.wait.unparkVirtualWaiters();
                }
            }
        }
    }
}
