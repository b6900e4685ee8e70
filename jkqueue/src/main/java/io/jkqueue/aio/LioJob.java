package io.jkqueue.aio;

import io.jkqueue.KEvent;
import io.jkqueue.core.KqueueImpl;
import io.jkqueue.spi.KnList;
import io.jkqueue.spi.Knote;

/**
 * One lio_listio(LIO_NOWAIT) call: vfs_aio.c's struct aioliojob. Counts its
 * jobs as they are queued, complete and are returned; its EVFILT_LIO knote
 * fires once all completed (LIOJ_KEVENT_POSTED) and is deleted once all
 * were returned (aio_free_entry's knlist_delete). While the list is still
 * being submitted it holds back both, as lio_listio's extra reference does.
 */
public final class LioJob {
    private final long ident = Kaiocb.nextIdent();
    private final KqueueImpl kq;
    private final KnList knlist = KnList.create();
    private volatile boolean posted;

    // guarded by this
    private int count;
    private int finished;
    private int returned;
    private boolean submitting = true;

    private LioJob(KqueueImpl kq) {
        this.kq = kq;
    }

    /**
     * A list whose EVFILT_LIO knote (EV_ADD|EV_ENABLE|EV_FLAG1|keventFlags) is
     * in {@code kq}, or that reports nothing when {@code kq} is null; null
     * when the knote cannot be registered (a closed kqueue).
     */
    public static LioJob create(KqueueImpl kq, int keventFlags, Object udata) {
        LioJob lj = new LioJob(kq);
        if (kq != null && Kaiocb.register(kq, lj, lj.ident, KEvent.EVFILT_LIO, keventFlags, udata) != 0) {
            return null;
        }
        return lj;
    }

    /** The ident of its EVFILT_LIO event. */
    public long ident() {
        return ident;
    }

    /** filt_lio: every job of the list has completed. */
    public boolean posted() {
        return posted;
    }

    /** filt_lioattach's knlist_add; the kqueue drains the backend's completions, as the list's cbs may name no kqueue. */
    public int attach(Knote kn) {
        int error = Kaiocb.watchCompletions(kn);
        if (error == 0) {
            knlist.add(kn);
        }
        return error;
    }

    public void detach(Knote kn) {
        knlist.remove(kn);
        Kaiocb.unwatchCompletions(kn);
    }

    synchronized void jobQueued() {
        count++;
    }

    synchronized void jobUnqueued() {
        count--;
    }

    void jobDone() {
        boolean post;
        synchronized (this) {
            finished++;
            post = !submitting && finished == count;
        }
        if (post) {
            post();
        }
    }

    void jobReturned() {
        boolean gone;
        synchronized (this) {
            returned++;
            gone = !submitting && returned == count;
        }
        if (gone) {
            delete();
        }
    }

    /** lio_listio's end: drops the submission's hold; posts and deletes now what waited for it. */
    public void submitted() {
        boolean post;
        boolean gone;
        synchronized (this) {
            submitting = false;
            post = finished == count;
            gone = returned == count;
        }
        if (post) {
            post();
        }
        if (gone) {
            delete();
        }
    }

    private void post() {
        posted = true;
        knlist.knote(0);
    }

    private void delete() {
        if (kq != null) {
            kq.registerInternal(ident, KEvent.EVFILT_LIO, KEvent.EV_DELETE, 0, 0, null, null);   // ENOENT: already gone (EV_ONESHOT)
        }
    }
}
