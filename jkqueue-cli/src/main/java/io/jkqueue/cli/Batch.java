package io.jkqueue.cli;

import io.jkqueue.KEventList;
import io.jkqueue.KQueue;

import java.io.IOException;

import static io.jkqueue.KEvent.EVFILT_SIGNAL;
import static io.jkqueue.KEvent.EVFILT_TIMER;

/**
 * --latency: after the first events of a batch, keeps collecting for the
 * latency and merges what comes for the same knote (filter and ident) into
 * one event, as an EV_CLEAR knote left unread would have: notes OR-ed,
 * signal deliveries and timer expirations summed, otherwise the latest data.
 */
final class Batch {
    private final long latencyNanos;
    private final KEventList more = new KEventList(64);

    Batch(long latencyNanos) {
        this.latencyNanos = latencyNanos;
    }

    /**
     * kevent into {@code events}, waiting up to {@code waitNanos} (&lt; 0: for ever) for the first;
     * then until the latency has passed, or {@code deadline} (System.nanoTime) if sooner.
     */
    int kevent(KQueue kq, KEventList events, long waitNanos, long deadline) throws IOException {
        int n = kq.kevent(null, events, waitNanos);
        if (n == 0 || latencyNanos == 0) {
            return n;
        }
        long now = System.nanoTime();
        long end = deadline - now < latencyNanos ? deadline : now + latencyNanos;
        for (long left; (left = end - System.nanoTime()) > 0; ) {
            kq.kevent(null, more, left);
            merge(events, more);
        }
        return events.size();
    }

    /** Merges {@code from} into {@code into}: an event for a knote already there is OR-ed into it, others appended. */
    static void merge(KEventList into, KEventList from) {
        for (int j = 0; j < from.size(); j++) {
            int i = indexOf(into, from.ident(j), from.filter(j));
            if (i < 0) {
                into.add(from.ident(j), from.filter(j), from.flags(j), from.fflags(j), from.data(j), from.udata(j));
                continue;
            }
            int filter = into.filter(i);
            long data = filter == EVFILT_SIGNAL || filter == EVFILT_TIMER ? into.data(i) + from.data(j) : from.data(j);
            into.set(i, into.ident(i), filter, into.flags(i) | from.flags(j), into.fflags(i) | from.fflags(j), data,
                    from.udata(j));
        }
    }

    private static int indexOf(KEventList list, long ident, int filter) {
        for (int i = 0; i < list.size(); i++) {
            if (list.ident(i) == ident && list.filter(i) == filter) {
                return i;
            }
        }
        return -1;
    }
}
