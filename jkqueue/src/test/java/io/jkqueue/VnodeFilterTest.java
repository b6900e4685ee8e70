package io.jkqueue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static io.jkqueue.KEvent.*;
import static io.jkqueue.Kq.WAIT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** EVFILT_VNODE on real files and directories (tests/sys/kqueue vnode.c, libkqueue vnode tests). */
@ExtendWith(KqExtension.class)
class VnodeFilterTest {
    private static final int ALL = NOTE_DELETE | NOTE_WRITE | NOTE_EXTEND | NOTE_ATTRIB | NOTE_LINK | NOTE_RENAME
            | NOTE_REVOKE | NOTE_OPEN | NOTE_CLOSE | NOTE_CLOSE_WRITE | NOTE_READ;

    @TempDir
    Path dir;
    private final KQueue kq;
    private final List<FileChannel> open = new ArrayList<>();

    VnodeFilterTest(KQueue kq) {
        this.kq = kq;
    }

    @AfterEach
    void closeChannels() throws IOException {
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
        overflowThenRecover(NOTE_WRITE | NOTE_EXTEND);
    }

    @Test
    void queueOverflowIsRecoveredForKnotesThatNeverLookAtAWrite() throws IOException {
        overflowThenRecover(NOTE_WRITE);   // no statx per write: the snapshots are older than the writes
    }

    /**
     * More events than fs.inotify.max_queued_events (16384 by default) before
     * anyone drains the queue, on files watched for {@code fflags}; one more
     * file is written only once the queue is full, so all it did is lost.
     */
    private void overflowThenRecover(int fflags) throws IOException {
        int limit = Integer.parseInt(Files.readString(Path.of("/proc/sys/fs/inotify/max_queued_events")).trim());
        int files = 40;
        Map<Integer, Path> byFd = new HashMap<>();
        FileChannel[] writers = new FileChannel[files + 1];
        for (int i = 0; i <= files; i++) {
            Path f = Files.writeString(dir.resolve("f" + i), "");
            byFd.put(watch(f, fflags), f);
            writers[i] = FileChannel.open(f, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            open.add(writers[i]);
        }
        ByteBuffer one = ByteBuffer.allocate(1);
        // round-robin so that inotify cannot merge consecutive identical events
        for (int k = 0; k < limit / files + 100; k++) {
            for (int i = 0; i < files; i++) {
                writers[i].write(one.clear());
            }
        }
        writers[files].write(one.clear());
        Map<Integer, Integer> seen = new HashMap<>();
        KEvent[] out = new KEvent[64];
        long end = System.nanoTime() + WAIT.toNanos();
        while (seen.size() <= files && System.nanoTime() < end) {
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
        assertThat(waitFor(fd0, NOTE_WRITE)).isEqualTo(fflags);
    }

    @Test
    void aBurstLargerThanOneReadIsTakenWithoutAnotherEvent() throws IOException {
        Path d = Files.createDirectory(dir.resolve("d"));
        Path f = Files.writeString(dir.resolve("f"), "abc");
        watch(d, NOTE_WRITE);
        int fd = watch(f, NOTE_WRITE);
        // each new entry is IN_CREATE, IN_OPEN and IN_CLOSE_WRITE of 32 bytes: 144 KiB, more than a read takes
        for (int i = 0; i < 1500; i++) {
            Files.createFile(d.resolve("e" + i));
        }
        append(f, "last");   // the last event queued: nothing after it makes the queue readable again
        waitFor(fd, NOTE_WRITE);
    }

    @Test
    void aKnoteAddedAfterUnlookedWritesSeesExtendOnlyForGrowthAfterItsEvAdd() throws IOException {
        Path f = Files.writeString(dir.resolve("f"), "abc");
        int plain = watch(f, NOTE_WRITE);
        try (FileChannel w = FileChannel.open(f, StandardOpenOption.WRITE)) {
            for (int i = 0; i < 3; i++) {   // writes no knote needs the size of
                w.write(ByteBuffer.wrap(new byte[] {'+'}), w.size());
                assertThat(waitFor(plain, NOTE_WRITE)).isEqualTo(NOTE_WRITE);
            }
            // added disabled: the write in place is taken while it cannot report, then enabled
            FileChannel ch = FileChannel.open(f, StandardOpenOption.READ);
            open.add(ch);
            int fd = Fd.of(ch);
            kq.kevent(new KEvent[] {KEvent.of(fd, EVFILT_VNODE, EV_ADD | EV_DISABLE, NOTE_WRITE | NOTE_EXTEND, 0, null)},
                    null, null);
            w.write(ByteBuffer.wrap(new byte[] {'x'}), 0);
            waitFor(plain, NOTE_WRITE);   // inotify reports in order: the disabled knote has heard of it too
            kq.kevent(new KEvent[] {KEvent.of(fd, EVFILT_VNODE, EV_ENABLE, NOTE_WRITE | NOTE_EXTEND, 0, null)}, null, null);
            assertThat(waitFor(fd, NOTE_WRITE)).as("a write in place").isEqualTo(NOTE_WRITE);
            w.write(ByteBuffer.wrap(new byte[] {'x'}), w.size());
            assertThat(waitFor(fd, NOTE_WRITE)).as("growth").isEqualTo(NOTE_WRITE | NOTE_EXTEND);
        }
    }

    @Test
    void aKnoteThatGainsExtendThroughEvAddSeesOnlyGrowthAfterIt() throws IOException {
        Path f = Files.writeString(dir.resolve("f"), "abc");
        int fd = watch(f, NOTE_WRITE);
        try (FileChannel w = FileChannel.open(f, StandardOpenOption.WRITE)) {
            for (int i = 0; i < 3; i++) {
                w.write(ByteBuffer.wrap(new byte[] {'+'}), w.size());
                assertThat(waitFor(fd, NOTE_WRITE)).isEqualTo(NOTE_WRITE);
            }
            add(fd, NOTE_WRITE | NOTE_EXTEND);
            w.write(ByteBuffer.wrap(new byte[] {'x'}), 0);
            assertThat(waitFor(fd, NOTE_WRITE)).as("a write in place").isEqualTo(NOTE_WRITE);
            w.write(ByteBuffer.wrap(new byte[] {'x'}), w.size());
            assertThat(waitFor(fd, NOTE_WRITE)).as("growth").isEqualTo(NOTE_WRITE | NOTE_EXTEND);
        }
    }

    private void add(int fd, int fflags) throws IOException {
        kq.kevent(new KEvent[] {KEvent.of(fd, EVFILT_VNODE, EV_ADD, fflags, 0, null)}, null, null);
    }

    private void append(Path f, String s) throws IOException {
        Files.writeString(f, s, StandardOpenOption.APPEND);
    }

    /**
     * Every event until one for {@code sentinel} (which must come): inotify
     * reports in order, so whatever an earlier change caused has been
     * handled by then.
     */
    private List<KEvent> eventsUntil(int sentinel) throws IOException {
        List<KEvent> seen = new ArrayList<>();
        KEvent[] out = new KEvent[8];
        long end = System.nanoTime() + WAIT.toNanos();
        while (seen.stream().noneMatch(e -> e.ident() == sentinel) && System.nanoTime() < end) {
            int n = kq.kevent(null, out, Duration.ofMillis(500));
            seen.addAll(Arrays.asList(out).subList(0, n));
        }
        assertThat(seen).as("the sentinel's event").anyMatch(e -> e.ident() == sentinel);
        seen.addAll(Arrays.asList(out).subList(0, kq.kevent(null, out, Duration.ZERO)));
        return seen;
    }

    /** The number of an open descriptor of {@code p} that Fd.of never saw, found in /proc/self/fd. */
    private static int rawNumber(Path p) throws IOException {
        Path target = p.toRealPath();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(l -> {
                try {
                    return Files.readSymbolicLink(l).equals(target);
                } catch (IOException e) {
                    return false;   // closed meanwhile (the listing's own descriptor)
                }
            }).mapToInt(l -> Integer.parseInt(l.getFileName().toString())).findFirst().orElseThrow();
        }
    }

    @Test
    void aClosedChannelIsNeverReported() throws IOException {
        Path f = Files.writeString(dir.resolve("f"), "abc");
        Path g = Files.writeString(dir.resolve("g"), "abc");
        FileChannel ch = FileChannel.open(f, StandardOpenOption.READ);
        int fd = Fd.of(ch);
        add(fd, NOTE_WRITE | NOTE_EXTEND | NOTE_ATTRIB);
        int sentinel = watch(g, NOTE_WRITE);
        ch.close();
        append(f, "more");
        append(g, "more");
        assertThat(eventsUntil(sentinel)).as("events for the closed descriptor").noneMatch(e -> e.ident() == fd);
        assertQuiet();
    }

    @Test
    void aReusedNumberIsNotReportedAsTheOldFile() throws IOException {
        Path f = Files.writeString(dir.resolve("f"), "abc");
        Path g = Files.writeString(dir.resolve("g"), "abc");
        Path other = Files.writeString(dir.resolve("other"), "abc");
        FileChannel ch = FileChannel.open(f, StandardOpenOption.READ);
        int fd = Fd.of(ch);
        add(fd, NOTE_WRITE | NOTE_EXTEND | NOTE_ATTRIB);
        int sentinel = watch(g, NOTE_WRITE);
        ch.close();
        FileChannel reuse = FileChannel.open(other, StandardOpenOption.READ);
        open.add(reuse);
        assumeTrue(Fd.of(reuse) == fd, "the closed number was not the lowest free one");
        append(f, "more");
        append(g, "more");
        assertThat(eventsUntil(sentinel)).as("the old file's write under the new file's number")
                .noneMatch(e -> e.ident() == fd);
        assertQuiet();
    }

    @Test
    void aReusedRawNumberIsNotReportedAsTheOldFile() throws IOException {
        Path f = Files.writeString(dir.resolve("f"), "abc");
        Path g = Files.writeString(dir.resolve("g"), "abc");
        Path other = Files.writeString(dir.resolve("other"), "abc");
        FileChannel ch = FileChannel.open(f, StandardOpenOption.READ);
        int fd = rawNumber(f);   // not from Fd.of: known only by its dev and inode
        add(fd, NOTE_WRITE | NOTE_EXTEND | NOTE_ATTRIB);
        int sentinel = watch(g, NOTE_WRITE);
        ch.close();
        FileChannel reuse = FileChannel.open(other, StandardOpenOption.READ);
        open.add(reuse);
        assumeTrue(rawNumber(other) == fd, "the closed number was not the lowest free one");
        append(f, "more");
        append(g, "more");
        assertThat(eventsUntil(sentinel)).as("the old file's write under the new file's number")
                .noneMatch(e -> e.ident() == fd);
        // the file that has the number now is watched afresh
        add(fd, NOTE_ATTRIB);
        Files.setPosixFilePermissions(other, PosixFilePermissions.fromString("rw-------"));
        waitFor(fd, NOTE_ATTRIB);
    }

    @Test
    void aSharedWatchLooksThroughADescriptorThatStillNamesTheFile() throws IOException {
        Path f = Files.writeString(dir.resolve("f"), "abc");
        int notes = NOTE_WRITE | NOTE_EXTEND | NOTE_ATTRIB | NOTE_DELETE | NOTE_LINK;
        FileChannel first = FileChannel.open(f, StandardOpenOption.READ);
        int fd1 = Fd.of(first);
        add(fd1, notes);
        int fd2 = watch(f, notes);
        kq.kevent(new KEvent[] {KEvent.of(fd1, EVFILT_VNODE, EV_DELETE, 0, 0, null)}, null, null);
        first.close();
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        assertThat(waitFor(fd2, NOTE_ATTRIB)).isEqualTo(NOTE_ATTRIB);
        // the first number now names an unlinked file: it must not be taken for ours
        Path gone = Files.writeString(dir.resolve("gone"), "");
        FileChannel reuse = FileChannel.open(gone, StandardOpenOption.READ);
        open.add(reuse);
        Files.delete(gone);
        assumeTrue(Fd.of(reuse) == fd1, "the closed number was not the lowest free one");
        append(f, "more");
        assertThat(waitFor(fd2, NOTE_WRITE)).isEqualTo(NOTE_WRITE | NOTE_EXTEND);
    }

    @Test
    void rmdirOfADirectoryHeldOpenIsDelete() throws IOException {
        Path d = Files.createDirectory(dir.resolve("d"));
        int fd = watch(d, ALL);
        Files.delete(d);
        assertThat(waitFor(fd, NOTE_DELETE) & (NOTE_ATTRIB | NOTE_LINK)).isZero();
    }

    @Test
    void rmdirAfterAMoveToAnotherParentIsDelete() throws IOException {
        Path d = Files.createDirectory(dir.resolve("d"));
        Path elsewhere = Files.createDirectory(dir.resolve("elsewhere"));
        int fd = watch(d, NOTE_DELETE | NOTE_RENAME);
        Path moved = Files.move(d, elsewhere.resolve("d"));
        waitFor(fd, NOTE_RENAME);
        Files.delete(moved);
        waitFor(fd, NOTE_DELETE);
    }

    @Test
    void aWatchedParentKeepsItsNotesAroundAWatchedSubdirectory() throws IOException {
        Path p = Files.createDirectory(dir.resolve("p"));
        int pfd = watch(p, NOTE_ATTRIB | NOTE_WRITE | NOTE_LINK);
        Path d = Files.createDirectory(p.resolve("d"));
        assertThat(waitFor(pfd, NOTE_WRITE | NOTE_LINK)).isEqualTo(NOTE_WRITE | NOTE_LINK);
        int dfd = watch(d, NOTE_DELETE | NOTE_ATTRIB);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
        assertThat(waitFor(pfd, NOTE_ATTRIB)).isEqualTo(NOTE_ATTRIB);
        Files.delete(d);
        waitFor(dfd, NOTE_DELETE);
        kq.kevent(new KEvent[] {KEvent.of(dfd, EVFILT_VNODE, EV_DELETE, 0, 0, null)}, null, null);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-x---"));
        waitFor(pfd, NOTE_ATTRIB);
    }

    @Test
    void aDirectoryWatchedBeforeItsParentKeepsReporting() throws IOException {
        Path p = Files.createDirectory(dir.resolve("p"));
        Path d = Files.createDirectory(p.resolve("d"));
        int dfd = watch(d, NOTE_DELETE | NOTE_WRITE);
        int pfd = watch(p, NOTE_ATTRIB | NOTE_WRITE);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
        assertThat(waitFor(pfd, NOTE_ATTRIB)).isEqualTo(NOTE_ATTRIB);
        kq.kevent(new KEvent[] {KEvent.of(pfd, EVFILT_VNODE, EV_DELETE, 0, 0, null)}, null, null);
        Files.writeString(d.resolve("x"), "");
        waitFor(dfd, NOTE_WRITE);
        Files.delete(d.resolve("x"));
        Files.delete(d);
        waitFor(dfd, NOTE_DELETE);
    }

    @Test
    void aDirectorysAttributesAfterANewSubdirectoryAreAttribNotLink() throws IOException {
        Path d = Files.createDirectory(dir.resolve("d"));
        int fd = watch(d, NOTE_ATTRIB | NOTE_LINK | NOTE_WRITE);
        Files.createDirectory(d.resolve("sub"));
        assertThat(waitFor(fd, NOTE_WRITE | NOTE_LINK)).isEqualTo(NOTE_WRITE | NOTE_LINK);
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwx------"));
        assertThat(waitFor(fd, NOTE_ATTRIB)).isEqualTo(NOTE_ATTRIB);
    }

    @Test
    void pipesSocketsKqueuesAndAnonymousInodesAreNotVnodes() throws IOException {
        Pipe pipe = Pipe.open();
        try (var source = pipe.source(); var sink = pipe.sink();
             var server = ServerSocketChannel.open().bind(null);
             var client = SocketChannel.open(server.getLocalAddress());
             var accepted = server.accept();
             KQueue other = KQueue.open()) {
            int eventfd = io.jkqueue.linux.EventFd.create(0, io.jkqueue.linux.EventFd.EFD_CLOEXEC);
            try {
                for (int fd : new int[] {Fd.of(source), Fd.of(sink), Fd.of(client), Fd.of(accepted), other.fd(), eventfd}) {
                    assertThatThrownBy(() -> add(fd, ALL)).as("fd %d", fd)
                            .isInstanceOfSatisfying(KQueueException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
                }
            } finally {
                io.jkqueue.linux.Libc.close(eventfd);
            }
        }
    }

    @Test
    void aFifoOpenedByPathIsAVnode() throws Exception {
        Path fifo = dir.resolve("fifo");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor()).isZero();
        // read and write: opening a FIFO so does not wait for the other end
        FileChannel ch = FileChannel.open(fifo, StandardOpenOption.READ, StandardOpenOption.WRITE);
        open.add(ch);
        int fd = Fd.of(ch);
        add(fd, NOTE_ATTRIB | NOTE_DELETE);
        Files.setPosixFilePermissions(fifo, PosixFilePermissions.fromString("rw-------"));
        waitFor(fd, NOTE_ATTRIB);
        Files.delete(fifo);
        waitFor(fd, NOTE_DELETE);
    }

    @Test
    void aDeletedKnoteReportsNothingMore() throws IOException {
        Path f = Files.writeString(dir.resolve("f"), "abc");
        Path g = Files.writeString(dir.resolve("g"), "abc");
        int fd = watch(f, NOTE_WRITE | NOTE_ATTRIB);
        int sentinel = watch(g, NOTE_WRITE);
        kq.kevent(new KEvent[] {KEvent.of(fd, EVFILT_VNODE, EV_DELETE, 0, 0, null)}, null, null);
        append(f, "more");
        append(g, "more");
        assertThat(eventsUntil(sentinel)).noneMatch(e -> e.ident() == fd);
        assertThatThrownBy(() -> kq.kevent(new KEvent[] {KEvent.of(fd, EVFILT_VNODE, EV_DELETE, 0, 0, null)}, null, null))
                .isInstanceOfSatisfying(KQueueException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT));
    }

    @Test
    void oneshotReportsOnceAndIsGone() throws IOException {
        Path f = Files.writeString(dir.resolve("f"), "abc");
        Path g = Files.writeString(dir.resolve("g"), "abc");
        FileChannel ch = FileChannel.open(f, StandardOpenOption.READ);
        open.add(ch);
        int fd = Fd.of(ch);
        kq.kevent(new KEvent[] {KEvent.of(fd, EVFILT_VNODE, EV_ADD | EV_ONESHOT, NOTE_WRITE, 0, null)}, null, null);
        int sentinel = watch(g, NOTE_WRITE);
        append(f, "1");
        waitFor(fd, NOTE_WRITE);
        append(f, "2");
        append(g, "1");
        assertThat(eventsUntil(sentinel)).noneMatch(e -> e.ident() == fd);
    }
}
