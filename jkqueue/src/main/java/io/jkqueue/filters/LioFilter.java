package io.jkqueue.filters;

import io.jkqueue.Errno;
import io.jkqueue.KEventList;
import io.jkqueue.aio.LioJob;
import io.jkqueue.spi.FilterOps;
import io.jkqueue.spi.Knote;

import static io.jkqueue.KEvent.EV_CLEAR;
import static io.jkqueue.KEvent.EV_FLAG1;

/**
 * EVFILT_LIO (vfs_aio.c's filt_lio*): one knote per lio_listio call,
 * registered by the call only (EV_FLAG1). The call passes its list as the
 * knote's udata; kn_hook keeps it, and the event reports the call's udata.
 */
final class LioFilter implements FilterOps {

    @Override
    public boolean isFd() {
        return false;
    }

    /** filt_lioattach: only the kernel (EV_FLAG1) may register. */
    @Override
    public int attach(Knote kn) {
        if ((kn.flags() & EV_FLAG1) == 0 || !(kn.udata() instanceof LioJob lio)) {
            return Errno.EPERM.code();
        }
        kn.setFlags(kn.flags() & ~EV_FLAG1);
        kn.setHook(lio);
        lio.attach(kn);
        return 0;
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

    @Override
    public boolean hasTouch() {
        return true;
    }

    /** No touch in the seed's filt_lio; here it only reports the call's udata, and clears as the scan would. */
    @Override
    public void touch(Knote kn, KEventList kev, int i, int type) {
        if (type == EVENT_PROCESS) {
            kev.set(i, kn.ident(), kn.filter(), kn.flags(), kn.fflags(), kn.data(), ((LioJob) kn.hook()).udata());
            if ((kn.flags() & EV_CLEAR) != 0) {
                kn.setData(0);
                kn.setFflags(0);
            }
        } else {
            kn.setSfflags(kev.fflags(i));
            kn.setSdata(kev.data(i));
        }
    }
}
