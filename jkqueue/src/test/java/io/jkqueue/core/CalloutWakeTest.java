package io.jkqueue.core;

import static io.jkqueue.KEvent.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.jkqueue.KEventList;
import io.jkqueue.linux.Poll;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The timerfd is armed for a callout only while someone may wait for it: a
 * thread about to sleep in the scan, one asleep, a poller of fd(), a kqueue
 * watching this one. Whoever starts waiting after the callout was scheduled
 * must still be woken by it; a sleeper is woken late by at most the slack,
 * never early, and takes every callout due by then.
 */
@ExtendWith(CoreKqExtension.class)
class CalloutWakeTest {
    private static final long WAIT_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final KqueueImpl kq;

    CalloutWakeTest(KqueueImpl kq) {
        this.kq = kq;
    }




    private static void addTimer(KqueueImpl k, long ident, int flags, int unit, long data) throws Exception {
        KEventList kev = new KEventList(1);
        kev.add(ident, EVFILT_TIMER, flags, unit, data, null);
        k.kevent(kev, null, 0);
    }

    @Test
    void aSleeperTakesTimersDueCloseTogetherEachOnceAndNoneEarly() throws Exception {
        int n = 200;
        long[] due = new long[n];
        KEventList changes = new KEventList(n);
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            long delayMicros = 5_000 + 50L * i;   // 50 µs apart, from 5 ms on
            changes.add(i, EVFILT_TIMER, EV_ADD | EV_ONESHOT, NOTE_USECONDS, delayMicros, null);
            due[i] = start + TimeUnit.MICROSECONDS.toNanos(delayMicros);
        }
        kq.kevent(changes, null, 0);   // each deadline is at or after due[i]

        KEventList events = new KEventList(n);
        boolean[] seen = new boolean[n];
        int fired = 0;
        long deadline = System.nanoTime() + WAIT_NANOS;
        while (fired < n && System.nanoTime() < deadline) {
            int got = kq.kevent(null, events, WAIT_NANOS);
            long now = System.nanoTime();
            for (int i = 0; i < got; i++) {
                int id = (int) events.ident(i);
                assertThat(seen[id]).as("timer %d handed out twice", id).isFalse();
                seen[id] = true;
                assertThat(events.data(i)).isEqualTo(1);
                assertThat(now).as("timer %d returned before its deadline", id).isGreaterThanOrEqualTo(due[id]);
            }
            fired += got;
        }
        assertThat(fired).isEqualTo(n);
    }

    @Test
    void fdHandedOutAfterATimerWasAddedTurnsReadableWhenItFires() throws Exception {
        addTimer(kq, 1, EV_ADD | EV_ONESHOT, NOTE_MSECONDS, 50);   // nobody waits: the timerfd stays unarmed
        int fd = kq.fd();
        int revents = Poll.await(fd, Poll.POLLIN, (int) TimeUnit.NANOSECONDS.toMillis(WAIT_NANOS));
        assertThat(revents & Poll.POLLIN).as("readable once the timer fired, with nobody in kevent").isNotZero();
        KEventList events = new KEventList(1);
        assertThat(kq.kevent(null, events, 0)).isEqualTo(1);
        assertThat(events.ident(0)).isEqualTo(1);
    }

    @Test
    void aKqueueWatchedByNumberWakesItsWatcherForATimerAddedBefore() throws Exception {
        KqueueImpl outer = KqueueImpl.open();
        try {
            addTimer(kq, 7, EV_ADD | EV_ONESHOT, NOTE_MSECONDS, 50);
            KEventList watch = new KEventList(1);
            watch.add(kq.epoll.epfd, EVFILT_READ, EV_ADD, 0, 0, null);   // its number, never handed out by fd()
            outer.kevent(watch, null, 0);
            KEventList events = new KEventList(1);
            assertThat(outer.kevent(null, events, WAIT_NANOS)).as("woken by the inner kqueue's timer").isEqualTo(1);
            assertThat(events.ident(0)).isEqualTo(kq.epoll.epfd);
            assertThat(events.data(0)).isEqualTo(1);
        } finally {
            outer.close();
        }
    }
}
