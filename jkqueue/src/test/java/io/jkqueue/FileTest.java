package io.jkqueue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.FileInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static io.jkqueue.KEvent.*;
import static io.jkqueue.Kq.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * EVFILT_READ / EVFILT_WRITE / EVFILT_EMPTY on regular files (filt_vfsread,
 * filt_vfswrite; FreeBSD's tests/sys/kqueue and libkqueue's read tests).
 */
@ExtendWith(KqExtension.class)
class FileTest {
    private final KQueue kq;

    FileTest(KQueue kq) {
        this.kq = kq;
    }

    @Test
    void regularFileReadsBytesToEof(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("f");
        Files.write(f, new byte[100]);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            int fd = Fd.of(ch);
            add(kq, fd, EVFILT_READ, EV_ADD);
            List<KEvent> ev = waitFor(kq, 16, WAIT);
            assertThat(ev).hasSize(1);
            assertThat(ev.get(0).data()).isEqualTo(100);
            ch.position(60);
            ev = waitFor(kq, 16, WAIT);
            assertThat(ev.get(0).data()).isEqualTo(40);
            ch.position(100);
            assertThat(poll(kq, 16)).isEmpty();
            apply(kq, ev(fd, EVFILT_READ, EV_ADD, NOTE_FILE_POLL, 0, null));
            ev = poll(kq, 16);
            assertThat(ev).hasSize(1);
            assertThat(ev.get(0).data()).isZero();
            add(kq, fd, EVFILT_WRITE, EV_ADD);
            assertThat(poll(kq, 16)).hasSize(2);
        }
    }

    @Test
    void regularFileReadFiresAgainWhenTheFileGrows(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("grows");
        Files.write(p, new byte[10]);
        try (FileChannel in = FileChannel.open(p, StandardOpenOption.READ);
             FileChannel out = FileChannel.open(p, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            int fd = Fd.of(in);
            add(kq, fd, EVFILT_READ, EV_ADD);
            assertThat(awaitOne(kq).data()).isEqualTo(10);
            in.read(ByteBuffer.allocate(10));
            assertNoEvents(kq);

            // read to the end: a write that extends the file makes it readable again
            write(out, 5);
            KEvent ev = awaitOne(kq);
            assertThat(ev.ident()).isEqualTo(fd);
            assertThat(ev.data()).as("bytes from the offset to the new end").isEqualTo(5);
            in.read(ByteBuffer.allocate(5));
            assertNoEvents(kq);
        }
    }

    @Test
    void regularFileWithFilePollFiresAtEndOfFileToo(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("poll");
        Files.write(p, new byte[3]);
        try (FileChannel in = FileChannel.open(p, StandardOpenOption.READ);
             FileChannel out = FileChannel.open(p, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            int fd = Fd.of(in);
            in.position(3);
            Kq.apply(kq, Kq.ev(fd, EVFILT_READ, EV_ADD, NOTE_FILE_POLL, 0, null));
            KEvent ev = awaitOne(kq);
            assertThat(ev.data()).isZero();
            assertThat(ev.fflags()).isZero();
            write(out, 8);
            List<KEvent> evs = Kq.poll(kq);
            assertThat(evs).hasSize(1);
            assertThat(evs.get(0).data()).isEqualTo(8);
            // without NOTE_FILE_POLL (a modify replaces sfflags) it is quiet at the end again
            in.position(11);
            Kq.apply(kq, Kq.ev(fd, EVFILT_READ, EV_ADD, 0, 0, null));
            assertNoEvents(kq);
        }
    }

    @Test
    void regularFileIsAlwaysWritableWithDataZero(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("w");
        try (FileChannel out = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
             FileChannel in = FileChannel.open(p, StandardOpenOption.READ)) {
            int fd = Fd.of(out);
            add(kq, fd, EVFILT_WRITE, EV_ADD);
            KEvent ev = awaitOne(kq);
            assertThat(ev.filter()).isEqualTo(EVFILT_WRITE);
            assertThat(ev.data()).isZero();
            assertThat(ev.flags() & (EV_EOF | EV_ERROR)).isZero();
            write(out, 4096);
            List<KEvent> evs = Kq.poll(kq);
            assertThat(evs).as("still writable after a write").hasSize(1);
            assertThat(evs.get(0).data()).isZero();

            // the open mode does not matter (filt_vfswrite)
            int rfd = Fd.of(in);
            add(kq, fd, EVFILT_WRITE, EV_DELETE);
            add(kq, rfd, EVFILT_WRITE, EV_ADD | EV_ONESHOT);
            ev = awaitOne(kq);
            assertThat(ev.ident()).isEqualTo(rfd);
            assertThat(ev.data()).isZero();
            assertNoEvents(kq);
        }
    }

    @Test
    void aNumberWatchedBeforeItsChannelWasKnownIsTheSameFile(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("f");
        Files.write(f, new byte[7]);
        try (FileInputStream in = new FileInputStream(f.toFile())) {
            int fd = Fd.of(in.getFD());
            kq.kevent(new KEvent[] {KEvent.of(fd, EVFILT_READ, EV_ADD, 0, 0, "by number")}, null, null);
            assertThat(Fd.of(in.getChannel())).isEqualTo(fd);
            kq.kevent(new KEvent[] {KEvent.of(fd, EVFILT_WRITE, EV_ADD, 0, 0, "by channel")}, null, null);
            List<KEvent> ev = waitFor(kq, 16, WAIT);
            assertThat(ev).extracting(KEvent::udata).containsExactlyInAnyOrder("by number", "by channel");
        }
    }

    @Test
    void emptyFilterIsOnlyForSockets(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("e");
        Files.write(p, new byte[1]);
        Pipe pipe = Pipe.open();
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ); var src = pipe.source(); var sink = pipe.sink()) {
            assertThat(Kq.applyFails(kq, Kq.ev(Fd.of(ch), EVFILT_EMPTY, EV_ADD))).isEqualTo(Errno.EINVAL);
            assertThat(Kq.applyFails(kq, Kq.ev(Fd.of(sink), EVFILT_EMPTY, EV_ADD))).isEqualTo(Errno.EINVAL);
            assertNoEvents(kq);
        }
    }
}
