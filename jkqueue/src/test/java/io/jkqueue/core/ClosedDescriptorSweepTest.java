package io.jkqueue.core;

import static io.jkqueue.KEvent.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.jkqueue.Fd;
import io.jkqueue.KEventList;

import java.io.FileInputStream;
import java.io.IOException;
import java.nio.channels.Pipe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

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
