package io.jkqueue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

import static io.jkqueue.KEvent.*;
import static io.jkqueue.Kq.*;
import static java.nio.file.StandardOpenOption.READ;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bytes allocated per AIO job with reused cbs, by the submitting thread and
 * the backend's threads together (ThreadMXBean's allocated-bytes counters).
 */
@ExtendWith(KqExtension.class)
class AioAllocationTest {
    private static final int JOBS = 20_000;
    // the knote (measured 140-220 B, with what contended locks queue); a copy of the
    // change per registration and deletion would add some 500 B
    private static final long ONESHOT_KNOTE_BYTES = 400;

    private final KQueue kq;

    AioAllocationTest(KQueue kq) {
        this.kq = kq;
    }

    /** The allocated bytes of this thread and of jkqueue's AIO threads so far. */
    private static long allocated() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long sum = mx.getCurrentThreadAllocatedBytes();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("jkqueue-aio")) {
                sum += mx.getThreadAllocatedBytes(t.threadId());
            }
        }
        return sum;
    }

    private static void spinUntilDone(AioCb cb) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (Aio.error(cb) == Errno.EINPROGRESS.code()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(cb + " not done within " + WAIT);
            }
            Thread.onSpinWait();
        }
    }

    private static Path file(Path dir) throws Exception {
        Path f = dir.resolve("f");
        Files.write(f, new byte[64 * 1024]);
        return f;
    }

    @Test
    void aReusedCbAllocatesNothingPerJob(@TempDir Path dir) throws Exception {
        try (FileChannel ch = FileChannel.open(file(dir), READ)) {
            AioCb direct = new AioCb(Fd.of(ch), ByteBuffer.allocateDirect(4096), 0);
            AioCb heap = new AioCb(Fd.of(ch), ByteBuffer.allocate(4096), 0);
            long best = AllocationRounds.fewestBytesPerOp("AIO without kevent", JOBS, 0,
                    AioAllocationTest::allocated, () -> {
                        int bad = 0;
                        for (int i = 0; i < JOBS; i++) {
                            AioCb cb = (i & 1) == 0 ? direct : heap;
                            cb.offset((i & 15) * 4096L);
                            Aio.read(cb);
                            spinUntilDone(cb);
                            bad += Aio.returnValue(cb) == 4096 ? 0 : 1;   // (no assertion object per job)
                        }
                        assertThat(bad).as("jobs with a wrong result").isZero();
                    });
            assertThat(best).as("bytes allocated per job in the best round after the first").isZero();
        }
    }

    /**
     * Another job waits meanwhile (a socket read with its knote in the same
     * kqueue), as in a program with more than one job in flight; the cb's
     * reads come from the page cache, done within Aio.read. Its knote is kept
     * from one job to the next (level-triggered or EV_CLEAR): nothing per
     * job; an EV_ONESHOT knote goes with each report, so each job costs one.
     */
    @Test
    void aReusedCbWithAKqueueAllocatesNothingPerJobButAOneShotKnote(@TempDir Path dir) throws Exception {
        try (FileChannel ch = FileChannel.open(file(dir), READ);
                ServerSocketChannel server = ServerSocketChannel.open()
                        .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                SocketChannel c = SocketChannel.open(server.getLocalAddress());
                SocketChannel d = server.accept()) {
            AioCb waiting = new AioCb(Fd.of(c), ByteBuffer.allocate(1), 0).notifyKqueue(kq, 0, "waiting");
            Aio.read(waiting);
            for (int flags : new int[] {0, EV_CLEAR, EV_ONESHOT}) {
                AioCb cb = new AioCb(Fd.of(ch), ByteBuffer.allocateDirect(4096), 0).notifyKqueue(kq, flags, "x");
                long best = bestBytesPerJob(cb, flags, flags == EV_ONESHOT ? ONESHOT_KNOTE_BYTES : 0);
                if (flags == EV_ONESHOT) {
                    assertThat(best).as("bytes allocated per EV_ONESHOT job: its knote")
                            .isLessThanOrEqualTo(ONESHOT_KNOTE_BYTES);
                } else {
                    assertThat(best).as("bytes allocated per job, flags %x, in the best round after the first", flags)
                            .isZero();
                }
            }
            assertThat(Aio.error(waiting)).isEqualTo(Errno.EINPROGRESS.code());
            assertThat(Aio.cancel(Fd.of(c), waiting)).isEqualTo(Aio.AIO_CANCELED);
            assertThat(Kq.awaitUntil(kq, waiting.ident(), EVFILT_AIO, e -> true).data()).isEqualTo(-1);
            assertThat(Aio.returnValue(waiting)).isEqualTo(-1);
        }
    }

    /**
     * Rounds of JOBS read, kevent and aio_return of {@code cb}: the fewest
     * bytes per job of a round after the first, once at or under {@code target}.
     */
    private long bestBytesPerJob(AioCb cb, int flags, long target) throws Exception {
        KEventList out = new KEventList(1);
        return AllocationRounds.fewestBytesPerOp("AIO with kevent, flags " + flags, JOBS, target,
                AioAllocationTest::allocated, () -> {
                    int bad = 0;
                    for (int i = 0; i < JOBS; i++) {
                        cb.offset((i & 15) * 4096L);
                        Aio.read(cb);
                        bad += kq.kevent(null, out, WAIT.toNanos()) == 1 && out.data(0) == 4096 ? 0 : 1;
                        bad += Aio.returnValue(cb) == 4096 ? 0 : 1;
                    }
                    assertThat(bad).as("jobs with a wrong result").isZero();
                });
    }
}
