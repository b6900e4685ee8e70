package io.jkqueue.core;

import java.nio.channels.Channel;

/**
 * The knote of a descriptor filter (filterops' f_isfd): what fget found for
 * its number, and the epoll registration ({@link EpollSet.FdWatch}) it is on,
 * which no other knote needs. Locks as {@link KnoteImpl}'s: fdWatch and
 * watchInterest change with the watch's knlist locked, reportedLook with the kq lock.
 */
final class FdKnote extends KnoteImpl {
    final Channel channel;   // the channel Fd.of handed the number out for, as fget found it; null if none
    EpollSet.FdWatch fdWatch; // the descriptor registration this knote is on, if any
    int watchInterest;
    long reportedLook;        // the look (EpollSet.looks) whose report last activated this knote, or,
                              // negated, the look count when it was last enabled: no earlier look counts

    FdKnote(KqueueImpl kq, Channel channel) {
        super(kq);
        this.channel = channel;
    }

    /** An epoll report activated the knote: stamps it with the look the report came from. */
    void stampReport() {
        assert kq.ownsLock();
        long look = kq.epoll.reporting;
        if (look > -reportedLook) {
            reportedLook = look;
        }
    }

    /** Whether it is on a level-triggered epoll entry, which re-reports the descriptor while it is ready. */
    boolean onLevelEntry() {
        return fdWatch != null && fdWatch.level;
    }

    @Override
    public Channel channel() {
        return channel;
    }

    @Override
    public int watchFd(int interest) {
        return kq.epoll.watchFd(this, (int) ident, interest);
    }

    @Override
    public void unwatchFd() {
        kq.epoll.unwatchFd(this);
    }
}
