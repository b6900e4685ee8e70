package io.jkqueue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;

import static io.jkqueue.KEvent.*;
import static io.jkqueue.Kq.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** EVFILT_READ / EVFILT_WRITE / EVFILT_EMPTY on pipes, sockets and files (tests/sys/kqueue read.c, libkqueue socket/pipe tests). */
class ReadWriteFilterTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private KQueue kq;

    @BeforeEach
    void open() throws IOException {
        kq = KQueue.open();
    }

    @AfterEach
    void close() {
        kq.close();
    }

    private void change(long ident, int filter, int flags) throws IOException {
        change(ident, filter, flags, 0, 0);
    }

    private void change(long ident, int filter, int flags, int fflags, long data) throws IOException {
        kq.kevent(new KEvent[] {KEvent.of(ident, filter, flags, fflags, data, null)}, null, null);
    }

    private KEvent[] collect(Duration timeout) throws IOException {
        KEvent[] out = new KEvent[16];
        int n = kq.kevent(null, out, timeout);
        KEvent[] r = new KEvent[n];
        System.arraycopy(out, 0, r, 0, n);
        return r;
    }

    @Test
    void pipeReadIsLevelTriggeredWithByteCount() throws IOException {
        Pipe p = Pipe.open();
        try (var src = p.source(); var sink = p.sink()) {
            int fd = Fd.of(src);
            change(fd, EVFILT_READ, EV_ADD);
            assertThat(collect(Duration.ZERO)).isEmpty();
            write(sink, 5);
            KEvent[] ev = collect(WAIT);
            assertThat(ev).hasSize(1);
            assertThat(ev[0].ident()).isEqualTo(fd);
            assertThat(ev[0].filter()).isEqualTo(EVFILT_READ);
            assertThat(ev[0].data()).isEqualTo(5);
            // level-triggered: still readable, reported again
            assertThat(collect(Duration.ZERO)).hasSize(1);
            src.read(ByteBuffer.allocate(5));
            assertThat(collect(Duration.ZERO)).isEmpty();
        }
    }

    @Test
    void pipeReadWithClearReportsOnlyNewData() throws IOException {
        Pipe p = Pipe.open();
        try (var src = p.source(); var sink = p.sink()) {
            int fd = Fd.of(src);
            change(fd, EVFILT_READ, EV_ADD | EV_CLEAR);
            write(sink, 3);
            assertThat(collect(WAIT)).hasSize(1);
            assertThat(collect(Duration.ZERO)).isEmpty();
            write(sink, 4);
            KEvent[] ev = collect(WAIT);
            assertThat(ev).hasSize(1);
            assertThat(ev[0].data()).isEqualTo(7);
        }
    }

    @Test
    void pipeWriterGoneGivesEof() throws IOException {
        Pipe p = Pipe.open();
        try (var src = p.source()) {
            int fd = Fd.of(src);
            change(fd, EVFILT_READ, EV_ADD);
            write(p.sink(), 2);
            p.sink().close();
            KEvent[] ev = collect(WAIT);
            assertThat(ev).hasSize(1);
            assertThat(ev[0].flags() & EV_EOF).isEqualTo(EV_EOF);
            assertThat(ev[0].data()).isEqualTo(2);
        }
    }

    @Test
    void pipeWriteReportsSpaceAndEofWhenReaderGone() throws IOException {
        Pipe p = Pipe.open();
        try (var sink = p.sink()) {
            int fd = Fd.of(sink);
            change(fd, EVFILT_WRITE, EV_ADD);
            KEvent[] ev = collect(WAIT);
            assertThat(ev).hasSize(1);
            assertThat(ev[0].data()).isGreaterThan(0);
            long free = ev[0].data();
            write(sink, 100);
            ev = collect(WAIT);
            assertThat(ev[0].data()).isEqualTo(free - 100);
            p.source().close();
            ev = collect(WAIT);
            assertThat(ev).hasSize(1);
            assertThat(ev[0].flags() & EV_EOF).isEqualTo(EV_EOF);
        }
    }

    @Test
    void socketReadEofAndListenBacklog() throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            int lfd = Fd.of(server);
            change(lfd, EVFILT_READ, EV_ADD);
            assertThat(collect(Duration.ZERO)).isEmpty();
            try (SocketChannel c1 = SocketChannel.open(server.getLocalAddress());
                 SocketChannel c2 = SocketChannel.open(server.getLocalAddress())) {
                KEvent[] ev = collect(WAIT);
                assertThat(ev).hasSize(1);
                assertThat(ev[0].ident()).isEqualTo(lfd);
                assertThat(ev[0].data()).isBetween(1L, 2L);
                try (SocketChannel s1 = server.accept(); SocketChannel s2 = server.accept()) {
                    change(lfd, EVFILT_READ, EV_DELETE);
                    assertThat(collect(Duration.ZERO)).isEmpty();
                    int fd = Fd.of(s1);
                    change(fd, EVFILT_READ, EV_ADD);
                    write(c1, 10);
                    ev = collect(WAIT);
                    assertThat(ev).hasSize(1);
                    assertThat(ev[0].data()).isEqualTo(10);
                    c1.shutdownOutput();
                    // EV_EOF arrives with the unread bytes still counted
                    for (int i = 0; i < 100 && (ev.length == 0 || (ev[0].flags() & EV_EOF) == 0); i++) {
                        ev = collect(WAIT);
                    }
                    assertThat(ev[0].flags() & EV_EOF).isEqualTo(EV_EOF);
                    assertThat(ev[0].data()).isEqualTo(10);
                }
            }
        }
    }

    @Test
    void socketWriteAndEmpty() throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            try (SocketChannel c = SocketChannel.open(server.getLocalAddress()); SocketChannel s = server.accept()) {
                int fd = Fd.of(c);
                change(fd, EVFILT_WRITE, EV_ADD | EV_ONESHOT);
                KEvent[] ev = collect(WAIT);
                assertThat(ev).hasSize(1);
                assertThat(ev[0].filter()).isEqualTo(EVFILT_WRITE);
                assertThat(ev[0].data()).isGreaterThan(0);
                write(c, 1000);
                change(fd, EVFILT_EMPTY, EV_ADD | EV_ONESHOT);
                ev = collect(WAIT);   // loopback drains promptly even though s reads nothing
                assertThat(ev).hasSize(1);
                assertThat(ev[0].filter()).isEqualTo(EVFILT_EMPTY);
            }
        }
    }

    @Test
    void readAndWriteKnotesShareOneDescriptor() throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            try (SocketChannel c = SocketChannel.open(server.getLocalAddress()); SocketChannel s = server.accept()) {
                int fd = Fd.of(s);
                change(fd, EVFILT_READ, EV_ADD | EV_CLEAR);
                change(fd, EVFILT_WRITE, EV_ADD | EV_CLEAR);
                KEvent[] ev = collect(WAIT);
                assertThat(ev).extracting(KEvent::filter).containsExactly(EVFILT_WRITE);
                write(c, 1);
                ev = collect(WAIT);
                // the segment that brings the byte also acknowledges: as on FreeBSD, WRITE may fire too
                assertThat(ev).extracting(KEvent::filter).contains(EVFILT_READ);
                change(fd, EVFILT_WRITE, EV_DELETE);
                write(c, 1);
                ev = collect(WAIT);
                assertThat(ev).extracting(KEvent::filter).containsExactly(EVFILT_READ);
                assertThat(ev[0].data()).isEqualTo(2);
            }
        }
    }

    @Test
    void levelKnoteIsReportedOnEveryCallUntilDrainedAlsoBesideAClearKnote() throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            try (SocketChannel c = SocketChannel.open(server.getLocalAddress()); SocketChannel s = server.accept()) {
                s.configureBlocking(false);
                int fd = Fd.of(s);
                change(fd, EVFILT_READ, EV_ADD);
                write(c, 3);
                for (int call = 0; call < 3; call++) {
                    KEvent[] ev = collect(call == 0 ? WAIT : Duration.ZERO);
                    assertThat(ev).as("call %d", call).hasSize(1);
                    assertThat(ev[0].data()).isEqualTo(3);
                }
                // an EV_CLEAR knote on the same descriptor: the level one keeps firing, the clear one fires once
                change(fd, EVFILT_WRITE, EV_ADD | EV_CLEAR);
                assertThat(collect(Duration.ZERO)).extracting(KEvent::filter).containsExactlyInAnyOrder(EVFILT_READ, EVFILT_WRITE);
                assertThat(collect(Duration.ZERO)).extracting(KEvent::filter).containsExactly(EVFILT_READ);
                change(fd, EVFILT_WRITE, EV_DELETE);
                assertThat(collect(Duration.ZERO)).extracting(KEvent::filter).containsExactly(EVFILT_READ);
                s.read(ByteBuffer.allocate(2));
                assertThat(collect(Duration.ZERO)).extracting(KEvent::data).containsExactly(1L);
                s.read(ByteBuffer.allocate(1));
                assertThat(collect(Duration.ZERO)).isEmpty();
                assertThat(collect(Duration.ofMillis(50))).isEmpty();
            }
        }
    }

    @Test
    void disabledLevelKnoteStaysSilentWhileReadableUntilEnabled() throws IOException {
        Pipe p = Pipe.open();
        try (var src = p.source(); var sink = p.sink()) {
            int fd = Fd.of(src);
            change(fd, EVFILT_READ, EV_ADD);
            write(sink, 2);
            assertThat(collect(WAIT)).hasSize(1);
            change(fd, EVFILT_READ, EV_DISABLE);
            assertThat(collect(Duration.ZERO)).isEmpty();
            assertThat(collect(Duration.ofMillis(100))).isEmpty();
            write(sink, 1);
            assertThat(collect(Duration.ofMillis(50))).isEmpty();
            change(fd, EVFILT_READ, EV_ENABLE);
            KEvent[] ev = collect(WAIT);
            assertThat(ev).hasSize(1);
            assertThat(ev[0].data()).isEqualTo(3);
            assertThat(collect(Duration.ZERO)).hasSize(1);
        }
    }

    @Test
    void lowWaterMarkAboveWhatIsReadableDoesNotReportWhileABlockedWaiterWaits() throws Exception {
        Pipe p = Pipe.open();
        try (var src = p.source(); var sink = p.sink()) {
            int fd = Fd.of(src);
            change(fd, EVFILT_READ, EV_ADD, NOTE_LOWAT, 8);
            write(sink, 4);   // readable for epoll, not for the knote
            assertThat(collect(Duration.ofMillis(100))).isEmpty();
            var waiter = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return collect(WAIT);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            write(sink, 4);
            KEvent[] ev = waiter.get(30, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(ev).hasSize(1);
            assertThat(ev[0].data()).isEqualTo(8);
        }
    }

    @Test
    void aNumberWatchedBeforeItsChannelWasKnownIsTheSameFile(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("f");
        Files.write(f, new byte[7]);
        try (java.io.FileInputStream in = new java.io.FileInputStream(f.toFile())) {
            int fd = Fd.of(in.getFD());
            kq.kevent(new KEvent[] {KEvent.of(fd, EVFILT_READ, EV_ADD, 0, 0, "by number")}, null, null);
            assertThat(Fd.of(in.getChannel())).isEqualTo(fd);
            kq.kevent(new KEvent[] {KEvent.of(fd, EVFILT_WRITE, EV_ADD, 0, 0, "by channel")}, null, null);
            KEvent[] ev = collect(WAIT);
            assertThat(ev).extracting(KEvent::udata).containsExactlyInAnyOrder("by number", "by channel");
        }
    }

    @Test
    void descriptorEventsAreNotStarvedByInJvmEventsThatAreAlwaysReady() throws Exception {
        Pipe p = Pipe.open();
        try (var src = p.source(); var sink = p.sink()) {
            int fd = Fd.of(src);
            // a level-triggered user event that stays triggered, and a 1 ns periodic timer: always something queued
            kq.kevent(new KEvent[] {
                    KEvent.of(1, EVFILT_USER, EV_ADD, NOTE_TRIGGER, 0, null),
                    KEvent.of(2, EVFILT_TIMER, EV_ADD, NOTE_NSECONDS, 1, null),
                    KEvent.of(fd, EVFILT_READ, EV_ADD, 0, 0, null)}, null, null);
            // a steady stream from another thread too
            Thread triggering = Thread.ofPlatform().daemon().start(() -> {
                KEvent[] trigger = {KEvent.of(1, EVFILT_USER, 0, NOTE_TRIGGER, 0, null)};
                while (!Thread.currentThread().isInterrupted()) {
                    try {
                        kq.kevent(trigger, null, Duration.ZERO);
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            try {
                write(sink, 3);
                KEvent[] one = new KEvent[1];
                int calls = 0;
                boolean seen = false;
                // each call hands out one event; the pipe's must come within a few, not wait for the stream to stop
                while (!seen && calls < 10) {
                    assertThat(kq.kevent(null, one, WAIT)).isEqualTo(1);
                    seen = one[0].filter() == EVFILT_READ;
                    calls++;
                }
                assertThat(seen).as("EVFILT_READ within %d calls of one event each", calls).isTrue();
                assertThat(one[0].data()).isEqualTo(3);
            } finally {
                triggering.interrupt();
                triggering.join();
            }
        }
    }

    @Test
    void lowWaterMark() throws IOException {
        Pipe p = Pipe.open();
        try (var src = p.source(); var sink = p.sink()) {
            int fd = Fd.of(src);
            change(fd, EVFILT_READ, EV_ADD, NOTE_LOWAT, 10);
            write(sink, 5);
            assertThat(collect(Duration.ofMillis(100))).isEmpty();
            write(sink, 5);
            KEvent[] ev = collect(WAIT);
            assertThat(ev).hasSize(1);
            assertThat(ev[0].data()).isEqualTo(10);
        }
    }

    @Test
    void regularFileReadsBytesToEof(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("f");
        Files.write(f, new byte[100]);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            int fd = Fd.of(ch);
            change(fd, EVFILT_READ, EV_ADD);
            KEvent[] ev = collect(WAIT);
            assertThat(ev).hasSize(1);
            assertThat(ev[0].data()).isEqualTo(100);
            ch.position(60);
            ev = collect(WAIT);
            assertThat(ev[0].data()).isEqualTo(40);
            ch.position(100);
            assertThat(collect(Duration.ZERO)).isEmpty();
            change(fd, EVFILT_READ, EV_ADD, NOTE_FILE_POLL, 0);
            ev = collect(Duration.ZERO);
            assertThat(ev).hasSize(1);
            assertThat(ev[0].data()).isZero();
            change(fd, EVFILT_WRITE, EV_ADD);
            assertThat(collect(Duration.ZERO)).hasSize(2);
        }
    }

    @Test
    void closedDescriptorIsNeverReportedAndItsNumberStartsClean() throws IOException {
        Pipe p = Pipe.open();
        var sink = p.sink();
        int fd = Fd.of(p.source());
        change(fd, EVFILT_READ, EV_ADD);
        write(sink, 1);
        assertThat(collect(WAIT)).hasSize(1);
        p.source().close();
        assertThat(collect(Duration.ofMillis(50))).isEmpty();
        // a new pipe whose read end reuses the number gets no old knote
        Pipe q = Pipe.open();
        try (var src2 = q.source(); var sink2 = q.sink()) {
            int fd2 = Fd.of(src2);
            if (fd2 == fd) {
                assertThat(collect(Duration.ZERO)).isEmpty();
                change(fd2, EVFILT_READ, EV_ADD | EV_CLEAR);
                write(sink2, 3);
                KEvent[] ev = collect(WAIT);
                assertThat(ev).hasSize(1);
                assertThat(ev[0].data()).isEqualTo(3);
            }
        } finally {
            sink.close();
        }
        assertThatThrownBy(() -> change(fd, EVFILT_READ, EV_DELETE)).isInstanceOf(KQueueException.class);
    }

    @Test
    void deletingTheKnoteOfAClosedDescriptorWhoseNumberWasReusedIsEnoent() throws IOException {
        // knote_fdclose: the knote died with the close, so the new file of that number has none
        Pipe p = Pipe.open();
        int fd = Fd.of(p.source());
        change(fd, EVFILT_READ, EV_ADD);
        p.source().close();
        p.sink().close();
        java.util.List<Pipe> held = new java.util.ArrayList<>();
        try {
            Pipe q = null;
            for (int i = 0; i < 64 && q == null; i++) {   // the lowest free number is usually the one just freed
                Pipe c = Pipe.open();
                held.add(c);
                q = Fd.of(c.source()) == fd || Fd.of(c.sink()) == fd ? c : null;
            }
            assertThat(q).as("a new pipe reuses descriptor %d", fd).isNotNull();
            assertThat(catchThrowableOfType(KQueueException.class, () -> change(fd, EVFILT_READ, EV_DELETE)).errno())
                    .isEqualTo(Errno.ENOENT);
        } finally {
            for (Pipe c : held) {
                c.source().close();
                c.sink().close();
            }
        }
    }

    @Test
    void aClosedDescriptorIsNeverReportedEvenIfItWasQueued() throws Exception {
        Pipe p = Pipe.open();
        int fd = Fd.of(p.source());
        change(fd, EVFILT_READ, EV_ADD);
        write(p.sink(), 1);
        assertThat(collect(WAIT)).hasSize(1);   // level-triggered: it stays queued for the next scan
        p.source().close();
        p.sink().close();
        // a new pipe whose read end may reuse the number has data: the old knote must not report it
        Pipe q = Pipe.open();
        try (var src2 = q.source(); var sink2 = q.sink()) {
            write(sink2, 1);
            java.util.List<KEvent> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
            Thread waiter = Thread.ofPlatform().start(() -> {
                try {
                    KEvent[] out = new KEvent[4];
                    int n = kq.kevent(null, out, Duration.ofMillis(300));
                    seen.addAll(java.util.Arrays.asList(out).subList(0, n));
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            waiter.join(10_000);
            assertThat(waiter.isAlive()).isFalse();
            assertThat(seen).as("events for a closed descriptor").isEmpty();
        }
    }

    @Test
    void badDescriptorIsEbadf() {
        assertThatThrownBy(() -> change(100_000, EVFILT_READ, EV_ADD))
                .isInstanceOfSatisfying(KQueueException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EBADF));
        assertThatThrownBy(() -> change(-5, EVFILT_WRITE, EV_ADD))
                .isInstanceOfSatisfying(KQueueException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EBADF));
    }

    @Test
    void dispatchHandsAConnectionToOneWorkerUntilReenabled() throws IOException {
        Pipe p = Pipe.open();
        try (var src = p.source(); var sink = p.sink()) {
            int fd = Fd.of(src);
            change(fd, EVFILT_READ, EV_ADD | EV_DISPATCH);
            write(sink, 1);
            assertThat(collect(WAIT)).hasSize(1);
            write(sink, 1);
            assertThat(collect(Duration.ofMillis(50))).isEmpty();
            change(fd, EVFILT_READ, EV_ENABLE);
            KEvent[] ev = collect(WAIT);
            assertThat(ev).hasSize(1);
            assertThat(ev[0].data()).isEqualTo(2);
        }
    }
}
