package io.jkqueue.cli;

import io.jkqueue.KEventList;
import io.jkqueue.KQueue;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static io.jkqueue.KEvent.*;
import static org.assertj.core.api.Assertions.assertThat;

/** --latency: a batch's events for one knote become one event. */
class BatchTest {
    @Test
    void eventsForOneKnoteAreMergedAndOthersAppendedInOrder() {
        KEventList into = new KEventList(2);
        into.add(5, EVFILT_VNODE, EV_CLEAR, NOTE_WRITE, 0, "a");
        into.add(1, EVFILT_TIMER, 0, 0, 2, null);
        KEventList from = new KEventList(4);
        from.add(7, EVFILT_VNODE, EV_CLEAR, NOTE_DELETE, 0, "b");
        from.add(5, EVFILT_VNODE, EV_CLEAR, NOTE_ATTRIB | NOTE_WRITE, 0, "a");
        from.add(1, EVFILT_TIMER, 0, 0, 3, null);
        from.add(5, EVFILT_READ, 0, 0, 10, null);   // same ident, another filter: another knote
        Batch.merge(into, from);
        assertThat(into.size()).isEqualTo(4);
        assertThat(into.get(0)).isEqualTo(of(5, EVFILT_VNODE, EV_CLEAR, NOTE_WRITE | NOTE_ATTRIB, 0, "a"));
        assertThat(into.get(1).data()).as("timer expirations summed").isEqualTo(5);
        assertThat(into.get(2)).isEqualTo(of(7, EVFILT_VNODE, EV_CLEAR, NOTE_DELETE, 0, "b"));
        assertThat(into.get(3)).isEqualTo(of(5, EVFILT_READ, 0, 0, 10, null));
    }

    @Test
    void signalDeliveriesAreSummedAndAnExitKeepsItsStatus() {
        KEventList into = new KEventList(2);
        into.add(10, EVFILT_SIGNAL, EV_CLEAR, 0, 1, null);
        into.add(99, EVFILT_PROC, 0, NOTE_FORK, 0, null);
        KEventList from = new KEventList(2);
        from.add(10, EVFILT_SIGNAL, EV_CLEAR, 0, 2, null);
        from.add(99, EVFILT_PROC, EV_EOF | EV_ONESHOT, NOTE_EXIT, 5 << 8, null);
        Batch.merge(into, from);
        assertThat(into.size()).isEqualTo(2);
        assertThat(into.get(0).data()).isEqualTo(3);
        assertThat(into.get(1)).isEqualTo(of(99, EVFILT_PROC, EV_EOF | EV_ONESHOT, NOTE_FORK | NOTE_EXIT, 5 << 8,
                null));
    }

    @Test
    void aTimerFiringThroughoutTheLatencyIsOneEvent() throws Exception {
        try (KQueue kq = KQueue.open()) {
            KEventList changes = new KEventList(1);
            changes.add(1, EVFILT_TIMER, EV_ADD, NOTE_MSECONDS, 5, null);
            kq.kevent(changes, null, 0);
            KEventList events = new KEventList(8);
            // without a batch, the first kevent returns at the first expiration with data 1
            int n = new Batch(TimeUnit.MILLISECONDS.toNanos(300)).kevent(kq, events, -1, Long.MAX_VALUE);
            assertThat(n).isEqualTo(1);
            assertThat(events.get(0).data()).as("expirations during the latency were added").isGreaterThan(1);
        }
    }

    @Test
    void aZeroLatencyIsOneKevent() throws Exception {
        try (KQueue kq = KQueue.open()) {
            KEventList changes = new KEventList(2);
            changes.add(2, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, null);
            changes.add(2, EVFILT_USER, 0, NOTE_TRIGGER, 0, null);
            kq.kevent(changes, null, 0);
            KEventList events = new KEventList(8);
            assertThat(new Batch(0).kevent(kq, events, 0, Long.MAX_VALUE)).isEqualTo(1);
            assertThat(new Batch(0).kevent(kq, events, 0, Long.MAX_VALUE)).isZero();
        }
    }
}
