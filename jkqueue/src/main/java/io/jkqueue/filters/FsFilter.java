package io.jkqueue.filters;

import io.jkqueue.spi.FilterOps;
import io.jkqueue.spi.Knote;

import static io.jkqueue.KEvent.EV_CLEAR;

/**
 * EVFILT_FS (fs_filtops: filt_fsattach, filt_fsdetach, filt_fsevent): any
 * ident; fflags collect the VQ_* hints of the mount table
 * ({@link MountSource}) since the last report, EV_CLEAR implied. The fflags
 * of the change are ignored, as in filt_fsattach.
 */
final class FsFilter implements FilterOps {
    private static final MountSource MOUNTS = MountSource.SHARED;

    @Override
    public boolean isFd() {
        return false;
    }

    @Override
    public int attach(Knote kn) {
        int error = MOUNTS.acquire();
        if (error != 0) {
            return error;
        }
        kn.setFlags(kn.flags() | EV_CLEAR);   // automatically set
        MOUNTS.knlist.add(kn);
        error = kn.watchSource(MOUNTS);
        if (error != 0) {
            MOUNTS.knlist.remove(kn);
            MOUNTS.release();
        }
        return error;
    }

    @Override
    public void detach(Knote kn) {
        kn.unwatchSource(MOUNTS);   // before the release: the last one closes the descriptor
        MOUNTS.knlist.remove(kn);
        MOUNTS.release();
    }

    /** filt_fsevent: the hint is the VQ_* bits of what happened. */
    @Override
    public boolean event(Knote kn, long hint) {
        kn.setFflags(kn.fflags() | (int) hint);
        return kn.fflags() != 0;
    }
}
