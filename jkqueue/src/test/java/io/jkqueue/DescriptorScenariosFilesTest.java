package io.jkqueue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.jkqueue.KEvent.*;
import static io.jkqueue.Kq.assertNoEvents;
import static io.jkqueue.Kq.awaitBlockedInKevent;
import static io.jkqueue.Kq.awaitUntil;
import static io.jkqueue.Kq.eof;
import static io.jkqueue.Kq.write;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * EVFILT_READ / EVFILT_WRITE scenarios on FIFOs, terminals and regular
 * files, and a descriptor closed while a thread waits (FreeBSD's
 * tests/sys/kqueue and libkqueue's read and write tests). Sockets are in
 * {@link DescriptorScenariosTest}.
 */
class DescriptorScenariosFilesTest {
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

    // ---- helpers ---------------------------------------------------------

    private void add(long ident, int filter, int flags) throws IOException {
        Kq.apply(kq, Kq.ev(ident, filter, flags));
    }

    private KEvent awaitOne() throws IOException {
        List<KEvent> evs = Kq.waitFor(kq, 16, WAIT);
        assertThat(evs).as("one event within %s", WAIT).hasSize(1);
        return evs.get(0);
    }

    /** A few libc calls the JDK does not offer: pseudo-terminals, dup. */
    private static final class Native {
        static final int O_RDWR = 2;
        static final int O_NOCTTY = 0x100;
        static final int O_CLOEXEC = 0x80000;

        private static final Linker LINKER = Linker.nativeLinker();
        private static final MethodHandle POSIX_OPENPT = fn("posix_openpt", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        private static final MethodHandle GRANTPT = fn("grantpt", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        private static final MethodHandle UNLOCKPT = fn("unlockpt", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        private static final MethodHandle PTSNAME_R = fn("ptsname_r",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG));
        private static final MethodHandle OPEN = fn("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        private static final MethodHandle READ = fn("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
        private static final MethodHandle WRITE = fn("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
        private static final MethodHandle CLOSE = fn("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        private static final MethodHandle DUP = fn("dup", FunctionDescriptor.of(JAVA_INT, JAVA_INT));

        private static MethodHandle fn(String name, FunctionDescriptor d) {
            return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), d);
        }

        static int posixOpenpt() throws Throwable {
            return (int) POSIX_OPENPT.invokeExact(O_RDWR | O_NOCTTY | O_CLOEXEC);
        }

        static boolean grantAndUnlock(int master) throws Throwable {
            return (int) GRANTPT.invokeExact(master) == 0 && (int) UNLOCKPT.invokeExact(master) == 0;
        }

        static String ptsname(int master) throws Throwable {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment buf = a.allocate(128);
                return (int) PTSNAME_R.invokeExact(master, buf, 128L) == 0 ? buf.getString(0) : null;
            }
        }

        static int open(String path, int flags) throws Throwable {
            try (Arena a = Arena.ofConfined()) {
                return (int) OPEN.invokeExact(a.allocateFrom(path), flags);
            }
        }

        static void write(int fd, String s) throws Throwable {
            byte[] bytes = s.getBytes(StandardCharsets.US_ASCII);
            try (Arena a = Arena.ofConfined()) {
                MemorySegment buf = a.allocate(bytes.length);
                buf.copyFrom(MemorySegment.ofArray(bytes));
                assertThat((long) WRITE.invokeExact(fd, buf, (long) bytes.length)).isEqualTo(bytes.length);
            }
        }

        static String read(int fd, int max) throws Throwable {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment buf = a.allocate(max);
                long n = (long) READ.invokeExact(fd, buf, (long) max);
                assertThat(n).isNotNegative();
                return new String(buf.asSlice(0, n).toArray(JAVA_BYTE), StandardCharsets.US_ASCII);
            }
        }

        static int dup(int fd) throws Throwable {
            int d = (int) DUP.invokeExact(fd);
            assertThat(d).as("dup(%d)", fd).isNotNegative();
            return d;
        }

        static void close(int fd) throws Throwable {
            assertThat((int) CLOSE.invokeExact(fd)).isZero();
        }
    }

    /** A pseudo-terminal pair, opened with O_NOCTTY so it never becomes this process's terminal. */
    private static final class Pty implements AutoCloseable {
        final int master;
        final int slave;
        private boolean masterOpen = true;
        private boolean slaveOpen = true;

        private Pty(int master, int slave) {
            this.master = master;
            this.slave = slave;
        }

        /** A new pair, or null when this machine will not hand one out. */
        static Pty open() throws Throwable {
            int m = Native.posixOpenpt();
            if (m < 0) {
                return null;
            }
            String name = Native.grantAndUnlock(m) ? Native.ptsname(m) : null;
            int s = name == null ? -1 : Native.open(name, Native.O_RDWR | Native.O_NOCTTY | Native.O_CLOEXEC);
            if (s < 0) {
                Native.close(m);
                return null;
            }
            return new Pty(m, s);
        }

        void closeMaster() throws Throwable {
            masterOpen = false;
            Native.close(master);
        }

        @Override
        public void close() throws Exception {
            try {
                if (masterOpen) {
                    closeMaster();
                }
                if (slaveOpen) {
                    slaveOpen = false;
                    Native.close(slave);
                }
            } catch (Exception | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }
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

    // ---- FIFOs -----------------------------------------------------------

    @Test
    void fifoReadCountsBytesAndEofWhenTheLastWriterCloses(@TempDir Path dir) throws Exception {
        try (Fifo f = Fifo.open(dir)) {
            int fd = f.readerFd();
            add(fd, EVFILT_READ, EV_ADD);
            assertNoEvents(kq);
            write(f.writer(), 7);
            KEvent ev = awaitOne();
            assertThat(ev.ident()).isEqualTo(fd);
            assertThat(ev.data()).isEqualTo(7);
            assertThat(eof(ev)).isFalse();

            assertThat(f.reader().readNBytes(3)).hasSize(3);
            ev = awaitOne();
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
            add(fd, EVFILT_READ, EV_ADD);
            write(f.writer(), 2);
            f.writer().close();
            assertThat(awaitUntil(kq, fd, EVFILT_READ, Kq::eof).data()).isEqualTo(2);
            assertThat(f.reader().readNBytes(2)).hasSize(2);

            // a new writer: the FIFO is no longer at end of file (filt_piperead
            // clears EV_EOF for a named pipe once a writer is back)
            try (FileChannel again = f.newWriter()) {
                assertNoEvents(kq);
                write(again, 3);
                KEvent ev = awaitOne();
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
            add(wfd, EVFILT_WRITE, EV_ADD);
            KEvent ev = awaitOne();
            assertThat(ev.ident()).isEqualTo(wfd);
            long space = ev.data();
            assertThat(space).as("an empty FIFO's whole buffer").isGreaterThanOrEqualTo(4096);
            assertThat(eof(ev)).isFalse();

            write(f.writer(), 100);
            List<KEvent> evs = Kq.poll(kq);
            assertThat(evs).hasSize(1);
            assertThat(evs.get(0).data()).isEqualTo(space - 100);
            assertThat(f.reader().readNBytes(100)).hasSize(100);
            assertThat(awaitOne().data()).isEqualTo(space);

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

    // ---- terminals -------------------------------------------------------

    @Test
    void terminalReadsALineWrittenToTheMasterAndEofWhenTheMasterCloses() throws Throwable {
        Pty pty = Pty.open();
        assumeTrue(pty != null, "no pseudo-terminal on this machine");
        try (pty) {
            add(pty.slave, EVFILT_READ, EV_ADD);
            assertNoEvents(kq);
            // canonical mode: the slave is readable once the line is complete
            Native.write(pty.master, "hello\n");
            KEvent ev = awaitOne();
            assertThat(ev.ident()).isEqualTo(pty.slave);
            assertThat(ev.data()).isEqualTo(6);
            assertThat(eof(ev)).isFalse();

            assertThat(Native.read(pty.slave, 6)).isEqualTo("hello\n");
            assertNoEvents(kq);

            pty.closeMaster();
            ev = awaitUntil(kq, pty.slave, EVFILT_READ, Kq::eof);
            assertThat(ev.data()).isZero();
        }
    }

    @Test
    void terminalMasterReadsWhatTheSlaveWrites() throws Throwable {
        Pty pty = Pty.open();
        assumeTrue(pty != null, "no pseudo-terminal on this machine");
        try (pty) {
            add(pty.master, EVFILT_READ, EV_ADD);
            assertNoEvents(kq);
            Native.write(pty.slave, "ok\n");
            // output processing turns \n into \r\n: 4 bytes, which may reach the master in steps
            KEvent ev = awaitUntil(kq, pty.master, EVFILT_READ, e -> e.data() >= 4);
            assertThat(ev.data()).isEqualTo(4);
            assertThat(Native.read(pty.master, 16)).isEqualTo("ok\r\n");
            assertNoEvents(kq);
        }
    }

    // ---- regular files ---------------------------------------------------

    @Test
    void regularFileReadFiresAgainWhenTheFileGrows(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("grows");
        Files.write(p, new byte[10]);
        try (FileChannel in = FileChannel.open(p, StandardOpenOption.READ);
             FileChannel out = FileChannel.open(p, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            int fd = Fd.of(in);
            add(fd, EVFILT_READ, EV_ADD);
            assertThat(awaitOne().data()).isEqualTo(10);
            in.read(ByteBuffer.allocate(10));
            assertNoEvents(kq);

            // read to the end: a write that extends the file makes it readable again
            write(out, 5);
            KEvent ev = awaitOne();
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
            KEvent ev = awaitOne();
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
            add(fd, EVFILT_WRITE, EV_ADD);
            KEvent ev = awaitOne();
            assertThat(ev.filter()).isEqualTo(EVFILT_WRITE);
            assertThat(ev.data()).isZero();
            assertThat(ev.flags() & (EV_EOF | EV_ERROR)).isZero();
            write(out, 4096);
            List<KEvent> evs = Kq.poll(kq);
            assertThat(evs).as("still writable after a write").hasSize(1);
            assertThat(evs.get(0).data()).isZero();

            // the open mode does not matter (filt_vfswrite)
            int rfd = Fd.of(in);
            add(fd, EVFILT_WRITE, EV_DELETE);
            add(rfd, EVFILT_WRITE, EV_ADD | EV_ONESHOT);
            ev = awaitOne();
            assertThat(ev.ident()).isEqualTo(rfd);
            assertThat(ev.data()).isZero();
            assertNoEvents(kq);
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

    // ---- a descriptor closed under a waiting thread ----------------------

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
            add(fd, EVFILT_READ, EV_ADD);
            Kq.apply(kq, Kq.user(1, EV_ADD | EV_CLEAR));
            assertNoEvents(kq);
            CompletableFuture<List<KEvent>> waiter = new CompletableFuture<>();
            Thread t = Thread.ofPlatform().name("kevent-waiter").start(() -> {
                try {
                    waiter.complete(Kq.waitFor(kq, 8, Duration.ofSeconds(60)));
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
