package io.jkqueue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.jkqueue.AioKit.*;
import static io.jkqueue.KEvent.*;
import static io.jkqueue.Kq.*;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.assertj.core.api.Assertions.assertThat;

/** EVFILT_LIO (lio_listio LIO_NOWAIT with SIGEV_KEVENT; FreeBSD's tests/sys/aio lio_kevent cases). */
@ExtendWith(KqExtension.class)
class LioTest {
    private final KQueue kq;

    LioTest(KQueue kq) {
        this.kq = kq;
    }

    @Test
    void firesOnceEveryJobCompletedAndGoesWhenAllWereReturned(@TempDir Path dir) throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            try (SocketChannel a = SocketChannel.open(server.getLocalAddress()); SocketChannel b = server.accept();
                    FileChannel f = FileChannel.open(dir.resolve("f"), CREATE, READ, WRITE)) {
                AioCb write = new AioCb(Fd.of(f), ByteBuffer.wrap(new byte[] {1, 2, 3}), 0).lioOpcode(Aio.LIO_WRITE);
                AioCb nop = new AioCb(Fd.of(f), ByteBuffer.allocate(1), 0).lioOpcode(Aio.LIO_NOP);
                AioCb socketRead = new AioCb(Fd.of(a), ByteBuffer.allocate(8), 0).lioOpcode(Aio.LIO_READ);
                long ident = Aio.listio(kq, 0, "list", write, nop, socketRead);

                assertThat(awaitDone(write)).isZero();
                assertThat(poll(kq)).as("the socket read still waits").isEmpty();
                assertThat(Aio.returnValue(write)).isEqualTo(3);
                assertThat(poll(kq)).isEmpty();
                assertThat(Aio.error(nop)).as("LIO_NOP is not submitted").isEqualTo(Errno.EINVAL.code());

                b.write(ByteBuffer.wrap(new byte[] {9, 9}));
                KEvent e = one(kq);
                assertThat(e.filter()).isEqualTo(EVFILT_LIO);
                assertThat(e.ident()).isEqualTo(ident);
                assertThat(e.udata()).isEqualTo("list");
                assertThat(poll(kq)).as("level-triggered until every job is returned").hasSize(1);
                assertThat(Aio.returnValue(socketRead)).isEqualTo(2);
                assertThat(poll(kq)).as("gone once all were returned").isEmpty();
                assertThat(applyFails(kq, ev(ident, EVFILT_LIO, EV_DELETE))).isEqualTo(Errno.ENOENT);
                assertThat(Files.readAllBytes(dir.resolve("f"))).containsExactly(1, 2, 3);
            }
        }
    }

    @Test
    void eachJobAlsoReportsThroughItsOwnCb(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("f");
        Files.write(p, new byte[100]);
        try (FileChannel f = FileChannel.open(p, READ)) {
            AioCb r1 = new AioCb(Fd.of(f), ByteBuffer.allocate(10), 0).lioOpcode(Aio.LIO_READ).notifyKqueue(kq, 0, "r1");
            AioCb r2 = new AioCb(Fd.of(f), ByteBuffer.allocate(10), 95).lioOpcode(Aio.LIO_READ);
            long ident = Aio.listio(kq, EV_CLEAR, "list", r1, r2);
            KEvent lio = awaitUntil(kq, ident, EVFILT_LIO, x -> true);
            assertThat(lio.udata()).isEqualTo("list");
            assertThat(Aio.error(r1)).isZero();
            assertThat(Aio.error(r2)).isZero();
            List<KEvent> rest = poll(kq);
            assertThat(rest).extracting(KEvent::filter).containsOnly(EVFILT_AIO);
            assertThat(rest).extracting(KEvent::udata).containsOnly("r1");
            assertThat(Aio.returnValue(r1)).isEqualTo(10);
            assertThat(Aio.returnValue(r2)).isEqualTo(5);
            assertThat(poll(kq)).isEmpty();
        }
    }

    @Test
    void aJobThatCannotBeQueuedIsEioTheOthersRun(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("f");
        Files.write(p, new byte[10]);
        try (FileChannel f = FileChannel.open(p, READ)) {
            AioCb good = new AioCb(Fd.of(f), ByteBuffer.allocate(10), 0).lioOpcode(Aio.LIO_READ);
            AioCb badOp = new AioCb(Fd.of(f), ByteBuffer.allocate(10), 0).lioOpcode(7);
            AioCb badOffset = new AioCb(Fd.of(f), ByteBuffer.allocate(10), -1).lioOpcode(Aio.LIO_READ);
            assertThat(errnoOf(() -> Aio.listio(kq, 0, "l", good, badOp, badOffset))).isEqualTo(Errno.EIO);
            assertThat(Aio.error(badOp)).isEqualTo(Errno.EINVAL.code());
            assertThat(Aio.error(badOffset)).isEqualTo(Errno.EINVAL.code());
            KEvent e = one(kq);
            assertThat(e.filter()).as("the list of the jobs that were queued").isEqualTo(EVFILT_LIO);
            assertThat(Aio.returnValue(good)).isEqualTo(10);
            assertThat(poll(kq)).isEmpty();
        }
    }

    @Test
    void aClosedKqueueIsEbadfAndNothingIsQueued(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("f");
        Files.write(p, new byte[10]);
        KQueue closed = KQueue.open();
        closed.close();
        try (FileChannel f = FileChannel.open(p, READ)) {
            AioCb cb = new AioCb(Fd.of(f), ByteBuffer.allocate(10), 0).lioOpcode(Aio.LIO_READ);
            assertThat(errnoOf(() -> Aio.listio(closed, 0, null, cb))).isEqualTo(Errno.EBADF);
            assertThat(Aio.error(cb)).as("never submitted").isEqualTo(Errno.EINVAL.code());
        }
    }
}
