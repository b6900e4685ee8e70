package io.jkqueue.core;

import io.jkqueue.Errno;
import io.jkqueue.KEvent;
import io.jkqueue.spi.FilterOps;
import io.jkqueue.spi.Knote;

/**
 * A kqueue as a file that another kqueue watches (kqueue_kqfilter,
 * filt_kqdetach, filt_kqueue), and the choice of filter ops for a
 * descriptor knote by what the descriptor is (filt_fileattach).
 */
final class KqFile {
    private KqFile() {}

    /** A knote's watch on an inner kqueue; {@code inEpoll}: the inner's epoll fd is in the watcher's epoll set. */
    private record Watch(KqueueImpl inner, boolean inEpoll) {}

    /** kqread_filtops. */
    private static final FilterOps KQREAD_FILTOPS = new FilterOps() {
        @Override
        public boolean isFd() {
            return true;
        }

        @Override
        public int attach(Knote kn) {
            throw new IllegalStateException("kqread knotes are attached by kqueue_kqfilter");
        }

        /** filt_kqdetach. */
        @Override
        public void detach(Knote k) {
            KnoteImpl kn = (KnoteImpl) k;
            Watch w = (Watch) kn.hook;
            w.inner.sel.remove(kn);
            if (w.inEpoll) {
                kn.kq.epoll.deleteNested(w.inner.epoll.epfd);
            }
        }

        /** filt_kqueue: data is the inner kqueue's kq_count. */
        @Override
        public boolean event(Knote k, long hint) {
            KnoteImpl kn = (KnoteImpl) k;
            kn.data = ((Watch) kn.hook).inner.count();
            return kn.data > 0;
        }
    };

    /** Attaches a file knote: what the descriptor is decides its filter ops (filt_fileattach). */
    static int attach(KnoteImpl kn) {
        KqueueImpl target = KqRegistry.get((int) kn.ident);
        if (target != null) {
            return kqfilter(target, kn);
        }
        FilterOps ops = FilterTable.fileOps(kn);
        if (ops == null) {
            return Errno.ENXIO.code();
        }
        kn.fop = ops;
        return ops.attach(kn);
    }

    /**
     * kqueue_kqfilter: {@code kn} (a knote of another kqueue) watches
     * {@code inner}. Its kqueue also puts the inner's epoll fd in its epoll
     * set, so that the inner's descriptors and timerfd wake it; where epoll
     * refuses (a cycle, or too deep a nesting) the watch still works for
     * everything that happens in the JVM.
     */
    private static int kqfilter(KqueueImpl inner, KnoteImpl kn) {
        if (kn.filter != KEvent.EVFILT_READ) {
            return Errno.EINVAL.code();
        }
        if (!inner.isOpen()) {
            // under kq_global: a close that got this far drops its watchers after we are done, or already did
            return Errno.EBADF.code();
        }
        kn.fop = KQREAD_FILTOPS;
        kn.hook = new Watch(inner, kn.kq.epoll.addNested(inner.epoll.epfd));
        inner.sel.add(kn);
        inner.lock();
        try {
            inner.clock.arm(false);   // its pending callouts must now wake the outer kqueue's sleepers
        } finally {
            inner.unlock();
        }
        return 0;
    }
}
