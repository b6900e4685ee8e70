package io.jkqueue.core;

import static io.jkqueue.KEvent.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.jkqueue.Fd;
import io.jkqueue.KEventList;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.util.concurrent.TimeUnit;

import io.jkqueue.filters.SystemFilters;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A channel's descriptor whose knotes are plain or EV_DISPATCH sits on a
 * level-triggered epoll entry: an EV_DISPATCH knote handed back by the thread
 * that took it needs no re-check, and epoll's report of the bytes left
 * unread delivers it again. Once epoll reports a knote while it is disabled
 * the entry turns edge-triggered, so a thread asleep in kevent meanwhile
 * wakes a bounded number of times, not once per epoll_wait for as long as
 * the knote stays disabled.
 */
class LevelEntryTest {
    private static final long WAIT_NANOS = TimeUnit.SECONDS.toNanos(30);

    private KqueueImpl kq;
    private Pipe pipe;
    private int fd;

    @BeforeAll
    static void boot() {
        SystemFilters.install();
    }

    @BeforeEach
    void setUp() throws IOException {
        kq = KqueueImpl.open();
        pipe = Pipe.open();
        fd = Fd.of(pipe.source());
    }

    @AfterEach
    void tearDown() throws IOException {
        kq.close();
        pipe.source().close();
        pipe.sink().close();
    }

    private void change(int flags) throws IOException {
        KEventList kev = new KEventList(1);
        kev.add(fd, EVFILT_READ, flags, 0, 0, null);
        kq.kevent(kev, null, 0);
    }

    private void write(int n) throws IOException {
        assertThat(pipe.sink().write(ByteBuffer.allocate(n))).isEqualTo(n);
    }

    private KEventList collect(long timeoutNanos) throws IOException {
        KEventList out = new KEventList(4);
        kq.kevent(null, out, timeoutNanos);
        return out;
    }

    private boolean level() {
        kq.lock();
        try {
            return kq.epoll.registration(fd).level;
        } finally {
            kq.unlock();
        }
    }

    private long looks() {
        kq.lock();
        try {
            return kq.epoll.looks;
        } finally {
            kq.unlock();
        }
    }

    @Test
    void dispatchKnoteHandedBackByOneThreadStaysOnALevelEntryAndIsReportedForBytesLeftUnread() throws IOException {
        change(EV_ADD | EV_DISPATCH);
        assertThat(level()).isTrue();
        write(3);
        KEventList got = collect(WAIT_NANOS);
        for (int round = 0; round < 3; round++) {
            assertThat(got.size()).isEqualTo(1);
            assertThat(got.data(0)).isEqualTo(3);   // never read: the same bytes each round
            // handed back in the call that waits for the next event, as a worker does
            KEventList enable = new KEventList(1);
            enable.add(fd, EVFILT_READ, EV_ENABLE, 0, 0, null);
            got = new KEventList(4);
            kq.kevent(enable, got, WAIT_NANOS);
        }
        assertThat(level()).as("no look saw the knote disabled").isTrue();
        assertThat(got.size()).isEqualTo(1);
        assertThat(collect(0).size()).as("disabled by the delivery").isZero();
        write(2);
        change(EV_ENABLE);
        got = collect(WAIT_NANOS);
        assertThat(got.size()).isEqualTo(1);
        assertThat(got.data(0)).isEqualTo(5);
    }

    @Test
    void aDisabledKnoteReportedToASleeperTurnsTheEntryEdgeTriggeredAndNothingIsLost() throws IOException {
        change(EV_ADD | EV_DISPATCH);
        write(1);
        assertThat(collect(WAIT_NANOS).size()).isEqualTo(1);   // now disabled, its byte unread
        long before = looks();
        assertThat(collect(TimeUnit.MILLISECONDS.toNanos(300)).size()).isZero();
        // a level entry would report the byte to every epoll_wait of the 300 ms: thousands of looks; an edge-
        // triggered one reports it at most twice (the demoting MOD re-reports once), plus a callout or two
        assertThat(looks() - before).as("looks while the knote was disabled").isLessThanOrEqualTo(8);
        assertThat(level()).isFalse();
        write(1);
        assertThat(collect(TimeUnit.MILLISECONDS.toNanos(100)).size()).as("still disabled").isZero();
        change(EV_ENABLE);
        KEventList got = collect(WAIT_NANOS);
        assertThat(got.size()).isEqualTo(1);
        assertThat(got.data(0)).isEqualTo(2);
        change(EV_ENABLE);   // edge-triggered now: the re-check finds the bytes still unread
        got = collect(WAIT_NANOS);
        assertThat(got.size()).isEqualTo(1);
        assertThat(got.data(0)).isEqualTo(2);
    }

    @Test
    void aPlainKnoteDisabledWhileReadableDoesNotKeepASleeperLooking() throws IOException {
        change(EV_ADD);
        write(1);
        assertThat(collect(WAIT_NANOS).size()).isEqualTo(1);
        change(EV_DISABLE);
        long before = looks();
        assertThat(collect(TimeUnit.MILLISECONDS.toNanos(300)).size()).isZero();
        assertThat(looks() - before).as("looks while the knote was disabled").isLessThanOrEqualTo(8);
        change(EV_ENABLE);
        KEventList got = collect(WAIT_NANOS);
        assertThat(got.size()).isEqualTo(1);
        assertThat(got.data(0)).isEqualTo(1);
        assertThat(collect(0).size()).as("level: still readable, reported again").isEqualTo(1);
    }
}
