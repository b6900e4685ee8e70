package io.jkqueue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static io.jkqueue.AioKit.*;
import static io.jkqueue.KEvent.*;
import static io.jkqueue.Kq.*;
import static org.assertj.core.api.Assertions.assertThat;

/** EVFILT_AIO on sockets (FreeBSD's socket AIO, soaio_process_job; tests/sys/aio's socket cases): reads that wait for data. */
@ExtendWith(KqExtension.class)
class AioSocketTest {
    private final KQueue kq;
    private SocketChannel a;
    private SocketChannel b;

    AioSocketTest(KQueue kq) {
        this.kq = kq;
    }

    @BeforeEach
    void connect() throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            a = SocketChannel.open(server.getLocalAddress());
            b = server.accept();
        }
    }

    @AfterEach
    void close() throws IOException {
        a.close();
        b.close();
    }

    @Test
    void aReadWaitsForDataThenReportsIt() throws Exception {
        ByteBuffer buf = ByteBuffer.allocate(100);
        AioCb cb = new AioCb(Fd.of(a), buf, 0).notifyKqueue(kq, 0, "r");
        Aio.read(cb);
        assertThat(poll(kq)).as("no data yet").isEmpty();
        assertThat(Aio.error(cb)).isEqualTo(Errno.EINPROGRESS.code());
        assertThat(errnoOf(() -> Aio.returnValue(cb))).as("aio_return while in progress").isEqualTo(Errno.EINVAL);
        b.write(ByteBuffer.wrap("hello".getBytes(StandardCharsets.US_ASCII)));
        KEvent e = one(kq);
        assertThat(e.ident()).isEqualTo(cb.ident());
        assertThat(e.udata()).isEqualTo("r");
        assertThat(e.data()).isEqualTo(5);
        assertThat(Aio.returnValue(cb)).isEqualTo(5);
        assertThat(new String(buf.array(), 0, 5, StandardCharsets.US_ASCII)).isEqualTo("hello");
        assertThat(buf.position()).isZero();
    }

    @Test
    void aWriteSendsAndAReadAtEndOfStreamIsZero() throws Exception {
        AioCb w = new AioCb(Fd.of(a), ByteBuffer.wrap("abc".getBytes(StandardCharsets.US_ASCII)), 0)
                .notifyKqueue(kq, 0, "w");
        Aio.write(w);
        assertThat(one(kq).data()).isEqualTo(3);
        assertThat(Aio.returnValue(w)).isEqualTo(3);
        read(b, 3);

        AioCb r = new AioCb(Fd.of(a), ByteBuffer.allocateDirect(10), 0).notifyKqueue(kq, 0, null);
        Aio.read(r);
        b.shutdownOutput();
        assertThat(one(kq).data()).isZero();
        assertThat(Aio.returnValue(r)).isZero();
    }

    @Test
    void cancellingAReadThatWaitsReportsEcanceled() throws Exception {
        AioCb cb = new AioCb(Fd.of(a), ByteBuffer.allocate(10), 0).notifyKqueue(kq, 0, "c");
        Aio.read(cb);
        assertThat(Aio.cancel(Fd.of(a), cb)).isEqualTo(Aio.AIO_CANCELED);
        KEvent e = one(kq);
        assertThat(e.udata()).isEqualTo("c");
        assertThat(e.data()).isEqualTo(-1);
        assertThat(Aio.error(cb)).isEqualTo(Errno.ECANCELED.code());
        assertThat(Aio.returnValue(cb)).isEqualTo(-1);
        assertThat(Aio.cancel(Fd.of(a), cb)).as("nothing left to cancel").isEqualTo(Aio.AIO_ALLDONE);

        // the data that comes later is not taken by the cancelled read
        b.write(ByteBuffer.wrap(new byte[] {42}));
        ByteBuffer got = ByteBuffer.allocate(1);
        a.read(got);
        assertThat(got.get(0)).isEqualTo((byte) 42);
    }

    @Test
    void cancellingEveryJobOfADescriptor() throws Exception {
        int fd = Fd.of(a);
        AioCb[] cbs = new AioCb[3];
        for (int i = 0; i < cbs.length; i++) {
            cbs[i] = new AioCb(fd, ByteBuffer.allocate(10), 0);
            Aio.read(cbs[i]);
        }
        assertThat(Aio.cancel(fd, null)).isEqualTo(Aio.AIO_CANCELED);
        for (AioCb cb : cbs) {
            assertThat(awaitDone(cb)).isEqualTo(Errno.ECANCELED.code());
            assertThat(Aio.returnValue(cb)).isEqualTo(-1);
        }
        assertThat(Aio.cancel(fd, null)).as("no job left").isEqualTo(Aio.AIO_ALLDONE);
    }

    @Test
    void cancelOfADoneJobIsAllDoneAndOfAnotherDescriptorEbadf() throws Exception {
        AioCb w = new AioCb(Fd.of(a), ByteBuffer.allocate(1), 0);
        Aio.write(w);
        assertThat(awaitDone(w)).isZero();
        assertThat(Aio.cancel(Fd.of(a), w)).isEqualTo(Aio.AIO_ALLDONE);
        assertThat(errnoOf(() -> Aio.cancel(Fd.of(b), w))).isEqualTo(Errno.EBADF);
        assertThat(errnoOf(() -> Aio.cancel(100_000, null))).isEqualTo(Errno.EBADF);
        assertThat(Aio.returnValue(w)).isEqualTo(1);
    }

    @Test
    void readsWaitingForDataHoldNoWorker(@TempDir Path dir) throws Exception {
        AioCb[] waiting = new AioCb[64];   // far more than the backend has workers
        for (int i = 0; i < waiting.length; i++) {
            waiting[i] = new AioCb(Fd.of(a), ByteBuffer.allocate(1), 0);
            Aio.read(waiting[i]);
        }
        Path f = Files.write(dir.resolve("f"), new byte[] {1, 2, 3});
        try (FileChannel ch = FileChannel.open(f)) {
            AioCb file = new AioCb(Fd.of(ch), ByteBuffer.allocate(3), 0).notifyKqueue(kq, 0, "file");
            Aio.read(file);
            assertThat(one(kq).udata()).isEqualTo("file");
            assertThat(Aio.returnValue(file)).isEqualTo(3);
        }
        for (AioCb cb : waiting) {
            assertThat(Aio.error(cb)).isEqualTo(Errno.EINPROGRESS.code());
        }
        assertThat(Aio.cancel(Fd.of(a), null)).isEqualTo(Aio.AIO_CANCELED);
        for (AioCb cb : waiting) {
            assertThat(awaitDone(cb)).isEqualTo(Errno.ECANCELED.code());
            assertThat(Aio.returnValue(cb)).isEqualTo(-1);
        }
    }

    @Test
    void fsyncOfASocketIsEinval() {
        assertThat(errnoOf(() -> Aio.fsync(new AioCb(Fd.of(a), ByteBuffer.allocate(0), 0)))).isEqualTo(Errno.EINVAL);
    }

    @Test
    void closingTheSocketWithAReadWaitingLeaksNothing() throws Exception {
        for (int i = 0; i < 8; i++) {   // the backend's threads, their per-thread native scratch and the pool exist after
            closeWithAReadWaiting();
        }
        int fds = openFds();
        long direct = directBytes();
        for (int i = 0; i < 20; i++) {
            closeWithAReadWaiting();
        }
        assertThat(openFds()).as("descriptors: the sockets and the jobs' holds are gone").isEqualTo(fds);
        // a chunk kept per job would be 20 x 4 KiB; a worker's first call may still take its few bytes of scratch
        assertThat(directBytes() - direct).as("direct memory kept by 20 jobs").isLessThan(4096);
    }

    private void closeWithAReadWaiting() throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            SocketChannel c = SocketChannel.open(server.getLocalAddress());
            try (SocketChannel d = server.accept()) {
                AioCb cb = new AioCb(Fd.of(c), ByteBuffer.allocate(10), 0).notifyKqueue(kq, 0, null);
                Aio.read(cb);
                c.close();   // the job holds the socket: it still waits for data
                d.write(ByteBuffer.wrap(new byte[] {7}));
                assertThat(one(kq).data()).isEqualTo(1);
                assertThat(Aio.returnValue(cb)).isEqualTo(1);
                assertThat(cb.buffer().get(0)).isEqualTo((byte) 7);
            }
        }
    }
}
