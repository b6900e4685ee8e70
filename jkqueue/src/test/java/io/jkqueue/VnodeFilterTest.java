package io.jkqueue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.jkqueue.KEvent.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** EVFILT_VNODE on real files and directories (tests/sys/kqueue vnode.c, libkqueue vnode tests). */
class VnodeFilterTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final int ALL = NOTE_DELETE | NOTE_WRITE | NOTE_EXTEND | NOTE_ATTRIB | NOTE_LINK | NOTE_RENAME
            | NOTE_REVOKE | NOTE_OPEN | NOTE_CLOSE | NOTE_CLOSE_WRITE | NOTE_READ;

    @TempDir
    Path dir;
    private KQueue kq;
    private final List<FileChannel> open = new ArrayList<>();

    @BeforeEach
    void openKqueue() throws IOException {
        kq = KQueue.open();
    }

    @AfterEach
    void closeAll() throws IOException {
        kq.close();
        for (FileChannel ch : open) {
            ch.close();
        }
    }

    private int watch(Path p, int fflags) throws IOException {
        FileChannel ch = FileChannel.open(p, StandardOpenOption.READ);
        open.add(ch);
        int fd = Fd.of(ch);
        kq.kevent(new KEvent[] {KEvent.of(fd, EVFILT_VNODE, EV_ADD, fflags, 0, p)}, null, null);
        return fd;
    }

    /** The fflags reported for {@code fd} until it shows all of {@code expected}. */
    private int waitFor(int fd, int expected) throws IOException {
        int seen = 0;
        KEvent[] out = new KEvent[8];
        long end = System.nanoTime() + WAIT.toNanos();
        while ((seen & expected) != expected && System.nanoTime() < end) {
            int n = kq.kevent(null, out, Duration.ofMillis(500));
            for (int i = 0; i < n; i++) {
                assertThat(out[i].filter()).isEqualTo(EVFILT_VNODE);
                assertThat(out[i].flags() & EV_CLEAR).as("EV_CLEAR implied").isEqualTo(EV_CLEAR);
                if (out[i].ident() == fd) {
                    seen |= out[i].fflags();
                }
            }
        }
        assertThat(seen & expected).as("fflags 0x%x, expected 0x%x", seen, expected).isEqualTo(expected);
        return seen;
    }

    private void assertQuiet() throws IOException {
        assertThat(kq.kevent(null, new KEvent[4], Duration.ZERO)).isZero();
    }

    @Test
    void writeAndExtend() throws IOException {
        Path f = Files.writeString(dir.resolve("f"), "abc");
        int fd = watch(f, NOTE_WRITE | NOTE_EXTEND);
        assertQuiet();
        Files.writeString(f, "more", StandardOpenOption.APPEND);
        waitFor(fd, NOTE_WRITE | NOTE_EXTEND);
        // an overwrite in place is a write but no extension
        try (FileChannel w = FileChannel.open(f, StandardOpenOption.WRITE)) {
            w.write(ByteBuffer.wrap(new byte[] {'x'}), 0);
        }
        int seen = waitFor(fd, NOTE_WRITE);
        assertThat(seen & NOTE_EXTEND).isZero();
    }

    @Test
    void deleteWhileStillOpenUsesTheLinkCount() throws IOException {
        Path f = Files.writeString(dir.resolve("f"), "abc");
        int fd = watch(f, NOTE_DELETE);
        Files.delete(f);   // our descriptor keeps the inode: no IN_DELETE_SELF, but no link is left
        waitFor(fd, NOTE_DELETE);
    }

    @Test
    void attribLinkRename() throws IOException {
        Path f = Files.writeString(dir.resolve("f"), "abc");
        int fd = watch(f, NOTE_ATTRIB | NOTE_LINK | NOTE_RENAME);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        int seen = waitFor(fd, NOTE_ATTRIB);
        assertThat(seen & (NOTE_LINK | NOTE_RENAME)).isZero();
        Files.createLink(dir.resolve("g"), f);
        waitFor(fd, NOTE_LINK);
        Files.move(f, dir.resolve("h"));
        waitFor(fd, NOTE_RENAME);
    }

    @Test
    void openReadClose() throws IOException {
        Path f = Files.writeString(dir.resolve("f"), "abc");
        int fd = watch(f, NOTE_OPEN | NOTE_READ | NOTE_CLOSE | NOTE_CLOSE_WRITE);
        Files.readString(f);
        waitFor(fd, NOTE_OPEN | NOTE_READ | NOTE_CLOSE);
        Files.writeString(f, "x", StandardOpenOption.APPEND);
        waitFor(fd, NOTE_OPEN | NOTE_CLOSE_WRITE);
    }

    @Test
    void directoryEntriesAreWritesAndSubdirectoriesAreLinks() throws IOException {
        Path d = Files.createDirectory(dir.resolve("d"));
        int fd = watch(d, NOTE_WRITE | NOTE_LINK);
        Files.writeString(d.resolve("child"), "x");
        int seen = waitFor(fd, NOTE_WRITE);
        assertThat(seen & NOTE_LINK).isZero();
        Files.createDirectory(d.resolve("sub"));
        waitFor(fd, NOTE_WRITE | NOTE_LINK);
        Files.delete(d.resolve("child"));
        waitFor(fd, NOTE_WRITE);
        // a child's own changes are not the directory's
        Path other = Files.writeString(dir.resolve("elsewhere"), "y");
        Files.move(other, d.resolve("moved-in"));
        waitFor(fd, NOTE_WRITE);
    }

    @Test
    void onlySubscribedNotesAreReported() throws IOException {
        Path f = Files.writeString(dir.resolve("f"), "abc");
        int fd = watch(f, NOTE_DELETE);
        Files.writeString(f, "more", StandardOpenOption.APPEND);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        assertThat(kq.kevent(null, new KEvent[4], Duration.ofMillis(200))).isZero();
        Files.delete(f);
        assertThat(waitFor(fd, NOTE_DELETE)).isEqualTo(NOTE_DELETE);
    }

    @Test
    void disabledKnoteKeepsWhatHappenedUntilEnabled() throws IOException {
        Path f = Files.writeString(dir.resolve("f"), "abc");
        int fd = watch(f, NOTE_WRITE | NOTE_ATTRIB);
        // as FreeBSD: a change without EV_ADD still sets the subscribed fflags, so pass them each time
        kq.kevent(new KEvent[] {KEvent.of(fd, EVFILT_VNODE, EV_DISABLE, NOTE_WRITE | NOTE_ATTRIB, 0, null)}, null, null);
        Files.writeString(f, "more", StandardOpenOption.APPEND);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        assertThat(kq.kevent(null, new KEvent[4], Duration.ofMillis(200))).isZero();
        kq.kevent(new KEvent[] {KEvent.of(fd, EVFILT_VNODE, EV_ENABLE, NOTE_WRITE | NOTE_ATTRIB, 0, null)}, null, null);
        waitFor(fd, NOTE_WRITE | NOTE_ATTRIB);
    }

    @Test
    void dispatchReportsOnceUntilReenabled() throws IOException {
        Path f = Files.writeString(dir.resolve("f"), "abc");
        FileChannel ch = FileChannel.open(f, StandardOpenOption.READ);
        open.add(ch);
        int fd = Fd.of(ch);
        kq.kevent(new KEvent[] {KEvent.of(fd, EVFILT_VNODE, EV_ADD | EV_DISPATCH, NOTE_WRITE, 0, null)}, null, null);
        Files.writeString(f, "1", StandardOpenOption.APPEND);
        waitFor(fd, NOTE_WRITE);
        Files.writeString(f, "2", StandardOpenOption.APPEND);
        assertThat(kq.kevent(null, new KEvent[4], Duration.ofMillis(200))).as("disabled after delivery").isZero();
        kq.kevent(new KEvent[] {KEvent.of(fd, EVFILT_VNODE, EV_ENABLE, NOTE_WRITE, 0, null)}, null, null);
        waitFor(fd, NOTE_WRITE);   // what happened while disabled is still reported
    }

    @Test
    void oneFileWatchedByTwoKqueuesReportsInBoth() throws IOException {
        Path f = Files.writeString(dir.resolve("f"), "abc");
        int fd = watch(f, NOTE_WRITE);
        try (KQueue other = KQueue.open()) {
            other.kevent(new KEvent[] {KEvent.of(fd, EVFILT_VNODE, EV_ADD, NOTE_WRITE, 0, null)}, null, null);
            Files.writeString(f, "more", StandardOpenOption.APPEND);
            waitFor(fd, NOTE_WRITE);
            KEvent[] out = new KEvent[4];
            assertThat(other.kevent(null, out, WAIT)).isEqualTo(1);
            assertThat(out[0].fflags()).isEqualTo(NOTE_WRITE);
        }
        // the first kqueue's watch outlives the second's
        Files.writeString(f, "again", StandardOpenOption.APPEND);
        waitFor(fd, NOTE_WRITE);
    }

    @Test
    void socketsAreNotVnodesAndClosedDescriptorsAreEbadf() throws IOException {
        try (var server = java.nio.channels.ServerSocketChannel.open()) {
            int sfd = Fd.of(server);
            assertThatThrownBy(() -> kq.kevent(new KEvent[] {KEvent.of(sfd, EVFILT_VNODE, EV_ADD, ALL, 0, null)}, null, null))
                    .isInstanceOfSatisfying(KQueueException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
        }
        assertThatThrownBy(() -> kq.kevent(new KEvent[] {KEvent.of(100_000, EVFILT_VNODE, EV_ADD, ALL, 0, null)}, null, null))
                .isInstanceOfSatisfying(KQueueException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EBADF));
    }

    @Test
    void queueOverflowIsRecoveredAndEveryChangedFileReported() throws IOException {
        // more events than fs.inotify.max_queued_events (16384 by default) before anyone drains the queue
        int limit = Integer.parseInt(Files.readString(Path.of("/proc/sys/fs/inotify/max_queued_events")).trim());
        int files = 40;
        Map<Integer, Path> byFd = new HashMap<>();
        FileChannel[] writers = new FileChannel[files];
        for (int i = 0; i < files; i++) {
            Path f = Files.writeString(dir.resolve("f" + i), "");
            byFd.put(watch(f, NOTE_WRITE | NOTE_EXTEND), f);
            writers[i] = FileChannel.open(f, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            open.add(writers[i]);
        }
        ByteBuffer one = ByteBuffer.allocate(1);
        // round-robin so that inotify cannot merge consecutive identical events
        for (int k = 0; k < limit / files + 100; k++) {
            for (FileChannel w : writers) {
                w.write(one.clear());
            }
        }
        Map<Integer, Integer> seen = new HashMap<>();
        KEvent[] out = new KEvent[64];
        long end = System.nanoTime() + WAIT.toNanos();
        while (seen.size() < files && System.nanoTime() < end) {
            int n = kq.kevent(null, out, Duration.ofMillis(500));
            for (int i = 0; i < n; i++) {
                seen.merge((int) out[i].ident(), out[i].fflags(), (a, b) -> a | b);
            }
        }
        assertThat(seen.keySet()).containsExactlyInAnyOrderElementsOf(byFd.keySet());
        assertThat(seen.values()).allSatisfy(f -> assertThat(f & NOTE_WRITE).isEqualTo(NOTE_WRITE));
        // and the watches still work afterwards
        while (kq.kevent(null, out, Duration.ofMillis(100)) > 0) {
            // drain what is left
        }
        writers[0].write(one.clear());
        int fd0 = byFd.entrySet().stream().filter(e -> e.getValue().endsWith("f0")).findFirst().orElseThrow().getKey();
        waitFor(fd0, NOTE_WRITE | NOTE_EXTEND);
    }
}
