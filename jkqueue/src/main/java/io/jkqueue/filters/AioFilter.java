package io.jkqueue.filters;

import io.jkqueue.Errno;
import io.jkqueue.aio.Kaiocb;
import io.jkqueue.spi.FilterOps;
import io.jkqueue.spi.Knote;

import static io.jkqueue.KEvent.EV_EOF;
import static io.jkqueue.KEvent.EV_FLAG1;

/**
 * EVFILT_AIO (vfs_aio.c's filt_aio*): one knote per job, registered by the
 * job's submission only (EV_FLAG1, which a change list cannot carry), which
 * hands the job over on its own thread (FreeBSD's kev.data); kn_hook keeps it.
 */
final class AioFilter implements FilterOps {

    @Override
    public boolean isFd() {
        return false;
    }

    /** filt_aioattach: the job pointer cannot be checked, so only the kernel (EV_FLAG1, with the job in kn_hook) may register. */
    @Override
    public int attach(Knote kn) {
        if ((kn.flags() & EV_FLAG1) == 0 || !(kn.hook() instanceof Kaiocb job)) {
            return Errno.EPERM.code();
        }
        kn.setFlags(kn.flags() & ~EV_FLAG1);
        return job.attach(kn);
    }

    /** filt_aiodetach. */
    @Override
    public void detach(Knote kn) {
        ((Kaiocb) kn.hook()).detach(kn);
    }

    /** filt_aio: fires once the job has finished, data = its aio_return value, with EV_EOF. */
    @Override
    public boolean event(Knote kn, long hint) {
        Kaiocb job = (Kaiocb) kn.hook();
        if (!job.finished()) {
            return false;
        }
        kn.setData(job.status());
        kn.setFlags(kn.flags() | EV_EOF);
        return true;
    }
}
