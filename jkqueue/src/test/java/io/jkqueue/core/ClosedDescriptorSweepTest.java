package io.jkqueue.core;

import static io.jkqueue.KEvent.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.jkqueue.Fd;
import io.jkqueue.KEventList;

import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.jkqueue.filters.SystemFilters;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Knotes of descriptors closed without EV_DELETE, whose numbers nobody
 * registers again, are dropped within about a second by a thread waiting in
 * kevent (jkqueue cannot see close(2), so the kqueue looks for itself).
 */
class ClosedDescriptorSweepTest {
    private static final long WAIT_NANOS = TimeUnit.SECONDS.toNanos(10);

    @BeforeAll
    static void boot() {
        SystemFilters.install();   // what KQueue does before its first kqueue
    }

    @Test
    void closedChannelsAndRawNumbersLoseTheirKnotesWhileAThreadWaits(@TempDir Path dir) throws Exception {
        KqueueImpl kq = KqueueImpl.open();
        List<Pipe> pipes = new ArrayList<>();
        List<FileInputStream> files = new ArrayList<>();
        try {
            KEventList changes = new KEventList(400);
            for (int i = 0; i < 100; i++) {
                Pipe p = Pipe.open();
                pipes.add(p);
                changes.add(Fd.of(p.source()), EVFILT_READ, EV_ADD, 0, 0, null);
                changes.add(Fd.of(p.sink()), EVFILT_WRITE, EV_ADD | EV_CLEAR, 0, 0, null);
                Path f = Files.createFile(dir.resolve("f" + i));
                FileInputStream in = new FileInputStream(f.toFile());
                files.add(in);
                // a FileDescriptor: a raw number, known by dev+ino only
                changes.add(Fd.of(in.getFD()), EVFILT_READ, EV_ADD | EV_CLEAR, 0, 0, null);
            }
            kq.kevent(changes, null, 0);
            KEventList events = new KEventList(512);
            kq.kevent(null, events, 0);   // takes the initial readiness
            assertThat(kq.fdKnoteCount()).isEqualTo(300);
            for (Pipe p : pipes) {
                p.source().close();
                p.sink().close();
            }
            for (FileInputStream in : files) {
                in.close();
            }
            long deadline = System.nanoTime() + WAIT_NANOS;
            while (kq.fdKnoteCount() > 0 && System.nanoTime() < deadline) {
                assertThat(kq.kevent(null, events, TimeUnit.SECONDS.toNanos(3)))
                        .as("nothing is reported for a closed descriptor").isZero();
            }
            assertThat(kq.fdKnoteCount()).as("knotes left on closed descriptors").isZero();
        } finally {
            kq.close();
        }
    }

    /**
     * A thread that only polls a kqueue with a ready descriptor (each call
     * returns it) still has the closed ones swept: the sweep is due when the
     * call's look at epoll reports the timerfd, not by a clock read per call.
     */
    @Test
    void closedDescriptorsLoseTheirKnotesWhileAThreadPollsAReadyOne() throws Exception {
        KqueueImpl kq = KqueueImpl.open();
        Pipe ready = Pipe.open();
        List<Pipe> idle = new ArrayList<>();
        try {
            ready.sink().write(ByteBuffer.wrap(new byte[1]));
            watchWithIdlePipes(kq, ready, idle);
            closeAll(idle);
            KEventList events = new KEventList(8);
            long deadline = System.nanoTime() + WAIT_NANOS;
            while (kq.fdKnoteCount() > 1 && System.nanoTime() < deadline) {
                assertThat(kq.kevent(null, events, 0)).as("the ready descriptor, each poll").isEqualTo(1);
                LockSupport.parkNanos(50_000);
            }
            assertThat(kq.fdKnoteCount()).as("knotes left: the ready descriptor's only").isEqualTo(1);
        } finally {
            kq.close();
            ready.source().close();
            ready.sink().close();
        }
    }

    /** A call whose timeout ends before it could look at epoll looks all the same: it sweeps in time too. */
    @Test
    void closedDescriptorsLoseTheirKnotesUnderCallsThatTimeOutAtOnce() throws Exception {
        KqueueImpl kq = KqueueImpl.open();
        Pipe open = Pipe.open();
        List<Pipe> idle = new ArrayList<>();
        try {
            watchWithIdlePipes(kq, open, idle);
            closeAll(idle);
            KEventList events = new KEventList(8);
            long deadline = System.nanoTime() + WAIT_NANOS;
            while (kq.fdKnoteCount() > 1 && System.nanoTime() < deadline) {
                assertThat(kq.kevent(null, events, 1)).isZero();
                LockSupport.parkNanos(50_000);
            }
            assertThat(kq.fdKnoteCount()).as("knotes left: the open pipe's only").isEqualTo(1);
        } finally {
            kq.close();
            open.source().close();
            open.sink().close();
        }
    }

    /**
     * A knote whose descriptor epoll does not watch (EVFILT_WRITE on a
     * regular file) leaves no look at epoll to report the sweep's timerfd:
     * polls still sweep it once its file is closed.
     */
    @Test
    void aKnoteOutsideEpollIsSweptUnderPolling(@TempDir Path dir) throws Exception {
        KqueueImpl kq = KqueueImpl.open();
        FileOutputStream out = new FileOutputStream(dir.resolve("w").toFile());
        try {
            KEventList changes = new KEventList(1);
            changes.add(Fd.of(out.getFD()), EVFILT_WRITE, EV_ADD | EV_CLEAR, 0, 0, null);
            kq.kevent(changes, null, 0);
            KEventList events = new KEventList(4);
            assertThat(kq.kevent(null, events, 0)).as("a regular file is writable").isEqualTo(1);
            out.close();
            long deadline = System.nanoTime() + WAIT_NANOS;
            while (kq.fdKnoteCount() > 0 && System.nanoTime() < deadline) {
                assertThat(kq.kevent(null, events, 0)).isZero();
                LockSupport.parkNanos(50_000);
            }
            assertThat(kq.fdKnoteCount()).as("knotes left on the closed file").isZero();
        } finally {
            kq.close();
            out.close();
        }
    }

    /** EVFILT_READ on {@code kept}'s read end and on 50 new pipes' (added to {@code idle}), in one kevent. */
    private static void watchWithIdlePipes(KqueueImpl kq, Pipe kept, List<Pipe> idle) throws IOException {
        KEventList changes = new KEventList(51);
        changes.add(Fd.of(kept.source()), EVFILT_READ, EV_ADD, 0, 0, null);
        for (int i = 0; i < 50; i++) {
            Pipe p = Pipe.open();
            idle.add(p);
            changes.add(Fd.of(p.source()), EVFILT_READ, EV_ADD, 0, 0, null);
        }
        kq.kevent(changes, null, 0);
    }

    private static void closeAll(List<Pipe> pipes) throws IOException {
        for (Pipe p : pipes) {
            p.source().close();
            p.sink().close();
        }
    }

    @Test
    void openDescriptorsKeepTheirKnotesAcrossSweeps() throws Exception {
        KqueueImpl kq = KqueueImpl.open();
        Pipe p = Pipe.open();
        try {
            KEventList changes = new KEventList(1);
            changes.add(Fd.of(p.source()), EVFILT_READ, EV_ADD | EV_CLEAR, 0, 0, null);
            kq.kevent(changes, null, 0);
            KEventList events = new KEventList(4);
            // a forever wait would never return: a bounded one spans more than two sweep periods
            assertThat(kq.kevent(null, events, TimeUnit.MILLISECONDS.toNanos(2500))).isZero();
            assertThat(kq.fdKnoteCount()).isEqualTo(1);
            p.sink().write(java.nio.ByteBuffer.wrap(new byte[3]));
            assertThat(kq.kevent(null, events, TimeUnit.SECONDS.toNanos(10))).isEqualTo(1);
            assertThat(events.data(0)).isEqualTo(3);
        } finally {
            kq.close();
            p.source().close();
            p.sink().close();
        }
    }
}
