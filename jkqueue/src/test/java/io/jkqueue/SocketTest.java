package io.jkqueue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static io.jkqueue.KEvent.*;
import static io.jkqueue.Kq.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * EVFILT_READ / EVFILT_WRITE / EVFILT_EMPTY on sockets, after FreeBSD's
 * tests/sys/kqueue read.c and libkqueue's socket tests: UDP, Unix-domain
 * and TCP stream sockets, listening sockets, the EV_* flags, a reset
 * connection, READ and WRITE knotes on one descriptor, udata and EV_RECEIPT.
 */
@ExtendWith(KqExtension.class)
class SocketTest {
    private static final int ECONNRESET = 104;   // Linux's number; FreeBSD's is 54

    private final KQueue kq;

    SocketTest(KQueue kq) {
        this.kq = kq;
    }

    /** A connected stream socket pair and the listening socket it came from. */
    private record Conn(ServerSocketChannel server, SocketChannel client, SocketChannel peer)
            implements AutoCloseable {
        static Conn tcp() throws IOException {
            return of(ServerSocketChannel.open(), new InetSocketAddress("127.0.0.1", 0));
        }

        static Conn unix(Path dir) throws IOException {
            return of(ServerSocketChannel.open(StandardProtocolFamily.UNIX), UnixDomainSocketAddress.of(dir.resolve("s")));
        }

        private static Conn of(ServerSocketChannel server, SocketAddress at) throws IOException {
            server.bind(at);
            SocketChannel client = SocketChannel.open(server.getLocalAddress());
            return new Conn(server, client, server.accept());
        }

        @Override
        public void close() throws IOException {
            try (server; client; peer) {
                // all three closed
            }
        }
    }

    /** Another kqueue's READ knote on {@code fd}: tells when data has arrived without touching {@code kq}. */
    private static void awaitReadable(int fd, long bytes) throws IOException, InterruptedException {
        try (KQueue probe = KQueue.open()) {
            add(probe, fd, EVFILT_READ, EV_ADD);
            awaitUntil(probe, fd, EVFILT_READ, e -> e.data() >= bytes);
        }
    }

    // ---- UDP ------------------------------------------------------------------

    @Test
    void udpReadDataIsTheSizeOfTheFirstPendingDatagram() throws Exception {
        try (DatagramChannel rx = DatagramChannel.open(StandardProtocolFamily.INET);
             DatagramChannel tx = DatagramChannel.open(StandardProtocolFamily.INET)) {
            rx.bind(new InetSocketAddress("127.0.0.1", 0));
            int fd = Fd.of(rx);
            add(kq, fd, EVFILT_READ, EV_ADD);
            assertNoEvents(kq);
            tx.send(ByteBuffer.allocate(10), rx.getLocalAddress());
            tx.send(ByteBuffer.allocate(25), rx.getLocalAddress());

            // SPEC: data = FIONREAD, which Linux answers for a datagram socket
            // with the size of the first datagram (FreeBSD counts all of them)
            KEvent ev = awaitOne(kq);
            assertThat(ev.ident()).isEqualTo(fd);
            assertThat(ev.filter()).isEqualTo(EVFILT_READ);
            assertThat(ev.data()).isEqualTo(10);
            assertThat(ev.flags() & (EV_EOF | EV_ERROR)).isZero();

            ByteBuffer buf = ByteBuffer.allocate(100);
            rx.receive(buf);
            assertThat(buf.position()).isEqualTo(10);
            // level-triggered: the next datagram fires it again with its own size
            ev = awaitOne(kq);
            assertThat(ev.data()).isEqualTo(25);
            buf.clear();
            rx.receive(buf);
            assertThat(buf.position()).isEqualTo(25);
            assertNoEvents(kq);
        }
    }

    @Test
    void udpWriteIsReadyUnconnectedAndConnected() throws Exception {
        try (DatagramChannel s = DatagramChannel.open(StandardProtocolFamily.INET);
             DatagramChannel rx = DatagramChannel.open(StandardProtocolFamily.INET)) {
            rx.bind(new InetSocketAddress("127.0.0.1", 0));
            int fd = Fd.of(s);
            // what getsockopt(SO_SNDBUF) gives a new socket (the JDK's getOption halves it)
            long sndbuf = Long.parseLong(Files.readAllLines(Path.of("/proc/sys/net/core/wmem_default")).get(0).strip());

            // never bound nor connected: no connection is required to send, so it is writable
            add(kq, fd, EVFILT_WRITE, EV_ADD);
            KEvent ev = awaitOne(kq);
            assertThat(ev.ident()).isEqualTo(fd);
            assertThat(ev.filter()).isEqualTo(EVFILT_WRITE);
            assertThat(ev.data()).as("an idle send buffer is all free (sbspace)").isEqualTo(sndbuf);
            assertThat(ev.flags() & EV_EOF).isZero();
            assertThat(Kq.poll(kq)).as("level-triggered").hasSize(1);
            // nothing queued for sending: EVFILT_EMPTY fires too
            add(kq, fd, EVFILT_EMPTY, EV_ADD | EV_ONESHOT);
            assertThat(awaitUntil(kq, fd, EVFILT_EMPTY, e -> true).data()).isZero();
            add(kq, fd, EVFILT_WRITE, EV_DELETE);
            assertNoEvents(kq);

            s.connect(rx.getLocalAddress());
            add(kq, fd, EVFILT_WRITE, EV_ADD | EV_ONESHOT);
            ev = awaitOne(kq);
            assertThat(ev.filter()).isEqualTo(EVFILT_WRITE);
            assertThat(ev.data()).isPositive().isLessThanOrEqualTo(sndbuf);
            assertNoEvents(kq);
            assertThat(Kq.applyFails(kq, Kq.ev(fd, EVFILT_WRITE, EV_DELETE))).isEqualTo(Errno.ENOENT);

            // the connected socket's datagrams reach the receiver, whose READ knote sees them
            int rfd = Fd.of(rx);
            add(kq, rfd, EVFILT_READ, EV_ADD | EV_ONESHOT);
            s.write(ByteBuffer.allocate(7));
            ev = awaitOne(kq);
            assertThat(ev.ident()).isEqualTo(rfd);
            assertThat(ev.data()).isEqualTo(7);
        }
    }

    // ---- Unix-domain stream sockets -------------------------------------------

    @Test
    void unixStreamReadCountsBytesAndEofWhenThePeerShutsDownOutput(@TempDir Path dir) throws Exception {
        try (Conn c = Conn.unix(dir)) {
            int fd = Fd.of(c.peer());
            add(kq, fd, EVFILT_READ, EV_ADD);
            assertNoEvents(kq);
            write(c.client(), 12);
            KEvent ev = awaitOne(kq);
            assertThat(ev.ident()).isEqualTo(fd);
            assertThat(ev.data()).isEqualTo(12);
            assertThat(eof(ev)).isFalse();

            read(c.peer(), 5);
            ev = awaitOne(kq);
            assertThat(ev.data()).as("after a partial read").isEqualTo(7);

            c.client().shutdownOutput();
            ev = awaitUntil(kq, fd, EVFILT_READ, Kq::eof);
            assertThat(ev.data()).as("unread bytes still counted with EV_EOF").isEqualTo(7);
            assertThat(ev.fflags()).as("no socket error").isZero();

            read(c.peer(), 7);
            // drained, but end of file is a lasting condition: reported with data 0
            List<KEvent> evs = Kq.poll(kq);
            assertThat(evs).hasSize(1);
            assertThat(eof(evs.get(0))).isTrue();
            assertThat(evs.get(0).data()).isZero();
        }
    }

    @Test
    void unixStreamPeerCloseGivesEofToReadAndWrite(@TempDir Path dir) throws Exception {
        try (Conn c = Conn.unix(dir)) {
            int fd = Fd.of(c.peer());
            add(kq, fd, EVFILT_READ, EV_ADD);
            add(kq, fd, EVFILT_WRITE, EV_ADD);
            List<KEvent> evs = await(kq);
            assertThat(evs).extracting(KEvent::filter).containsExactly(EVFILT_WRITE);
            assertThat(eof(evs.get(0))).isFalse();

            c.client().close();
            KEvent r = awaitUntil(kq, fd, EVFILT_READ, Kq::eof);
            assertThat(r.data()).isZero();
            KEvent w = awaitUntil(kq, fd, EVFILT_WRITE, Kq::eof);
            assertThat(w.fflags()).isZero();
        }
    }

    @Test
    void unixStreamWriteSpaceShrinksUntilThePeerReads(@TempDir Path dir) throws Exception {
        try (Conn c = Conn.unix(dir)) {
            int fd = Fd.of(c.client());
            add(kq, fd, EVFILT_WRITE, EV_ADD);
            KEvent ev = awaitOne(kq);
            long idle = ev.data();
            assertThat(idle).isPositive();

            write(c.client(), 1000);
            // the bytes the peer has not read yet are charged to the sender's buffer
            ev = awaitOne(kq);
            assertThat(ev.data()).isLessThanOrEqualTo(idle - 1000);

            read(c.peer(), 1000);
            awaitUntil(kq, fd, EVFILT_WRITE, e -> e.data() == idle);
            add(kq, fd, EVFILT_EMPTY, EV_ADD | EV_ONESHOT);
            assertThat(awaitUntil(kq, fd, EVFILT_EMPTY, e -> true).data()).isZero();
        }
    }

    @Test
    void unixListeningSocketReportsPendingConnections(@TempDir Path dir) throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(dir.resolve("l")));
            int lfd = Fd.of(server);
            add(kq, lfd, EVFILT_READ, EV_ADD);
            add(kq, lfd, EVFILT_WRITE, EV_ADD);
            assertNoEvents(kq);
            try (SocketChannel c1 = SocketChannel.open(server.getLocalAddress());
                 SocketChannel c2 = SocketChannel.open(server.getLocalAddress())) {
                // Linux tells a Unix socket's backlog only as "some": data is at least 1
                List<KEvent> evs = await(kq);
                assertThat(evs).extracting(KEvent::filter).as("a listening socket is never writable")
                        .containsExactly(EVFILT_READ);
                assertThat(evs.get(0).data()).isBetween(1L, 2L);
                server.accept().close();
                server.accept().close();
                assertNoEvents(kq);
            }
        }
    }

    // ---- TCP: listening, reading, writing, EVFILT_EMPTY -----------------------

    @Test
    void tcpListeningSocketIsNeverWritable() throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            int lfd = Fd.of(server);
            add(kq, lfd, EVFILT_WRITE, EV_ADD);
            add(kq, lfd, EVFILT_READ, EV_ADD);
            assertNoEvents(kq);
            try (SocketChannel c = SocketChannel.open(server.getLocalAddress())) {
                List<KEvent> evs = await(kq);
                assertThat(evs).extracting(KEvent::filter).containsExactly(EVFILT_READ);
                assertThat(evs.get(0).data()).isEqualTo(1);
                server.accept().close();
                assertNoEvents(kq);
            }
        }
    }

    @Test
    void socketReadEofAndListenBacklog() throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            int lfd = Fd.of(server);
            add(kq, lfd, EVFILT_READ, EV_ADD);
            assertThat(poll(kq, 16)).isEmpty();
            try (SocketChannel c1 = SocketChannel.open(server.getLocalAddress());
                 SocketChannel c2 = SocketChannel.open(server.getLocalAddress())) {
                List<KEvent> ev = waitFor(kq, 16, WAIT);
                assertThat(ev).hasSize(1);
                assertThat(ev.get(0).ident()).isEqualTo(lfd);
                assertThat(ev.get(0).data()).isBetween(1L, 2L);
                try (SocketChannel s1 = server.accept(); SocketChannel s2 = server.accept()) {
                    add(kq, lfd, EVFILT_READ, EV_DELETE);
                    assertThat(poll(kq, 16)).isEmpty();
                    int fd = Fd.of(s1);
                    add(kq, fd, EVFILT_READ, EV_ADD);
                    write(c1, 10);
                    ev = waitFor(kq, 16, WAIT);
                    assertThat(ev).hasSize(1);
                    assertThat(ev.get(0).data()).isEqualTo(10);
                    c1.shutdownOutput();
                    // EV_EOF arrives with the unread bytes still counted
                    for (int i = 0; i < 100 && (ev.size() == 0 || (ev.get(0).flags() & EV_EOF) == 0); i++) {
                        ev = waitFor(kq, 16, WAIT);
                    }
                    assertThat(ev.get(0).flags() & EV_EOF).isEqualTo(EV_EOF);
                    assertThat(ev.get(0).data()).isEqualTo(10);
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
                add(kq, fd, EVFILT_WRITE, EV_ADD | EV_ONESHOT);
                List<KEvent> ev = waitFor(kq, 16, WAIT);
                assertThat(ev).hasSize(1);
                assertThat(ev.get(0).filter()).isEqualTo(EVFILT_WRITE);
                assertThat(ev.get(0).data()).isGreaterThan(0);
                write(c, 1000);
                add(kq, fd, EVFILT_EMPTY, EV_ADD | EV_ONESHOT);
                ev = waitFor(kq, 16, WAIT);   // loopback drains promptly even though s reads nothing
                assertThat(ev).hasSize(1);
                assertThat(ev.get(0).filter()).isEqualTo(EVFILT_EMPTY);
            }
        }
    }

    @Test
    void emptyWithClearOnTcpFiresAgainAfterEachDrain() throws Exception {
        // filt_soempty runs on every acknowledgement; Linux wakes no poller when an ACK empties a
        // send buffer that was never full, so each write below drains without any readiness edge
        try (Conn c = Conn.tcp()) {
            int fd = Fd.of(c.client());
            add(kq, fd, EVFILT_EMPTY, EV_ADD | EV_CLEAR);
            assertThat(awaitOne(kq).data()).as("empty at once").isZero();
            assertNoEvents(kq);
            for (int round = 0; round < 4; round++) {
                // later rounds start after the idle socket's re-checks have backed off
                Thread.sleep(round * 40L);
                write(c.client(), 100 + round);
                KEvent ev = awaitOne(kq);
                assertThat(ev.filter()).isEqualTo(EVFILT_EMPTY);
                assertThat(ev.data()).isZero();
                assertThat(Kq.poll(kq)).as("EV_CLEAR: once per drain (round %d)", round).isEmpty();
            }
            // nothing written: nothing drains, nothing is reported
            assertThat(Kq.waitFor(kq, 4, Duration.ofMillis(100))).isEmpty();
        }
    }

    @Test
    void emptyOnTcpWaitsForThePeerToAcknowledgeWhatItCouldNotTake() throws Exception {
        try (Conn c = Conn.tcp()) {
            int fd = Fd.of(c.client());
            c.client().configureBlocking(false);
            // fill the peer's receive window and our send buffer (the peer reads nothing yet)
            long sent = 0;
            ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
            for (int idle = 0; idle < 20; ) {
                chunk.clear();
                int n = c.client().write(chunk);
                sent += n;
                idle = n == 0 ? idle + 1 : 0;
                if (n == 0) {
                    Thread.sleep(5);
                }
            }
            add(kq, fd, EVFILT_EMPTY, EV_ADD);
            assertNoEvents(kq);
            // the peer takes all but a little: the buffer empties partly, no knote fires
            read(c.peer(), (int) sent - 10);
            // then the rest: the buffer drains, which nothing but the re-check sees
            read(c.peer(), 10);
            KEvent ev = awaitUntil(kq, fd, EVFILT_EMPTY, e -> true);
            assertThat(ev.data()).isZero();
        }
    }

    // ---- the EV_* flags on a TCP socket ---------------------------------------

    @Test
    void clearOnASocketReportsOnlyNewData() throws Exception {
        try (Conn c = Conn.tcp()) {
            int fd = Fd.of(c.peer());
            add(kq, fd, EVFILT_READ, EV_ADD | EV_CLEAR);
            assertNoEvents(kq);
            write(c.client(), 2);
            KEvent ev = awaitOne(kq);
            assertThat(ev.data()).isEqualTo(2);
            assertThat(ev.flags() & EV_CLEAR).isEqualTo(EV_CLEAR);
            assertNoEvents(kq);

            // written twice (in one go), drained once: edge-triggered, so no new event
            read(c.peer(), 1);
            assertNoEvents(kq);

            write(c.client(), 1);
            ev = awaitOne(kq);
            assertThat(ev.data()).as("the byte left over plus the new one").isEqualTo(2);
            assertNoEvents(kq);
        }
    }

    @Test
    void oneshotOnASocketIsGoneAfterOneDelivery() throws Exception {
        try (Conn c = Conn.tcp()) {
            int fd = Fd.of(c.peer());
            add(kq, fd, EVFILT_READ, EV_ADD | EV_ONESHOT);
            assertNoEvents(kq);
            write(c.client(), 3);
            KEvent ev = awaitOne(kq);
            assertThat(ev.data()).isEqualTo(3);
            assertThat(ev.flags() & EV_ONESHOT).isEqualTo(EV_ONESHOT);
            // still readable, but the knote is gone
            assertNoEvents(kq);
            write(c.client(), 1);
            awaitReadable(fd, 4);
            assertNoEvents(kq);
            assertThat(Kq.applyFails(kq, Kq.ev(fd, EVFILT_READ, EV_DELETE))).isEqualTo(Errno.ENOENT);
            // a new knote starts from the descriptor as it is
            add(kq, fd, EVFILT_READ, EV_ADD);
            assertThat(awaitOne(kq).data()).isEqualTo(4);
        }
    }

    @Test
    void dispatchReenableReportsDataStillPendingWithoutNewArrivals() throws Exception {
        try (Conn c = Conn.tcp()) {
            int fd = Fd.of(c.peer());
            add(kq, fd, EVFILT_READ, EV_ADD | EV_DISPATCH);
            assertNoEvents(kq);
            write(c.client(), 5);
            KEvent ev = awaitOne(kq);
            assertThat(ev.data()).isEqualTo(5);
            assertThat(ev.flags() & EV_DISPATCH).isEqualTo(EV_DISPATCH);
            assertNoEvents(kq);

            // nothing new arrives: EV_ENABLE alone must find the 5 bytes (a level re-check at enable)
            add(kq, fd, EVFILT_READ, EV_ENABLE);
            ev = awaitOne(kq);
            assertThat(ev.data()).isEqualTo(5);
            assertNoEvents(kq);   // dispatched, so disabled again

            read(c.peer(), 5);
            add(kq, fd, EVFILT_READ, EV_ENABLE);
            assertNoEvents(kq);
            // disabled-by-dispatch knotes can be deleted
            add(kq, fd, EVFILT_READ, EV_DELETE);
            assertThat(Kq.applyFails(kq, Kq.ev(fd, EVFILT_READ, EV_DELETE))).isEqualTo(Errno.ENOENT);
        }
    }

    /**
     * Bytes that arrive while a dispatched knote is disabled make it active
     * (epoll reports them); EV_ENABLE queues it without measuring, and the
     * scan measures it: what is there then, once, or nothing if the program
     * read it all before enabling.
     */
    @Test
    void dispatchReenableAfterArrivalsWhileDisabledReportsWhatIsThereAtTheScan() throws Exception {
        try (Conn c = Conn.tcp()) {
            int fd = Fd.of(c.peer());
            add(kq, fd, EVFILT_READ, EV_ADD | EV_DISPATCH);
            write(c.client(), 5);
            assertThat(awaitOne(kq).data()).isEqualTo(5);
            write(c.client(), 3);
            awaitReadable(fd, 8);
            assertNoEvents(kq);   // epoll's report of the 3 bytes is taken in while the knote is disabled
            add(kq, fd, EVFILT_READ, EV_ENABLE);
            assertThat(awaitOne(kq).data()).isEqualTo(8);
            assertNoEvents(kq);

            write(c.client(), 2);
            awaitReadable(fd, 10);
            assertNoEvents(kq);
            read(c.peer(), 10);
            add(kq, fd, EVFILT_READ, EV_ENABLE);
            assertNoEvents(kq);   // active, but the scan finds nothing to read
            write(c.client(), 1);
            assertThat(awaitOne(kq).data()).isEqualTo(1);
        }
    }

    /**
     * EV_ADD again or EV_ENABLE on a level-triggered knote that was never
     * disabled: reported once per scan while the data is there, with its
     * data, and not once it is read (epoll's level report is the re-check).
     */
    @Test
    void reAddAndEnableOfALevelKnoteReportItWhileReadyAndNotAfter() throws Exception {
        try (Conn c = Conn.tcp()) {
            int fd = Fd.of(c.peer());
            add(kq, fd, EVFILT_READ, EV_ADD);
            write(c.client(), 3);
            assertThat(awaitOne(kq).data()).isEqualTo(3);
            for (int flags : new int[] {EV_ADD, EV_ENABLE, EV_ADD | EV_ENABLE}) {
                KEventList changes = new KEventList(1);
                changes.add(fd, EVFILT_READ, flags, 0, 0, "again");
                KEventList out = new KEventList(4);
                assertThat(kq.kevent(changes, out, 0)).as("%s in the same call as the scan", flagsName(flags))
                        .isEqualTo(1);
                assertThat(out.data(0)).isEqualTo(3);
                assertThat(out.udata(0)).isEqualTo("again");
                add(kq, fd, EVFILT_READ, flags);
                assertThat(awaitOne(kq).data()).as("%s, then a scan", flagsName(flags)).isEqualTo(3);
            }
            read(c.peer(), 3);
            add(kq, fd, EVFILT_READ, EV_ADD);
            add(kq, fd, EVFILT_READ, EV_ENABLE);
            assertNoEvents(kq);
            write(c.client(), 2);
            assertThat(awaitOne(kq).data()).isEqualTo(2);
        }
    }

    /** A re-add that raises the low-water mark above what is buffered is not reported until it is reached. */
    @Test
    void reAddOfALevelKnoteWithAHigherLowWaterMarkWaitsForIt() throws Exception {
        try (Conn c = Conn.tcp()) {
            int fd = Fd.of(c.peer());
            add(kq, fd, EVFILT_READ, EV_ADD);
            write(c.client(), 3);
            assertThat(awaitOne(kq).data()).isEqualTo(3);
            apply(kq, Kq.ev(fd, EVFILT_READ, EV_ADD, NOTE_LOWAT, 5, null));
            assertNoEvents(kq);
            write(c.client(), 2);
            assertThat(awaitOne(kq).data()).isEqualTo(5);
        }
    }

    /** EV_ENABLE on an EV_CLEAR knote that is not disabled re-checks the descriptor: data still there is reported. */
    @Test
    void enableOfAClearedKnoteReportsDataStillPending() throws Exception {
        try (Conn c = Conn.tcp()) {
            int fd = Fd.of(c.peer());
            add(kq, fd, EVFILT_READ, EV_ADD | EV_CLEAR);
            write(c.client(), 4);
            assertThat(awaitOne(kq).data()).isEqualTo(4);
            assertNoEvents(kq);
            add(kq, fd, EVFILT_READ, EV_ENABLE);
            assertThat(awaitOne(kq).data()).isEqualTo(4);
            assertNoEvents(kq);
        }
    }

    @Test
    void addedDisabledThenEnabledReportsDataThatCameBefore() throws Exception {
        try (Conn c = Conn.tcp()) {
            int fd = Fd.of(c.peer());
            write(c.client(), 1);
            awaitReadable(fd, 1);
            add(kq, fd, EVFILT_READ, EV_ADD | EV_DISABLE);
            assertNoEvents(kq);
            add(kq, fd, EVFILT_READ, EV_ENABLE);
            KEvent ev = awaitOne(kq);
            assertThat(ev.data()).isEqualTo(1);
            assertThat(ev.flags() & (EV_DISABLE | EV_ENABLE | EV_ADD)).isZero();
        }
    }

    @Test
    void disableStopsReportsAndEnableResumesThem() throws Exception {
        try (Conn c = Conn.tcp()) {
            int fd = Fd.of(c.peer());
            add(kq, fd, EVFILT_READ, EV_ADD);
            write(c.client(), 2);
            assertThat(awaitOne(kq).data()).isEqualTo(2);
            add(kq, fd, EVFILT_READ, EV_DISABLE);
            assertNoEvents(kq);
            write(c.client(), 3);
            awaitReadable(fd, 5);
            assertNoEvents(kq);
            add(kq, fd, EVFILT_READ, EV_ENABLE);
            assertThat(awaitOne(kq).data()).isEqualTo(5);
            assertThat(Kq.poll(kq)).as("level-triggered again once enabled").hasSize(1);
        }
    }

    @Test
    void levelTriggeredRefiresWithLessDataAfterAPartialReadAndStopsWhenDrained() throws Exception {
        try (Conn c = Conn.tcp()) {
            int fd = Fd.of(c.peer());
            add(kq, fd, EVFILT_READ, EV_ADD);
            write(c.client(), 10);
            assertThat(awaitOne(kq).data()).isEqualTo(10);
            read(c.peer(), 4);
            List<KEvent> evs = Kq.poll(kq);
            assertThat(evs).hasSize(1);
            assertThat(evs.get(0).data()).isEqualTo(6);
            read(c.peer(), 6);
            assertNoEvents(kq);
            // and it is still registered: new data fires it again
            write(c.client(), 1);
            assertThat(awaitOne(kq).data()).isEqualTo(1);
        }
    }

    @Test
    void levelKnoteIsReportedOnEveryCallUntilDrainedAlsoBesideAClearKnote() throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            try (SocketChannel c = SocketChannel.open(server.getLocalAddress()); SocketChannel s = server.accept()) {
                s.configureBlocking(false);
                int fd = Fd.of(s);
                add(kq, fd, EVFILT_READ, EV_ADD);
                write(c, 3);
                for (int call = 0; call < 3; call++) {
                    List<KEvent> ev = waitFor(kq, 16, call == 0 ? WAIT : Duration.ZERO);
                    assertThat(ev).as("call %d", call).hasSize(1);
                    assertThat(ev.get(0).data()).isEqualTo(3);
                }
                // an EV_CLEAR knote on the same descriptor: the level one keeps firing, the clear one fires once
                add(kq, fd, EVFILT_WRITE, EV_ADD | EV_CLEAR);
                assertThat(poll(kq, 16)).extracting(KEvent::filter).containsExactlyInAnyOrder(EVFILT_READ, EVFILT_WRITE);
                assertThat(poll(kq, 16)).extracting(KEvent::filter).containsExactly(EVFILT_READ);
                add(kq, fd, EVFILT_WRITE, EV_DELETE);
                assertThat(poll(kq, 16)).extracting(KEvent::filter).containsExactly(EVFILT_READ);
                s.read(ByteBuffer.allocate(2));
                assertThat(poll(kq, 16)).extracting(KEvent::data).containsExactly(1L);
                s.read(ByteBuffer.allocate(1));
                assertThat(poll(kq, 16)).isEmpty();
                assertThat(waitFor(kq, 16, Duration.ofMillis(50))).isEmpty();
            }
        }
    }

    @Test
    void aListSmallerThanTheReadySocketsGetsEachInTurnAndNoneTwiceInACall() throws Exception {
        // five readable level-triggered sockets, two per call: those a call leaves queued come out before
        // what the next call's look reports again, so each socket is handed out within three calls
        List<Conn> conns = new ArrayList<>();
        try {
            Set<Long> fds = new HashSet<>();
            for (int i = 0; i < 5; i++) {
                Conn c = Conn.tcp();
                conns.add(c);
                int fd = Fd.of(c.peer());
                fds.add((long) fd);
                add(kq, fd, EVFILT_READ, EV_ADD);
                write(c.client(), 1);
                awaitReadable(fd, 1);
            }
            KEventList out = new KEventList(2);
            Set<Long> seen = new HashSet<>();
            for (int call = 0; call < 3; call++) {
                assertThat(kq.kevent(null, out, 0)).as("call %d", call).isEqualTo(2);
                assertThat(out.ident(0)).as("call %d: no socket twice", call).isNotEqualTo(out.ident(1));
                assertThat(out.data(0) + out.data(1)).as("call %d: one byte each", call).isEqualTo(2);
                seen.add(out.ident(0));
                seen.add(out.ident(1));
            }
            assertThat(seen).isEqualTo(fds);
        } finally {
            for (Conn c : conns) {
                c.close();
            }
        }
    }

    // ---- a reset connection ---------------------------------------------------

    @Test
    void resetByThePeerGivesEofWithEconnreset() throws Exception {
        try (Conn c = Conn.tcp()) {
            int fd = Fd.of(c.peer());
            add(kq, fd, EVFILT_READ, EV_ADD);
            assertNoEvents(kq);
            c.client().setOption(StandardSocketOptions.SO_LINGER, 0);
            c.client().close();   // linger 0: the close sends a reset
            KEvent ev = awaitUntil(kq, fd, EVFILT_READ, Kq::eof);
            assertThat(ev.fflags()).as("fflags = the socket error").isEqualTo(ECONNRESET);
            assertThat(ev.data()).isZero();
        }
    }

    @Test
    void resetByThePeerGivesEconnresetToEveryKnoteOnTheSocket() throws Exception {
        try (Conn c = Conn.tcp(); KQueue kq2 = KQueue.open()) {
            int fd = Fd.of(c.peer());
            add(kq, fd, EVFILT_READ, EV_ADD);
            add(kq, fd, EVFILT_WRITE, EV_ADD);   // level-triggered, as all three: EOF stays reported
            add(kq2, fd, EVFILT_READ, EV_ADD);
            assertThat(await(kq)).extracting(KEvent::filter).containsExactly(EVFILT_WRITE);
            c.client().setOption(StandardSocketOptions.SO_LINGER, 0);
            c.client().close();
            assertThat(awaitUntil(kq, fd, EVFILT_READ, Kq::eof).fflags())
                    .isEqualTo(ECONNRESET);
            assertThat(awaitUntil(kq, fd, EVFILT_WRITE, Kq::eof).fflags())
                    .isEqualTo(ECONNRESET);
            assertThat(awaitUntil(kq2, fd, EVFILT_READ, Kq::eof).fflags())
                    .isEqualTo(ECONNRESET);
        }
    }

    // ---- READ and WRITE knotes on one descriptor ------------------------------

    @Test
    void readAndWriteKnotesShareOneDescriptor() throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            try (SocketChannel c = SocketChannel.open(server.getLocalAddress()); SocketChannel s = server.accept()) {
                int fd = Fd.of(s);
                add(kq, fd, EVFILT_READ, EV_ADD | EV_CLEAR);
                add(kq, fd, EVFILT_WRITE, EV_ADD | EV_CLEAR);
                List<KEvent> ev = waitFor(kq, 16, WAIT);
                assertThat(ev).extracting(KEvent::filter).containsExactly(EVFILT_WRITE);
                write(c, 1);
                ev = waitFor(kq, 16, WAIT);
                // the segment that brings the byte also acknowledges: as on FreeBSD, WRITE may fire too
                assertThat(ev).extracting(KEvent::filter).contains(EVFILT_READ);
                add(kq, fd, EVFILT_WRITE, EV_DELETE);
                write(c, 1);
                ev = waitFor(kq, 16, WAIT);
                assertThat(ev).extracting(KEvent::filter).containsExactly(EVFILT_READ);
                assertThat(ev.get(0).data()).isEqualTo(2);
            }
        }
    }

    @Test
    void deletingReadLeavesWriteWorkingAndViceVersa() throws Exception {
        try (Conn c = Conn.tcp()) {
            int fd = Fd.of(c.peer());
            add(kq, fd, EVFILT_READ, EV_ADD);
            add(kq, fd, EVFILT_WRITE, EV_ADD | EV_CLEAR);
            assertThat(await(kq)).extracting(KEvent::filter).containsExactly(EVFILT_WRITE);

            add(kq, fd, EVFILT_READ, EV_DELETE);
            write(c.client(), 5);
            awaitReadable(fd, 5);
            Kq.poll(kq).forEach(e -> assertThat(e.filter()).as("no READ after its delete").isEqualTo(EVFILT_WRITE));
            // the WRITE knote still hears the descriptor: fill the send buffer, let the peer drain it
            c.peer().configureBlocking(false);
            ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
            long sent = 0;
            for (int n; (n = c.peer().write(chunk.clear())) > 0; ) {
                sent += n;
            }
            read(c.client(), Math.toIntExact(sent));
            KEvent w = awaitUntil(kq, fd, EVFILT_WRITE, e -> true);
            assertThat(w.data()).isPositive();

            // and the other way round
            add(kq, fd, EVFILT_READ, EV_ADD | EV_CLEAR);
            add(kq, fd, EVFILT_WRITE, EV_DELETE);
            List<KEvent> evs = await(kq);
            assertThat(evs).extracting(KEvent::filter).containsExactly(EVFILT_READ);
            assertThat(evs.get(0).data()).isEqualTo(5);
            assertNoEvents(kq);
            write(c.client(), 3);
            KEvent r = awaitOne(kq);
            assertThat(r.filter()).isEqualTo(EVFILT_READ);
            assertThat(r.data()).isEqualTo(8);
        }
    }

    @Test
    void twoKqueuesWatchingOneSocketBothHearIt() throws Exception {
        try (Conn c = Conn.tcp(); KQueue kq2 = KQueue.open()) {
            int fd = Fd.of(c.client());
            add(kq, fd, EVFILT_WRITE, EV_ADD | EV_ONESHOT);
            add(kq2, fd, EVFILT_WRITE, EV_ADD | EV_ONESHOT);
            assertThat(awaitOne(kq).filter()).isEqualTo(EVFILT_WRITE);
            assertThat(await(kq2)).extracting(KEvent::filter).containsExactly(EVFILT_WRITE);

            int pfd = Fd.of(c.peer());
            add(kq, pfd, EVFILT_READ, EV_ADD | EV_CLEAR);
            add(kq2, pfd, EVFILT_READ, EV_ADD | EV_CLEAR);
            write(c.client(), 6);
            assertThat(awaitOne(kq).data()).isEqualTo(6);
            List<KEvent> evs = await(kq2);
            assertThat(evs).hasSize(1);
            assertThat(evs.get(0).data()).isEqualTo(6);
            // one kqueue dropping its knote leaves the other's alone
            add(kq, pfd, EVFILT_READ, EV_DELETE);
            write(c.client(), 1);
            assertThat(awaitUntil(kq2, pfd, EVFILT_READ, e -> true).data()).isEqualTo(7);
            assertNoEvents(kq);
        }
    }

    // ---- udata, EV_RECEIPT ----------------------------------------------------

    @Test
    void udataRoundTripsAndAModifyReplacesIt() throws Exception {
        try (Conn c = Conn.tcp()) {
            int fd = Fd.of(c.client());
            Object first = new Object();
            Kq.apply(kq, Kq.ev(fd, EVFILT_WRITE, EV_ADD, 0, 0, first));
            assertThat(awaitOne(kq).udata()).isSameAs(first);
            Kq.apply(kq, Kq.ev(fd, EVFILT_WRITE, EV_ADD, 0, 0, "second"));
            assertThat(awaitOne(kq).udata()).isEqualTo("second");
            // EV_KEEPUDATA: the modify keeps what is there
            Kq.apply(kq, Kq.ev(fd, EVFILT_WRITE, EV_ADD | EV_KEEPUDATA, 0, 0, "ignored"));
            assertThat(awaitOne(kq).udata()).isEqualTo("second");
            Kq.apply(kq, Kq.ev(fd, EVFILT_WRITE, EV_ADD, 0, 0, null));
            assertThat(awaitOne(kq).udata()).isNull();

            int pfd = Fd.of(c.peer());
            Kq.apply(kq, Kq.ev(pfd, EVFILT_READ, EV_ADD, 0, 0, c));
            add(kq, fd, EVFILT_WRITE, EV_DELETE);
            write(c.client(), 1);
            KEvent ev = awaitOne(kq);
            assertThat(ev.ident()).isEqualTo(pfd);
            assertThat(ev.udata()).isSameAs(c);
        }
    }

    @Test
    void receiptOnDescriptorKnotesReportsEachChangeWithoutScanning() throws Exception {
        try (Conn c = Conn.tcp()) {
            int fd = Fd.of(c.peer());
            write(c.client(), 4);
            awaitReadable(fd, 4);
            KEvent[] out = new KEvent[4];
            int n = kq.kevent(new KEvent[] {
                    Kq.ev(fd, EVFILT_READ, EV_ADD | EV_RECEIPT, 0, 0, "r"),
                    Kq.ev(1_000_000, EVFILT_WRITE, EV_ADD | EV_RECEIPT, 0, 0, "bad")}, out, WAIT);
            assertThat(n).as("one entry per change, and no scan").isEqualTo(2);
            assertThat(out[0].ident()).isEqualTo(fd);
            assertThat(out[0].filter()).isEqualTo(EVFILT_READ);
            assertThat(out[0].flags() & EV_ERROR).isEqualTo(EV_ERROR);
            assertThat(out[0].data()).isZero();
            assertThat(out[0].udata()).isEqualTo("r");
            assertThat(out[1].flags() & EV_ERROR).isEqualTo(EV_ERROR);
            assertThat(out[1].data()).isEqualTo(Errno.EBADF.code());

            // the knote was added: the next call reports the data
            KEvent ev = awaitOne(kq);
            assertThat(ev.ident()).isEqualTo(fd);
            assertThat(ev.data()).isEqualTo(4);
            assertThat(ev.flags() & EV_ERROR).isZero();
            assertThat(ev.udata()).isEqualTo("r");
        }
    }
}
