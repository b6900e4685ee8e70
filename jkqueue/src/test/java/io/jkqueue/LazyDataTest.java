package io.jkqueue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;

import static io.jkqueue.KEvent.*;
import static io.jkqueue.Kq.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The data of a level-triggered READ or WRITE event on a channel's
 * descriptor, which KEventList measures when the program first reads it:
 * equal to the eager measurement when read right away, the state at that
 * read otherwise, kept once read, 0 once the channel is closed; never left
 * over in a reused list; eager wherever the value decides readiness or
 * flags, and in the KEvent[] overload.
 */
@ExtendWith(KqExtension.class)
class LazyDataTest {
    private final KQueue kq;

    LazyDataTest(KQueue kq) {
        this.kq = kq;
    }

    private record Conn(ServerSocketChannel server, SocketChannel client, SocketChannel peer) implements AutoCloseable {
        static Conn tcp() throws IOException {
            ServerSocketChannel server = ServerSocketChannel.open();
            server.bind(new InetSocketAddress("127.0.0.1", 0));
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

    /** Waits (through the KEventList overload) until kevent returns something; the events stay in {@code out}. */
    private int awaitList(KEventList out) throws IOException {
        int n = kq.kevent(null, out, WAIT.toNanos());
        assertThat(n).as("an event within %s", WAIT).isPositive();
        return n;
    }

    /** Another kqueue's READ knote on {@code fd} (read through the KEvent[] overload): waits until {@code bytes} are there. */
    private static void awaitReadable(int fd, long bytes) throws IOException, InterruptedException {
        try (KQueue probe = KQueue.open()) {
            add(probe, fd, EVFILT_READ, EV_ADD);
            awaitUntil(probe, fd, EVFILT_READ, e -> e.data() >= bytes);
        }
    }

    @Test
    void socketReadDataReadRightAwayIsTheBytesReadable() throws Exception {
        try (Conn c = Conn.tcp()) {
            int fd = Fd.of(c.peer());
            add(kq, fd, EVFILT_READ, EV_ADD);
            write(c.client(), 10);
            awaitReadable(fd, 10);
            KEventList out = new KEventList(4);
            assertThat(awaitList(out)).isEqualTo(1);
            assertThat(out.ident(0)).isEqualTo(fd);
            assertThat(out.filter(0)).isEqualTo(EVFILT_READ);
            assertThat(out.flags(0) & EV_EOF).isZero();
            assertThat(out.data(0)).isEqualTo(10);
        }
    }

    @Test
    void dataReadAfterTheProgramReadPartOfTheBytesIsWhatIsLeftAndIsKept() throws Exception {
        try (Conn c = Conn.tcp()) {
            int fd = Fd.of(c.peer());
            add(kq, fd, EVFILT_READ, EV_ADD);
            write(c.client(), 10);
            awaitReadable(fd, 10);
            KEventList out = new KEventList(4);
            assertThat(awaitList(out)).isEqualTo(1);
            read(c.peer(), 4);
            assertThat(out.data(0)).as("measured at the first read of data").isEqualTo(6);
            read(c.peer(), 6);
            assertThat(out.data(0)).as("kept once read").isEqualTo(6);
            assertThat(out.get(0).data()).isEqualTo(6);
        }
    }

    @Test
    void clearAndDispatchEventsEpollReportedInTheCallAreMeasuredAtTheFirstReadToo() throws Exception {
        for (int flags : new int[] {EV_CLEAR, EV_DISPATCH}) {
            try (Conn c = Conn.tcp()) {
                int fd = Fd.of(c.peer());
                add(kq, fd, EVFILT_READ, EV_ADD | flags);
                write(c.client(), 10);
                awaitReadable(fd, 10);
                KEventList out = new KEventList(4);
                assertThat(awaitList(out)).isEqualTo(1);
                read(c.peer(), 4);
                assertThat(out.data(0)).as("flags %#x: measured at the first read of data", flags).isEqualTo(6);
                read(c.peer(), 6);
                assertThat(kq.kevent(null, out, 0)).as("flags %#x: nothing new", flags).isZero();
                add(kq, fd, EVFILT_READ, EV_DELETE);
            }
        }
    }

    @Test
    void getAndToStringMeasureLikeData() throws Exception {
        try (Conn c = Conn.tcp()) {
            int fd = Fd.of(c.peer());
            add(kq, fd, EVFILT_READ, EV_ADD);
            write(c.client(), 10);
            awaitReadable(fd, 10);
            KEventList out = new KEventList(4);
            assertThat(awaitList(out)).isEqualTo(1);
            read(c.peer(), 3);
            assertThat(out.toString()).contains("data=7");
            read(c.peer(), 3);
            assertThat(out.get(0).data()).as("toString measured it").isEqualTo(7);
        }
    }

    @Test
    void pipeReadDataIsTheBytesInThePipeAndWriteDataItsFreeSpace() throws Exception {
        Pipe p = Pipe.open();
        try (Pipe.SourceChannel source = p.source(); Pipe.SinkChannel sink = p.sink()) {
            int rfd = Fd.of(source);
            int wfd = Fd.of(sink);
            add(kq, wfd, EVFILT_WRITE, EV_ADD);
            KEventList out = new KEventList(4);
            assertThat(awaitList(out)).isEqualTo(1);
            assertThat(out.data(0)).as("an empty pipe's free space").isEqualTo(65536);
            add(kq, wfd, EVFILT_WRITE, EV_DELETE);

            add(kq, rfd, EVFILT_READ, EV_ADD);
            write(sink, 100);
            assertThat(awaitList(out)).isEqualTo(1);
            assertThat(out.data(0)).isEqualTo(100);
            read(source, 30);
            assertThat(awaitList(out)).isEqualTo(1);
            read(source, 20);
            assertThat(out.data(0)).isEqualTo(50);
        }
    }

    @Test
    void listeningSocketDataIsTheBacklog() throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            int fd = Fd.of(server);
            add(kq, fd, EVFILT_READ, EV_ADD);
            try (SocketChannel a = SocketChannel.open(server.getLocalAddress());
                 SocketChannel b = SocketChannel.open(server.getLocalAddress())) {
                awaitReadable(fd, 2);
                KEventList out = new KEventList(4);
                assertThat(awaitList(out)).isEqualTo(1);
                assertThat(out.data(0)).isEqualTo(2);
                server.accept().close();
                assertThat(awaitList(out)).isEqualTo(1);
                server.accept().close();
                assertThat(out.data(0)).as("measured after both were accepted").isZero();
            }
        }
    }

    @Test
    void socketWriteDataIsTheSendBuffersFreeSpace() throws Exception {
        try (Conn c = Conn.tcp()) {
            int fd = Fd.of(c.client());
            add(kq, fd, EVFILT_WRITE, EV_ADD);
            KEventList out = new KEventList(4);
            assertThat(awaitList(out)).isEqualTo(1);
            long lazy = out.data(0);
            try (KQueue eager = KQueue.open()) {
                // EV_CLEAR keeps the descriptor edge-triggered there: measured at the scan
                add(eager, fd, EVFILT_WRITE, EV_ADD | EV_CLEAR);
                assertThat(lazy).isPositive().isEqualTo(awaitOne(eager).data());
            }
        }
    }

    @Test
    void dataOfADescriptorClosedBeforeItIsReadIsZero() throws Exception {
        try (Conn c = Conn.tcp()) {
            int fd = Fd.of(c.peer());
            add(kq, fd, EVFILT_READ, EV_ADD);
            write(c.client(), 10);
            awaitReadable(fd, 10);
            KEventList out = new KEventList(4);
            assertThat(awaitList(out)).isEqualTo(1);
            c.peer().close();
            // the number may name another file now: open one, so that a measurement through it would show
            try (Conn other = Conn.tcp()) {
                write(other.client(), 5);
                assertThat(out.data(0)).isZero();
            }
        }
    }

    @Test
    void aReusedListNeverGivesAnEarlierCallsData() throws Exception {
        try (Conn c = Conn.tcp()) {
            int fd = Fd.of(c.peer());
            add(kq, fd, EVFILT_READ, EV_ADD);
            write(c.client(), 10);
            awaitReadable(fd, 10);
            KEventList out = new KEventList(1);
            assertThat(awaitList(out)).isEqualTo(1);   // data(0) left unread
            read(c.peer(), 10);
            apply(kq, user(1, EV_ADD), user(1, 0, NOTE_TRIGGER, 0, null));
            assertThat(awaitList(out)).isEqualTo(1);
            assertThat(out.filter(0)).isEqualTo(EVFILT_USER);
            assertThat(out.data(0)).isZero();

            // as a change list: what add wrote, not a measurement
            write(c.client(), 10);
            awaitReadable(fd, 10);
            apply(kq, user(1, EV_DELETE));
            assertThat(awaitList(out)).isEqualTo(1);
            out.clear();
            out.add(1, EVFILT_USER, EV_ADD, 0, 77, null);
            assertThat(out.data(0)).isEqualTo(77);
            out.set(0, 1, EVFILT_USER, EV_ADD, 0, 78, null);
            assertThat(out.data(0)).isEqualTo(78);
        }
    }

    @Test
    void theKEventArrayOverloadMeasuresBeforeItReturns() throws Exception {
        try (Conn c = Conn.tcp()) {
            int fd = Fd.of(c.peer());
            add(kq, fd, EVFILT_READ, EV_ADD);
            write(c.client(), 10);
            awaitReadable(fd, 10);
            KEvent[] out = new KEvent[4];
            assertThat(kq.kevent(null, out, WAIT)).isEqualTo(1);
            read(c.peer(), 4);
            assertThat(out[0].data()).isEqualTo(10);
        }
    }

    @Test
    void aLowWaterMarkOrAnEndOfFileIsMeasuredAtTheScan() throws Exception {
        try (Conn c = Conn.tcp()) {
            int fd = Fd.of(c.peer());
            apply(kq, ev(fd, EVFILT_READ, EV_ADD, NOTE_LOWAT, 5, null));
            write(c.client(), 10);
            awaitReadable(fd, 10);
            KEventList out = new KEventList(4);
            assertThat(awaitList(out)).isEqualTo(1);
            read(c.peer(), 4);
            assertThat(out.data(0)).as("NOTE_LOWAT: measured to decide").isEqualTo(10);
            add(kq, fd, EVFILT_READ, EV_DELETE);

            add(kq, fd, EVFILT_READ, EV_ADD);
            c.client().shutdownOutput();
            assertThat(awaitList(out)).isEqualTo(1);
            assertThat(out.flags(0) & EV_EOF).isNotZero();
            read(c.peer(), 6);
            assertThat(out.data(0)).as("EV_EOF: measured with the flag").isEqualTo(6);
        }
    }

    @Test
    void levelTriggeredReReportIsUnchangedWhenDataIsNeverRead() throws Exception {
        try (Conn c = Conn.tcp()) {
            int fd = Fd.of(c.peer());
            add(kq, fd, EVFILT_READ, EV_ADD);
            write(c.client(), 10);
            awaitReadable(fd, 10);
            KEventList out = new KEventList(4);
            for (int call = 0; call < 3; call++) {
                assertThat(kq.kevent(null, out, 0)).as("call %d", call).isEqualTo(1);
            }
            read(c.peer(), 10);
            assertThat(kq.kevent(null, out, 0)).as("drained: no report").isZero();
            assertThat(kq.kevent(null, out, Duration.ofMillis(50).toNanos())).isZero();
            write(c.client(), 1);
            assertThat(awaitList(out)).isEqualTo(1);
            assertThat(out.data(0)).isEqualTo(1);
        }
    }

    @Test
    void aKnoteLeftQueuedByAFullListAndDrainedMeanwhileIsNotHandedOut() throws Exception {
        for (int flags : new int[] {0, EV_CLEAR}) {   // a level-triggered epoll entry, and an edge-triggered one
            try (Conn a = Conn.tcp(); Conn b = Conn.tcp()) {
                int fa = Fd.of(a.peer());
                int fb = Fd.of(b.peer());
                add(kq, fa, EVFILT_READ, EV_ADD | flags);
                add(kq, fb, EVFILT_READ, EV_ADD | flags);
                write(a.client(), 3);
                write(b.client(), 4);
                awaitReadable(fa, 3);
                awaitReadable(fb, 4);
                KEventList one = new KEventList(1);
                assertThat(kq.kevent(null, one, 0)).isEqualTo(1);
                // the other knote stays queued from that call's look; drain both before the next call
                read(a.peer(), 3);
                read(b.peer(), 4);
                assertThat(kq.kevent(null, one, 0)).as("flags %#x: nothing is readable any more", flags).isZero();
            }
        }
    }

    @Test
    void dataIsMeasuredOnceWithManyEventsInOneList() throws Exception {
        try (Conn a = Conn.tcp(); Conn b = Conn.tcp()) {
            int fa = Fd.of(a.peer());
            int fb = Fd.of(b.peer());
            add(kq, fa, EVFILT_READ, EV_ADD);
            add(kq, fb, EVFILT_READ, EV_ADD);
            write(a.client(), 3);
            write(b.client(), 4);
            awaitReadable(fa, 3);
            awaitReadable(fb, 4);
            KEventList out = new KEventList(8);
            assertThat(kq.kevent(null, out, WAIT.toNanos())).isEqualTo(2);
            long sum = 0;
            for (int i = 0; i < 2; i++) {
                sum += out.data(i);
                ByteBuffer buf = ByteBuffer.allocate((int) out.data(i));
                (out.ident(i) == fa ? a.peer() : b.peer()).read(buf);
                assertThat(buf.hasRemaining()).isFalse();
            }
            assertThat(sum).isEqualTo(7);
        }
    }
}
