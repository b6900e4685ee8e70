package io.jkqueue.core;

import static io.jkqueue.KEvent.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.jkqueue.Errno;
import io.jkqueue.Fd;
import io.jkqueue.KEventList;
import io.jkqueue.KQueueException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import io.jkqueue.filters.SystemFilters;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * EV_ENABLE of READ knotes on edge-triggered epoll entries (EV_CLEAR, or an
 * entry a disabled knote turned edge-triggered): done_ev_add's look at the
 * descriptor, made for a whole change list by one poll after it, finds the
 * bytes a worker left unread, an end of file that came meanwhile, and is
 * made even when the change list ends in an error; a knote deleted later in
 * the same list is not reported.
 */
class EnableRecheckTest {
    private static final long WAIT_NANOS = TimeUnit.SECONDS.toNanos(30);
    private static final int DISPATCH = EV_CLEAR | EV_DISPATCH;   // an edge-triggered entry from the start

    private KqueueImpl kq;
    private final List<Pipe> pipes = new ArrayList<>();

    @BeforeAll
    static void boot() {
        SystemFilters.install();
    }

    @BeforeEach
    void setUp() throws IOException {
        kq = KqueueImpl.open();
    }

    @AfterEach
    void tearDown() throws IOException {
        kq.close();
        for (Pipe p : pipes) {
            p.source().close();
            p.sink().close();
        }
    }

    /** A pipe whose read end has an EV_DISPATCH knote that was handed out once, its {@code bytes} left unread. */
    private int handedOut(int bytes) throws IOException {
        Pipe p = Pipe.open();
        pipes.add(p);
        int fd = Fd.of(p.source());
        KEventList add = new KEventList(1);
        add.add(fd, EVFILT_READ, EV_ADD | DISPATCH, 0, 0, p);
        kq.kevent(add, null, 0);
        assertThat(p.sink().write(ByteBuffer.allocate(bytes))).isEqualTo(bytes);
        return fd;
    }

    private KEventList collect(KEventList changes, int slots) throws IOException {
        KEventList out = new KEventList(slots);
        kq.kevent(changes, out, 0);
        return out;
    }

    @Test
    void enablesInOneListFindTheBytesEachWorkerLeftUnread() throws IOException {
        int n = 300;   // more than one poll takes: the rest are looked at one by one
        List<Integer> fds = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            fds.add(handedOut(1 + i % 7));
        }
        int handed = 0;
        for (int call = 0; call < 10 && handed < n; call++) {
            handed += collect(null, 512).size();   // one look per call takes up to 256 epoll reports
        }
        assertThat(handed).isEqualTo(n);
        KEventList enable = new KEventList(n);
        for (int fd : fds) {
            enable.add(fd, EVFILT_READ, EV_ENABLE, 0, 0, null);
        }
        KEventList again = collect(enable, 512);
        assertThat(again.size()).isEqualTo(n);
        Set<Long> seen = new HashSet<>();
        for (int i = 0; i < again.size(); i++) {
            int at = fds.indexOf((int) again.ident(i));
            assertThat(again.data(i)).as("bytes left on %d", again.ident(i)).isEqualTo(1 + at % 7);
            seen.add(again.ident(i));
        }
        assertThat(seen).hasSize(n);
        assertThat(collect(null, 512).size()).as("each disabled again by its delivery").isZero();
    }

    @Test
    void anEnabledKnoteWhoseBytesWereReadIsNotReported() throws IOException {
        int fd = handedOut(4);
        assertThat(collect(null, 4).size()).isEqualTo(1);
        pipes.get(0).source().read(ByteBuffer.allocate(4));
        KEventList enable = new KEventList(1);
        enable.add(fd, EVFILT_READ, EV_ENABLE, 0, 0, null);
        assertThat(collect(enable, 4).size()).isZero();
        assertThat(pipes.get(0).sink().write(ByteBuffer.allocate(2))).isEqualTo(2);
        KEventList later = new KEventList(4);
        kq.kevent(null, later, WAIT_NANOS);
        assertThat(later.size()).isEqualTo(1);
        assertThat(later.data(0)).isEqualTo(2);
    }

    @Test
    void anEndOfFileThatCameWhileDisabledIsReportedWithTheBytesLeft() throws IOException {
        int fd = handedOut(3);
        assertThat(collect(null, 4).size()).isEqualTo(1);
        pipes.get(0).sink().close();
        KEventList enable = new KEventList(1);
        enable.add(fd, EVFILT_READ, EV_ENABLE, 0, 0, null);
        KEventList got = collect(enable, 4);
        assertThat(got.size()).isEqualTo(1);
        assertThat(got.flags(0) & EV_EOF).isEqualTo(EV_EOF);
        assertThat(got.data(0)).isEqualTo(3);
    }

    @Test
    void aKnoteEnabledThenDeletedInTheSameListIsNotReported() throws IOException {
        int fd = handedOut(1);
        assertThat(collect(null, 4).size()).isEqualTo(1);
        KEventList changes = new KEventList(2);
        changes.add(fd, EVFILT_READ, EV_ENABLE, 0, 0, null);
        changes.add(fd, EVFILT_READ, EV_DELETE, 0, 0, null);
        assertThat(collect(changes, 4).size()).isZero();
        assertThat(kq.fdKnoteCount()).isZero();
    }

    @Test
    void anEnableBeforeAFailingChangeIsStillLookedAt() throws IOException {
        int fd = handedOut(5);
        assertThat(collect(null, 4).size()).isEqualTo(1);
        KEventList changes = new KEventList(2);
        changes.add(fd, EVFILT_READ, EV_ENABLE, 0, 0, null);
        changes.add(1_000_000, EVFILT_READ, EV_ENABLE, 0, 0, null);   // no such descriptor
        Throwable e = catchThrowable(() -> kq.kevent(changes, null, 0));
        assertThat(e).isInstanceOf(KQueueException.class);
        assertThat(((KQueueException) e).errno()).isEqualTo(Errno.EBADF);
        KEventList got = collect(null, 4);
        assertThat(got.size()).isEqualTo(1);
        assertThat(got.ident(0)).isEqualTo(fd);
        assertThat(got.data(0)).isEqualTo(5);
    }
}
