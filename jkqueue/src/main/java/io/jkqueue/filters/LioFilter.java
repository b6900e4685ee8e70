package io.jkqueue.filters;

import io.jkqueue.Errno;
import io.jkqueue.aio.LioJob;
import io.jkqueue.spi.FilterOps;
import io.jkqueue.spi.Knote;

import static io.jkqueue.KEvent.EV_FLAG1;

/**
 * EVFILT_LIO (vfs_aio.c's filt_lio*): one knote per lio_listio call,
 * registered by the call only (EV_FLAG1), which hands the list over on its
 * own thread (FreeBSD's kev.data); kn_hook keeps it.
 */
final class LioFilter implements FilterOps {

    @Override
    public boolean isFd() {
        return false;
    }

    /** filt_lioattach: only the kernel (EV_FLAG1) may register. */
    @Override
    public int attach(Knote kn) {
        if ((kn.flags() & EV_FLAG1) == 0 || !(kn.hook() instanceof LioJob lio)) {
            return Errno.EPERM.code();
        }
        kn.setFlags(kn.flags() & ~EV_FLAG1);
        return lio.attach(kn);
    }

    /** filt_liodetach. */
    @Override
    public void detach(Knote kn) {
        ((LioJob) kn.hook()).detach(kn);
    }

    /** filt_lio: LIOJ_KEVENT_POSTED, every job of the list has completed. */
    @Override
    public boolean event(Knote kn, long hint) {
        return ((LioJob) kn.hook()).posted();
    }
}
