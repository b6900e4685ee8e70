package io.jkqueue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static io.jkqueue.KEvent.*;
import static io.jkqueue.Kq.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * EVFILT_READ / EVFILT_WRITE on anonymous pipes and FIFOs (filt_piperead,
 * filt_pipewrite; FreeBSD's tests/sys/kqueue and libkqueue's pipe tests):
 * byte counts, end of file, the EV_* flags, NOTE_LOWAT, and a pipe closed
 * while it is watched or while a thread waits.
 */
@ExtendWith(KqExtension.class)
class PipeAndFifoTest {
    private final KQueue kq;

    PipeAndFifoTest(KQueue kq) {
        this.kq = kq;
    }

    /** A FIFO with one reader (a FileInputStream: its FileDescriptor gives the number) and one writer. */
    private record Fifo(Path path, FileInputStream reader, FileChannel writer) implements AutoCloseable {
        static Fifo open(Path dir) throws IOException, InterruptedException {
            Path path = dir.resolve("fifo");
            Process mkfifo = new ProcessBuilder("mkfifo", path.toString()).redirectErrorStream(true).start();
            assertThat(mkfifo.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).as("mkfifo finished").isTrue();
            assertThat(mkfifo.exitValue()).as("mkfifo exit status").isZero();
            // opening one end alone blocks until the other end is open; a read-write
            // open does not, and holding one lets each end open at once
            try (RandomAccessFile both = new RandomAccessFile(path.toFile(), "rw")) {
                FileInputStream reader = new FileInputStream(path.toFile());
                return new Fifo(path, reader, FileChannel.open(path, StandardOpenOption.WRITE));
            }
        }

        int readerFd() throws IOException {
            return Fd.of(reader.getFD());
        }

        FileChannel newWriter() throws IOException {
            return FileChannel.open(path, StandardOpenOption.WRITE);   // a reader is open: no wait
        }

        @Override
        public void close() throws IOException {
            try (reader; writer) {
                // both closed
            }
        }
    }

    // ---- pipes ----------------------------------------------------------------

    @Test
    void pipeReadIsLevelTriggeredWithByteCount() throws IOException {
        Pipe p = Pipe.open();
        try (var src = p.source(); var sink = p.sink()) {
            int fd = Fd.of(src);
            add(kq, fd, EVFILT_READ, EV_ADD);
            assertThat(poll(kq, 16)).isEmpty();
            write(sink, 5);
            List<KEvent> ev = waitFor(kq, 16, WAIT);
            assertThat(ev).hasSize(1);
            assertThat(ev.get(0).ident()).isEqualTo(fd);
            assertThat(ev.get(0).filter()).isEqualTo(EVFILT_READ);
            assertThat(ev.get(0).data()).isEqualTo(5);
            // level-triggered: still readable, reported again
            assertThat(poll(kq, 16)).hasSize(1);
            src.read(ByteBuffer.allocate(5));
            assertThat(poll(kq, 16)).isEmpty();
        }
    }

    @Test
    void pipeReadWithClearReportsOnlyNewData() throws IOException {
        Pipe p = Pipe.open();
        try (var src = p.source(); var sink = p.sink()) {
            int fd = Fd.of(src);
            add(kq, fd, EVFILT_READ, EV_ADD | EV_CLEAR);
            write(sink, 3);
            assertThat(waitFor(kq, 16, WAIT)).hasSize(1);
            assertThat(poll(kq, 16)).isEmpty();
            write(sink, 4);
            List<KEvent> ev = waitFor(kq, 16, WAIT);
            assertThat(ev).hasSize(1);
            assertThat(ev.get(0).data()).isEqualTo(7);
        }
    }

    @Test
    void pipeWriterGoneGivesEof() throws IOException {
        Pipe p = Pipe.open();
        try (var src = p.source()) {
            int fd = Fd.of(src);
            add(kq, fd, EVFILT_READ, EV_ADD);
            write(p.sink(), 2);
            p.sink().close();
            List<KEvent> ev = waitFor(kq, 16, WAIT);
            assertThat(ev).hasSize(1);
            assertThat(ev.get(0).flags() & EV_EOF).isEqualTo(EV_EOF);
            assertThat(ev.get(0).data()).isEqualTo(2);
        }
    }

    @Test
    void pipeWriteReportsSpaceAndEofWhenReaderGone() throws IOException {
        Pipe p = Pipe.open();
        try (var sink = p.sink()) {
            int fd = Fd.of(sink);
            add(kq, fd, EVFILT_WRITE, EV_ADD);
            List<KEvent> ev = waitFor(kq, 16, WAIT);
            assertThat(ev).hasSize(1);
            assertThat(ev.get(0).data()).isGreaterThan(0);
            long free = ev.get(0).data();
            write(sink, 100);
            ev = waitFor(kq, 16, WAIT);
            assertThat(ev.get(0).data()).isEqualTo(free - 100);
            p.source().close();
            ev = waitFor(kq, 16, WAIT);
            assertThat(ev).hasSize(1);
            assertThat(ev.get(0).flags() & EV_EOF).isEqualTo(EV_EOF);
        }
    }

    @Test
    void disabledLevelKnoteStaysSilentWhileReadableUntilEnabled() throws IOException {
        Pipe p = Pipe.open();
        try (var src = p.source(); var sink = p.sink()) {
            int fd = Fd.of(src);
            add(kq, fd, EVFILT_READ, EV_ADD);
            write(sink, 2);
            assertThat(waitFor(kq, 16, WAIT)).hasSize(1);
            add(kq, fd, EVFILT_READ, EV_DISABLE);
            assertThat(poll(kq, 16)).isEmpty();
            assertThat(waitFor(kq, 16, Duration.ofMillis(100))).isEmpty();
            write(sink, 1);
            assertThat(waitFor(kq, 16, Duration.ofMillis(50))).isEmpty();
            add(kq, fd, EVFILT_READ, EV_ENABLE);
            List<KEvent> ev = waitFor(kq, 16, WAIT);
            assertThat(ev).hasSize(1);
            assertThat(ev.get(0).data()).isEqualTo(3);
            assertThat(poll(kq, 16)).hasSize(1);
        }
    }

    @Test
    void dispatchHandsAConnectionToOneWorkerUntilReenabled() throws IOException {
        Pipe p = Pipe.open();
        try (var src = p.source(); var sink = p.sink()) {
            int fd = Fd.of(src);
            add(kq, fd, EVFILT_READ, EV_ADD | EV_DISPATCH);
            write(sink, 1);
            assertThat(waitFor(kq, 16, WAIT)).hasSize(1);
            write(sink, 1);
            assertThat(waitFor(kq, 16, Duration.ofMillis(50))).isEmpty();
            add(kq, fd, EVFILT_READ, EV_ENABLE);
            List<KEvent> ev = waitFor(kq, 16, WAIT);
            assertThat(ev).hasSize(1);
            assertThat(ev.get(0).data()).isEqualTo(2);
        }
    }

    @Test
    void lowWaterMark() throws IOException {
        Pipe p = Pipe.open();
        try (var src = p.source(); var sink = p.sink()) {
            int fd = Fd.of(src);
            apply(kq, ev(fd, EVFILT_READ, EV_ADD, NOTE_LOWAT, 10, null));
            write(sink, 5);
            assertThat(waitFor(kq, 16, Duration.ofMillis(100))).isEmpty();
            write(sink, 5);
            List<KEvent> ev = waitFor(kq, 16, WAIT);
            assertThat(ev).hasSize(1);
            assertThat(ev.get(0).data()).isEqualTo(10);
        }
    }

    @Test
    void lowWaterMarkAboveWhatIsReadableDoesNotReportWhileABlockedWaiterWaits() throws Exception {
        Pipe p = Pipe.open();
        try (var src = p.source(); var sink = p.sink()) {
            int fd = Fd.of(src);
            apply(kq, ev(fd, EVFILT_READ, EV_ADD, NOTE_LOWAT, 8, null));
            write(sink, 4);   // readable for epoll, not for the knote
            assertThat(waitFor(kq, 16, Duration.ofMillis(100))).isEmpty();
            Background<List<KEvent>> waiter = inBackground(() -> waitFor(kq, 16, WAIT));
            awaitBlockedInKevent(waiter.thread());
            write(sink, 4);
            List<KEvent> ev = waiter.get();
            assertThat(ev).hasSize(1);
            assertThat(ev.get(0).data()).isEqualTo(8);
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

    // ---- a closed pipe --------------------------------------------------------

    @Test
    void closedDescriptorIsNeverReportedAndItsNumberStartsClean() throws IOException {
        Pipe p = Pipe.open();
        var sink = p.sink();
        int fd = Fd.of(p.source());
        add(kq, fd, EVFILT_READ, EV_ADD);
        write(sink, 1);
        assertThat(waitFor(kq, 16, WAIT)).hasSize(1);
        p.source().close();
        assertThat(waitFor(kq, 16, Duration.ofMillis(50))).isEmpty();
        // a new pipe whose read end reuses the number gets no old knote
        Pipe q = Pipe.open();
        try (var src2 = q.source(); var sink2 = q.sink()) {
            int fd2 = Fd.of(src2);
            if (fd2 == fd) {
                assertThat(poll(kq, 16)).isEmpty();
                add(kq, fd2, EVFILT_READ, EV_ADD | EV_CLEAR);
                write(sink2, 3);
                List<KEvent> ev = waitFor(kq, 16, WAIT);
                assertThat(ev).hasSize(1);
                assertThat(ev.get(0).data()).isEqualTo(3);
            }
        } finally {
            sink.close();
        }
        assertThatThrownBy(() -> add(kq, fd, EVFILT_READ, EV_DELETE)).isInstanceOf(KQueueException.class);
    }

    @Test
    void deletingTheKnoteOfAClosedDescriptorWhoseNumberWasReusedIsEnoent() throws IOException {
        // knote_fdclose: the knote died with the close, so the new file of that number has none
        Pipe p = Pipe.open();
        int fd = Fd.of(p.source());
        add(kq, fd, EVFILT_READ, EV_ADD);
        p.source().close();
        p.sink().close();
        List<Pipe> held = new ArrayList<>();
        try {
            Pipe q = null;
            for (int i = 0; i < 64 && q == null; i++) {   // the lowest free number is usually the one just freed
                Pipe c = Pipe.open();
                held.add(c);
                q = Fd.of(c.source()) == fd || Fd.of(c.sink()) == fd ? c : null;
            }
            assertThat(q).as("a new pipe reuses descriptor %d", fd).isNotNull();
            assertThat(catchThrowableOfType(KQueueException.class, () -> add(kq, fd, EVFILT_READ, EV_DELETE)).errno())
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
        add(kq, fd, EVFILT_READ, EV_ADD);
        write(p.sink(), 1);
        assertThat(waitFor(kq, 16, WAIT)).hasSize(1);   // level-triggered: it stays queued for the next scan
        p.source().close();
        p.sink().close();
        // a new pipe whose read end may reuse the number has data: the old knote must not report it
        Pipe q = Pipe.open();
        try (var src2 = q.source(); var sink2 = q.sink()) {
            write(sink2, 1);
            List<KEvent> seen = new CopyOnWriteArrayList<>();
            Thread waiter = Thread.ofPlatform().start(() -> {
                try {
                    KEvent[] out = new KEvent[4];
                    int n = kq.kevent(null, out, Duration.ofMillis(300));
                    seen.addAll(Arrays.asList(out).subList(0, n));
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            waiter.join(WAIT);
            assertThat(waiter.isAlive()).isFalse();
            assertThat(seen).as("events for a closed descriptor").isEmpty();
        }
    }

    /**
     * The watched number is closed while a thread waits in kevent, then its
     * file (kept open by a dup, so the kernel keeps reporting it) gets data
     * and end of file, which would fire the knote even with data 0: the
     * waiter must not get that event. A user event ends the wait.
     */
    private void closeWhileWaiting(int fd, AutoCloseable closeIt, ThrowingRunnable writeAndHangUp) throws Throwable {
        int keep = Native.dup(fd);
        // opened before the close, so that nothing the test opens afterwards takes the number
        try (KQueue probe = KQueue.open()) {
            Kq.apply(probe, Kq.ev(keep, EVFILT_READ, EV_ADD));
            add(kq, fd, EVFILT_READ, EV_ADD);
            Kq.apply(kq, Kq.user(1, EV_ADD | EV_CLEAR));
            assertNoEvents(kq);
            CompletableFuture<List<KEvent>> waiter = new CompletableFuture<>();
            Thread t = Thread.ofPlatform().name("kevent-waiter").start(() -> {
                try {
                    waiter.complete(Kq.waitFor(kq, 8, WAIT.multipliedBy(2)));
                } catch (Throwable e) {
                    waiter.completeExceptionally(e);
                }
            });
            awaitBlockedInKevent(t);

            closeIt.close();
            writeAndHangUp.run();
            // the probe on the dup sees the end of file, so the waiter's epoll set has heard of it too
            List<KEvent> seen = Kq.waitFor(probe, 4, WAIT);
            assertThat(seen).as("the file is at end of file").hasSize(1);
            assertThat(eof(seen.get(0))).isTrue();

            Kq.apply(kq, Kq.trigger(1));
            List<KEvent> got = waiter.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(got).as("what the waiter got").extracting(KEvent::filter).containsExactly(EVFILT_USER);
            assertNoEvents(kq);
            t.join(WAIT.toMillis());
        } finally {
            Native.close(keep);
        }
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void closingAPipeWhileAThreadWaitsDeliversNothingForIt() throws Throwable {
        Pipe p = Pipe.open();
        try (var sink = p.sink()) {
            closeWhileWaiting(Fd.of(p.source()), p.source(), () -> {
                write(sink, 1);
                sink.close();
            });
        }
    }

    // ---- FIFOs ----------------------------------------------------------------

    @Test
    void fifoReadCountsBytesAndEofWhenTheLastWriterCloses(@TempDir Path dir) throws Exception {
        try (Fifo f = Fifo.open(dir)) {
            int fd = f.readerFd();
            add(kq, fd, EVFILT_READ, EV_ADD);
            assertNoEvents(kq);
            write(f.writer(), 7);
            KEvent ev = awaitOne(kq);
            assertThat(ev.ident()).isEqualTo(fd);
            assertThat(ev.data()).isEqualTo(7);
            assertThat(eof(ev)).isFalse();

            assertThat(f.reader().readNBytes(3)).hasSize(3);
            ev = awaitOne(kq);
            assertThat(ev.data()).as("level-triggered, after a partial read").isEqualTo(4);

            f.writer().close();
            ev = awaitUntil(kq, fd, EVFILT_READ, Kq::eof);
            assertThat(ev.data()).as("what is left is still counted").isEqualTo(4);
            assertThat(f.reader().readNBytes(4)).hasSize(4);
            List<KEvent> evs = Kq.poll(kq);
            assertThat(evs).as("end of file lasts").hasSize(1);
            assertThat(eof(evs.get(0))).isTrue();
            assertThat(evs.get(0).data()).isZero();
        }
    }

    @Test
    void fifoEofEndsWhenAWriterOpensAgain(@TempDir Path dir) throws Exception {
        try (Fifo f = Fifo.open(dir)) {
            int fd = f.readerFd();
            add(kq, fd, EVFILT_READ, EV_ADD);
            write(f.writer(), 2);
            f.writer().close();
            assertThat(awaitUntil(kq, fd, EVFILT_READ, Kq::eof).data()).isEqualTo(2);
            assertThat(f.reader().readNBytes(2)).hasSize(2);

            // a new writer: the FIFO is no longer at end of file (filt_piperead
            // clears EV_EOF for a named pipe once a writer is back)
            try (FileChannel again = f.newWriter()) {
                assertNoEvents(kq);
                write(again, 3);
                KEvent ev = awaitOne(kq);
                assertThat(ev.data()).isEqualTo(3);
                assertThat(eof(ev)).as("EV_EOF while a writer is open").isFalse();
                assertThat(f.reader().readNBytes(3)).hasSize(3);
                assertNoEvents(kq);
            }
            // and the second writer's close is the end again
            assertThat(awaitUntil(kq, fd, EVFILT_READ, Kq::eof).data()).isZero();
        }
    }

    @Test
    void fifoWriteSpaceAndEofWhenTheReaderCloses(@TempDir Path dir) throws Exception {
        try (Fifo f = Fifo.open(dir)) {
            int wfd = Fd.of(f.writer());
            add(kq, wfd, EVFILT_WRITE, EV_ADD);
            KEvent ev = awaitOne(kq);
            assertThat(ev.ident()).isEqualTo(wfd);
            long space = ev.data();
            assertThat(space).as("an empty FIFO's whole buffer").isGreaterThanOrEqualTo(4096);
            assertThat(eof(ev)).isFalse();

            write(f.writer(), 100);
            List<KEvent> evs = Kq.poll(kq);
            assertThat(evs).hasSize(1);
            assertThat(evs.get(0).data()).isEqualTo(space - 100);
            assertThat(f.reader().readNBytes(100)).hasSize(100);
            assertThat(awaitOne(kq).data()).isEqualTo(space);

            f.reader().close();
            ev = awaitUntil(kq, wfd, EVFILT_WRITE, Kq::eof);
            assertThat(ev.filter()).isEqualTo(EVFILT_WRITE);

            // a new reader: writable again, without EV_EOF (filt_pipewrite)
            try (FileInputStream again = new FileInputStream(f.path().toFile())) {
                ev = awaitUntil(kq, wfd, EVFILT_WRITE, e -> !eof(e));
                assertThat(ev.data()).isEqualTo(space);
            }
        }
    }

    @Test
    void closingAFifoWhileAThreadWaitsDeliversNothingForIt(@TempDir Path dir) throws Throwable {
        try (Fifo f = Fifo.open(dir)) {
            closeWhileWaiting(f.readerFd(), f.reader(), () -> {
                write(f.writer(), 1);
                f.writer().close();
            });
        }
    }
}
