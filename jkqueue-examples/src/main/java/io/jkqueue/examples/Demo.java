package io.jkqueue.examples;

import io.jkqueue.KEventList;
import io.jkqueue.KQueue;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

import static io.jkqueue.KEvent.EVFILT_READ;
import static io.jkqueue.KEvent.EVFILT_TIMER;
import static io.jkqueue.KEvent.EVFILT_USER;
import static io.jkqueue.KEvent.EV_ADD;
import static io.jkqueue.KEvent.EV_CLEAR;
import static io.jkqueue.KEvent.EV_KEEPUDATA;
import static io.jkqueue.KEvent.EV_ONESHOT;
import static io.jkqueue.KEvent.NOTE_FFCOPY;
import static io.jkqueue.KEvent.NOTE_TRIGGER;

/**
 * One thread waits in one kevent call on a periodic timer, a one-shot timer,
 * a user event triggered by another thread, and a second kqueue with a timer
 * of its own, and prints what arrives until the one-shot timer ends the demo.
 */
public final class Demo {
    private static final long TICK = 1, STOP = 2, WORKER = 3, TIMER_ON_INNER = 4;

    public static void main(String[] args) throws IOException, InterruptedException {
        try (KQueue kq = KQueue.open(); KQueue inner = KQueue.open()) {
            inner.kevent(list(TIMER_ON_INNER, EVFILT_TIMER, EV_ADD | EV_ONESHOT, 0, 700), null, 0);
            KEventList changes = new KEventList(4);
            changes.add(TICK, EVFILT_TIMER, EV_ADD, 0, 250, "tick every 250 ms");
            changes.add(STOP, EVFILT_TIMER, EV_ADD | EV_ONESHOT, 0, 2_000, "stop after 2 s");
            changes.add(WORKER, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, "worker progress");
            changes.add(inner.fd(), EVFILT_READ, EV_ADD | EV_CLEAR, 0, 0, "inner kqueue");
            kq.kevent(changes, null, 0);

            Thread worker = Thread.ofPlatform().name("worker").start(() -> {
                try {
                    for (int step = 1; step <= 3; step++) {
                        TimeUnit.MILLISECONDS.sleep(400);
                        kq.kevent(list(WORKER, EVFILT_USER, EV_KEEPUDATA, NOTE_TRIGGER | NOTE_FFCOPY | step, 0), null, 0);
                    }
                } catch (IOException | InterruptedException e) {
                    throw new RuntimeException(e);
                }
            });

            KEventList events = new KEventList(8);
            long start = System.nanoTime();
            for (boolean done = false; !done; ) {
                int n = kq.kevent(null, events, -1);
                for (int i = 0; i < n; i++) {
                    long ms = (System.nanoTime() - start) / 1_000_000;
                    System.out.printf("%5d ms  ident=%-3d filter=%-3d fflags=%d data=%d  %s%n", ms,
                            events.ident(i), events.filter(i), events.fflags(i), events.data(i), events.udata(i));
                    if (events.ident(i) == STOP && events.filter(i) == EVFILT_TIMER) {
                        done = true;
                    } else if (events.ident(i) == inner.fd() && events.filter(i) == EVFILT_READ) {
                        inner.kevent(null, new KEventList(1), 0); // take the inner's event
                    }
                }
            }
            worker.join();
        }
    }

    private static KEventList list(long ident, int filter, int flags, int fflags, long data) {
        KEventList l = new KEventList(1);
        l.add(ident, filter, flags, fflags, data, null);
        return l;
    }
}
