package io.jkqueue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static io.jkqueue.AioKit.*;
import static io.jkqueue.KEvent.*;
import static io.jkqueue.Kq.*;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.assertj.core.api.Assertions.assertThat;

/** EVFILT_AIO on regular files (vfs_aio.c: aio_read, aio_write, aio_fsync, aio_error, aio_return; FreeBSD's tests/sys/aio). */
@ExtendWith(KqExtension.class)
class AioTest {
    private final KQueue kq;

    AioTest(KQueue kq) {
        this.kq = kq;
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void readReturnsTheBytesAndIsShortAtEndOfFile(@TempDir Path dir) throws Exception {
        byte[] data = random(10_000, 1);
        Path f = dir.resolve("f");
        Files.write(f, data);
        try (FileChannel ch = FileChannel.open(f, READ)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(4096);
            AioCb cb = new AioCb(Fd.of(ch), buf, 8192).notifyKqueue(kq, 0, "tail");
            Aio.read(cb);
            KEvent e = one(kq);
            assertThat(e.filter()).isEqualTo(EVFILT_AIO);
            assertThat(e.ident()).isEqualTo(cb.ident());
            assertThat(e.udata()).isEqualTo("tail");
            assertThat(e.flags() & EV_EOF).isEqualTo(EV_EOF);
            assertThat(e.data()).isEqualTo(10_000 - 8192);
            assertThat(Aio.error(cb)).isZero();
            assertThat(Aio.returnValue(cb)).isEqualTo(10_000 - 8192);
            assertThat(buf.position()).isZero();
            assertThat(buf.limit()).isEqualTo(4096);
            byte[] got = new byte[10_000 - 8192];
            buf.get(0, got);
            assertThat(got).isEqualTo(java.util.Arrays.copyOfRange(data, 8192, 10_000));

            AioCb past = new AioCb(Fd.of(ch), ByteBuffer.allocate(10), 20_000).notifyKqueue(kq, 0, null);
            Aio.read(past);
            assertThat(one(kq).data()).isZero();
            assertThat(Aio.returnValue(past)).isZero();
        }
    }

    @Test
    void heapAndDirectBuffersWriteAndReadBackAtTheirPosition(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("f");
        byte[] data = random(3000, 2);
        try (FileChannel ch = FileChannel.open(f, CREATE, READ, WRITE)) {
            int fd = Fd.of(ch);
            ByteBuffer heap = ByteBuffer.wrap(data.clone()).position(1000).limit(2000);
            AioCb w = new AioCb(fd, heap, 100).notifyKqueue(kq, 0, null);
            Aio.write(w);
            assertThat(one(kq).data()).isEqualTo(1000);
            assertThat(Aio.returnValue(w)).isEqualTo(1000);
            assertThat(heap.position()).isEqualTo(1000);
            assertThat(heap.limit()).isEqualTo(2000);
            byte[] onDisk = Files.readAllBytes(f);
            assertThat(onDisk).hasSize(1100);
            assertThat(java.util.Arrays.copyOfRange(onDisk, 100, 1100))
                    .isEqualTo(java.util.Arrays.copyOfRange(data, 1000, 2000));

            ByteBuffer back = ByteBuffer.allocate(1500).position(500);
            AioCb r = new AioCb(fd, back, 100).notifyKqueue(kq, 0, null);
            Aio.read(r);
            assertThat(one(kq).data()).isEqualTo(1000);
            assertThat(Aio.returnValue(r)).isEqualTo(1000);
            assertThat(back.position()).isEqualTo(500);
            assertThat(java.util.Arrays.copyOfRange(back.array(), 500, 1500))
                    .isEqualTo(java.util.Arrays.copyOfRange(data, 1000, 2000));
            assertThat(java.util.Arrays.copyOfRange(back.array(), 0, 500)).containsOnly(0);

            ByteBuffer direct = ByteBuffer.allocateDirect(64).position(8).limit(40);
            AioCb dr = new AioCb(fd, direct, 100).notifyKqueue(kq, 0, null);
            Aio.read(dr);
            assertThat(one(kq).data()).isEqualTo(32);
            assertThat(Aio.returnValue(dr)).isEqualTo(32);
            byte[] got = new byte[32];
            direct.get(8, got);
            assertThat(got).isEqualTo(java.util.Arrays.copyOfRange(data, 1000, 1032));
            assertThat(direct.get(7)).isZero();
        }
    }

    @Test
    void levelTriggeredUntilReturnedThenTheKnoteIsGone(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("f");
        Files.write(f, random(100, 3));
        try (FileChannel ch = FileChannel.open(f, READ)) {
            AioCb cb = new AioCb(Fd.of(ch), ByteBuffer.allocate(100), 0).notifyKqueue(kq, 0, "x");
            Aio.read(cb);
            assertThat(one(kq).data()).isEqualTo(100);
            for (int i = 0; i < 3; i++) {
                List<KEvent> again = poll(kq);
                assertThat(again).as("scan %d after the first report", i).hasSize(1);
                assertThat(again.get(0).ident()).isEqualTo(cb.ident());
                assertThat(again.get(0).data()).isEqualTo(100);
            }
            assertThat(Aio.returnValue(cb)).isEqualTo(100);
            assertThat(poll(kq)).isEmpty();
            assertThat(applyFails(kq, ev(cb.ident(), EVFILT_AIO, EV_DELETE))).isEqualTo(Errno.ENOENT);
        }
    }

    @Test
    void clearOneshotAndDispatchReportOnce(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("f");
        Files.write(f, random(100, 4));
        try (FileChannel ch = FileChannel.open(f, READ)) {
            for (int flags : new int[] {EV_CLEAR, EV_ONESHOT, EV_DISPATCH}) {
                AioCb cb = new AioCb(Fd.of(ch), ByteBuffer.allocate(50), 0).notifyKqueue(kq, flags, flags);
                Aio.read(cb);
                KEvent e = one(kq);
                assertThat(e.udata()).isEqualTo(flags);
                assertThat(e.data()).isEqualTo(50);
                assertThat(poll(kq)).as("flags %x", flags).isEmpty();
                assertThat(Aio.returnValue(cb)).isEqualTo(50);
                assertThat(poll(kq)).isEmpty();
            }
        }
    }

    @Test
    void returnValueOnceAndErrorAfterIt(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("f");
        Files.write(f, random(10, 5));
        try (FileChannel ch = FileChannel.open(f, READ)) {
            AioCb cb = new AioCb(Fd.of(ch), ByteBuffer.allocate(10), 0);
            assertThat(Aio.error(cb)).as("never submitted").isEqualTo(Errno.EINVAL.code());
            assertThat(errnoOf(() -> Aio.returnValue(cb))).isEqualTo(Errno.EINVAL);
            Aio.read(cb);
            assertThat(awaitDone(cb)).isZero();
            assertThat(errnoOf(() -> Aio.read(cb))).as("submitted again before its return").isEqualTo(Errno.EINVAL);
            assertThat(Aio.error(cb)).as("the refused resubmission leaves the job alone").isZero();
            assertThat(Aio.returnValue(cb)).isEqualTo(10);
            assertThat(errnoOf(() -> Aio.returnValue(cb))).isEqualTo(Errno.EINVAL);
            assertThat(Aio.error(cb)).isEqualTo(Errno.EINVAL.code());
            Aio.read(cb);   // reused once returned
            assertThat(awaitReturn(cb)).isEqualTo(10);
        }
    }

    @Test
    void aFailedJobReportsItsErrnoAndMinusOne(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("f");
        Files.write(f, random(10, 6));
        try (FileChannel ch = FileChannel.open(f, WRITE)) {
            AioCb cb = new AioCb(Fd.of(ch), ByteBuffer.allocate(10), 0).notifyKqueue(kq, 0, null);
            Aio.read(cb);   // a write-only descriptor: pread fails EBADF
            KEvent e = one(kq);
            assertThat(e.data()).isEqualTo(-1);
            assertThat(Aio.error(cb)).isEqualTo(Errno.EBADF.code());
            assertThat(Aio.returnValue(cb)).isEqualTo(-1);
            assertThat(Aio.error(cb)).as("after the return, a failure's errno stays").isEqualTo(Errno.EBADF.code());
        }
    }

    @Test
    void submissionErrors(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("f");
        Files.write(f, random(10, 7));
        try (FileChannel ch = FileChannel.open(f, READ, WRITE)) {
            int fd = Fd.of(ch);
            assertThat(errnoOf(() -> Aio.read(new AioCb(100_000, ByteBuffer.allocate(1), 0)))).isEqualTo(Errno.EBADF);
            assertThat(errnoOf(() -> Aio.read(new AioCb(-1, ByteBuffer.allocate(1), 0)))).isEqualTo(Errno.EBADF);
            AioCb negative = new AioCb(fd, ByteBuffer.allocate(1), -1);
            assertThat(errnoOf(() -> Aio.read(negative))).isEqualTo(Errno.EINVAL);
            assertThat(Aio.error(negative)).as("a refused submission's errno").isEqualTo(Errno.EINVAL.code());
            assertThat(errnoOf(() -> Aio.returnValue(negative))).isEqualTo(Errno.EINVAL);
            assertThat(errnoOf(() -> Aio.write(new AioCb(fd, ByteBuffer.allocate(1), -5)))).isEqualTo(Errno.EINVAL);
            ByteBuffer ro = ByteBuffer.allocate(4).asReadOnlyBuffer();
            assertThat(errnoOf(() -> Aio.read(new AioCb(fd, ro, 0)))).isEqualTo(Errno.EINVAL);
            AioCb w = new AioCb(fd, ro, 0);
            Aio.write(w);   // a read-only buffer is fine to write from
            assertThat(awaitReturn(w)).isEqualTo(4);
            ByteBuffer roDirect = ByteBuffer.allocateDirect(4).asReadOnlyBuffer();
            assertThat(errnoOf(() -> Aio.read(new AioCb(fd, roDirect, 0)))).isEqualTo(Errno.EINVAL);
            AioCb wd = new AioCb(fd, roDirect, 0);
            Aio.write(wd);
            assertThat(awaitReturn(wd)).isEqualTo(4);

            KQueue closed = KQueue.open();
            closed.close();
            AioCb toClosed = new AioCb(fd, ByteBuffer.allocate(1), 0).notifyKqueue(closed, 0, null);
            assertThat(errnoOf(() -> Aio.read(toClosed))).isEqualTo(Errno.EBADF);
            assertThat(Aio.error(toClosed)).isEqualTo(Errno.EBADF.code());
        }
    }

    @Test
    void pipesAndFifosAreEopnotsupp(@TempDir Path dir) throws Exception {
        Pipe p = Pipe.open();
        try (Pipe.SourceChannel source = p.source(); Pipe.SinkChannel sink = p.sink()) {
            assertThat(errnoOf(() -> Aio.read(new AioCb(Fd.of(p.source()), ByteBuffer.allocate(1), 0))))
                    .isEqualTo(Errno.EOPNOTSUPP);
            assertThat(errnoOf(() -> Aio.write(new AioCb(Fd.of(p.sink()), ByteBuffer.allocate(1), 0))))
                    .isEqualTo(Errno.EOPNOTSUPP);
        }
        Path fifo = dir.resolve("fifo");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
        try (FileChannel ch = FileChannel.open(fifo, READ, WRITE)) {
            assertThat(errnoOf(() -> Aio.read(new AioCb(Fd.of(ch), ByteBuffer.allocate(1), 0))))
                    .isEqualTo(Errno.EOPNOTSUPP);
        }
    }

    @Test
    void aChangeListCannotAddAnAioOrLioKnote() throws Exception {
        for (int filter : new int[] {EVFILT_AIO, EVFILT_LIO}) {
            assertThat(applyFails(kq, ev(1, filter, EV_ADD))).isEqualTo(Errno.EPERM);
            assertThat(applyFails(kq, ev(1, filter, EV_ADD | EV_FLAG1))).as("EV_FLAG1 from a user").isEqualTo(Errno.EPERM);
            assertThat(applyFails(kq, ev(1, filter, EV_ADD | EV_FLAG1, 0, 0, new Object()))).isEqualTo(Errno.EPERM);
        }
        assertThat(applyFails(kq, ev(1, EVFILT_SENDFILE, EV_ADD))).isEqualTo(Errno.ENXIO);
    }

    @Test
    void fsyncCompletesAfterTheWritesBeforeIt(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("f");
        try (FileChannel ch = FileChannel.open(f, CREATE, READ, WRITE)) {
            int fd = Fd.of(ch);
            int n = 64;
            List<AioCb> writes = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                AioCb w = new AioCb(fd, ByteBuffer.wrap(random(64 * 1024, i)), (long) i * 64 * 1024);
                Aio.write(w);
                writes.add(w);
            }
            AioCb sync = new AioCb(fd, ByteBuffer.allocate(0), 0).notifyKqueue(kq, 0, "sync");
            Aio.fsync(sync);
            KEvent e = awaitUntil(kq, sync.ident(), EVFILT_AIO, x -> true);
            assertThat(e.data()).isZero();
            for (AioCb w : writes) {
                assertThat(Aio.error(w)).as("a write queued before the fsync, when the fsync completed").isZero();
            }
            assertThat(Aio.returnValue(sync)).isZero();
            for (AioCb w : writes) {
                assertThat(Aio.returnValue(w)).isEqualTo(64 * 1024);
            }
            assertThat(Files.size(f)).isEqualTo((long) n * 64 * 1024);
        }
    }

    @Test
    void cancelTakesBackQueuedFileJobsAndLeavesRunningOnes(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("f");
        try (FileChannel ch = FileChannel.open(f, CREATE, READ, WRITE)) {
            int fd = Fd.of(ch);
            List<AioCb> cbs = new ArrayList<>();
            ByteBuffer big = ByteBuffer.allocateDirect(16 << 20);
            for (int i = 0; i < 8; i++) {   // the workers are busy with these while the small ones queue
                AioCb cb = new AioCb(fd, big, (1L << 20) + ((long) i << 24));
                Aio.write(cb);
                cbs.add(cb);
            }
            for (int i = 0; i < 256; i++) {
                AioCb cb = new AioCb(fd, ByteBuffer.wrap(random(4096, i)), (long) i * 4096).notifyKqueue(kq, 0, i);
                Aio.write(cb);
                cbs.add(cb);
            }
            int r = Aio.cancel(fd, null);
            assertThat(r).isIn(Aio.AIO_CANCELED, Aio.AIO_NOTCANCELED, Aio.AIO_ALLDONE);
            int cancelled = 0;
            for (AioCb cb : cbs) {
                int e = awaitDone(cb);
                assertThat(e).as("%s", cb).isIn(0, Errno.ECANCELED.code());
                long ret = Aio.returnValue(cb);
                assertThat(ret).isEqualTo(e == 0 ? cb.buffer().remaining() : -1);
                if (e != 0) {
                    cancelled++;
                    if (cb.offset() < (1L << 20)) {   // a cancelled small write never reached the file
                        ByteBuffer got = ByteBuffer.allocate(4096);
                        int n = ch.read(got, cb.offset());
                        assertThat(n <= 0 || !java.util.Arrays.equals(got.array(), cb.buffer().array()))
                                .as("cancelled write at %d left the file alone", cb.offset()).isTrue();
                    }
                }
            }
            // AIO_NOTCANCELED: some job was under way, which says nothing of the others (io_uring may have
            // every write running at once)
            if (r == Aio.AIO_CANCELED) {
                assertThat(cancelled).as("AIO_CANCELED: jobs were cancelled").isPositive();
            } else if (r == Aio.AIO_ALLDONE) {
                assertThat(cancelled).as("AIO_ALLDONE: nothing was cancelled").isZero();
            }
            assertThat(poll(kq)).as("every knote went with its return").isEmpty();
        }
    }

    @Test
    void fourThousandJobsInFlightOnOneKqueue(@TempDir Path dir) throws Exception {
        int n = 4096;
        int size = 512;
        Path f = dir.resolve("f");
        byte[] data = random(n * size, 8);
        Files.write(f, data);
        try (FileChannel ch = FileChannel.open(f, READ)) {
            int fd = Fd.of(ch);
            List<AioCb> cbs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                AioCb cb = new AioCb(fd, ByteBuffer.allocateDirect(size), (long) i * size).notifyKqueue(kq, EV_ONESHOT, i);
                cbs.add(cb);
                Aio.read(cb);
            }
            Set<Integer> seen = new HashSet<>();
            KEventList out = new KEventList(256);
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (seen.size() < n && System.nanoTime() < deadline) {
                int got = kq.kevent(null, out, WAIT.toNanos());
                for (int i = 0; i < got; i++) {
                    int which = (Integer) out.udata(i);
                    assertThat(out.data(i)).isEqualTo(size);
                    assertThat(seen.add(which)).as("job %d reported once", which).isTrue();
                    AioCb cb = cbs.get(which);
                    assertThat(Aio.returnValue(cb)).isEqualTo(size);
                    byte[] got1 = new byte[size];
                    cb.buffer().get(0, got1);
                    assertThat(got1).isEqualTo(java.util.Arrays.copyOfRange(data, which * size, (which + 1) * size));
                }
            }
            assertThat(seen).hasSize(n);
            assertThat(poll(kq)).isEmpty();
        }
    }

    @Test
    void closingTheKqueueWithJobsInFlightLeaksNothing(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("f");
        Files.write(f, random(1 << 20, 9));
        try (FileChannel ch = FileChannel.open(f, READ)) {
            int fd = Fd.of(ch);
            closeWithJobsInFlight(fd);   // the pool, the workers and the kqueue classes warm up
            int fds = openFds();
            long direct = directBytes();
            for (int round = 0; round < 4; round++) {
                closeWithJobsInFlight(fd);
            }
            assertThat(openFds()).as("descriptors open").isEqualTo(fds);
            // the pool may still grow to the most jobs ever in flight at once (256 chunks of 4 KiB);
            // chunks that never went back would be 4 MiB more by now
            assertThat(directBytes() - direct).as("direct memory grown").isLessThanOrEqualTo(256 * 4096);
        }
    }

    private static void closeWithJobsInFlight(int fd) throws Exception {
        KQueue other = KQueue.open();
        List<AioCb> cbs = new ArrayList<>();
        for (int i = 0; i < 256; i++) {
            AioCb cb = new AioCb(fd, ByteBuffer.allocate(4096), (long) i * 4096).notifyKqueue(other, 0, i);
            Aio.read(cb);
            cbs.add(cb);
        }
        other.close();
        for (AioCb cb : cbs) {
            assertThat(awaitDone(cb)).isZero();
            assertThat(Aio.returnValue(cb)).isEqualTo(4096);
        }
    }

    @Test
    void closingTheDescriptorWithJobsInFlightNeverTouchesItsNextFile(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        int fds = openFds();
        FileChannel cha = FileChannel.open(a, CREATE, WRITE);
        int fd = Fd.of(cha);
        List<AioCb> cbs = new ArrayList<>();
        ByteBuffer big = ByteBuffer.allocateDirect(32 << 20);
        // these keep the workers busy: the small ones are still queued at the close (on io_uring, the last
        // SQEs are not yet handed to the kernel, and a write in an io-wq worker opens its file late)
        for (int i = 0; i < 8; i++) {
            AioCb cb = new AioCb(fd, big, (4L << 20) + ((long) i << 25));
            Aio.write(cb);
            cbs.add(cb);
        }
        for (int i = 0; i < 512; i++) {
            AioCb cb = new AioCb(fd, ByteBuffer.wrap(random(4096, i)), (long) i * 4096);
            Aio.write(cb);
            cbs.add(cb);
        }
        cha.close();
        try (FileChannel chb = FileChannel.open(b, CREATE, READ, WRITE)) {
            for (AioCb cb : cbs) {
                assertThat(awaitDone(cb)).as("each job finished, on the file it was given").isZero();
                assertThat(Aio.returnValue(cb)).isEqualTo(cb.buffer().remaining());
            }
            assertThat(Files.size(b)).as("the file that took the number over").isZero();
            assertThat(Files.size(a)).isEqualTo((4L << 20) + (8L << 25));
            try (FileChannel check = FileChannel.open(a, READ)) {
                ByteBuffer got = ByteBuffer.allocate(4096);
                for (int i = 0; i < 512; i += 97) {
                    got.clear();
                    check.read(got, (long) i * 4096);
                    assertThat(got.array()).isEqualTo(random(4096, i));
                }
            }
        }
        assertThat(openFds()).as("the jobs' holds on the closed file are gone").isEqualTo(fds);
    }

    /**
     * A reused cb's knote is kept from one job to the next, yet between its
     * jobs a change list finds none (aio_return deleted it, as far as the
     * program can tell), and each job reports the udata it was submitted with.
     */
    @Test
    void betweenJobsOfAReusedCbItsKnoteIsGoneAndEachJobReportsItsOwnUdata(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("f");
        Files.write(f, random(100, 20));
        try (FileChannel ch = FileChannel.open(f, READ)) {
            AioCb cb = new AioCb(Fd.of(ch), ByteBuffer.allocateDirect(100), 0);
            for (String udata : new String[] {"a", "b", "c"}) {
                Aio.read(cb.notifyKqueue(kq, 0, udata));
                KEvent e = one(kq);
                assertThat(e.udata()).isEqualTo(udata);
                assertThat(e.data()).isEqualTo(100);
                assertThat(Aio.returnValue(cb)).isEqualTo(100);
                assertThat(poll(kq)).as("after aio_return of job %s", udata).isEmpty();
                assertThat(applyFails(kq, ev(cb.ident(), EVFILT_AIO, EV_DISABLE))).isEqualTo(Errno.ENOENT);
                assertThat(applyFails(kq, ev(cb.ident(), EVFILT_AIO, EV_DELETE))).isEqualTo(Errno.ENOENT);
                assertThat(applyFails(kq, ev(cb.ident(), EVFILT_AIO, EV_ADD))).isEqualTo(Errno.EPERM);
            }
        }
    }

    @Test
    void aCbThatReportsToAnotherKqueueOrWithOtherFlagsReportsThereAsAsked(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("f");
        Files.write(f, random(100, 21));
        try (FileChannel ch = FileChannel.open(f, READ); KQueue other = KQueue.open()) {
            AioCb cb = new AioCb(Fd.of(ch), ByteBuffer.allocateDirect(100), 0);
            Aio.read(cb.notifyKqueue(kq, 0, "here"));
            assertThat(one(kq).udata()).isEqualTo("here");
            assertThat(Aio.returnValue(cb)).isEqualTo(100);

            Aio.read(cb.notifyKqueue(other, 0, "there"));
            assertThat(one(other).udata()).isEqualTo("there");
            assertThat(poll(kq)).as("the first kqueue").isEmpty();
            assertThat(Aio.returnValue(cb)).isEqualTo(100);

            Aio.read(cb.notifyKqueue(other, EV_CLEAR, "once"));
            assertThat(one(other).udata()).isEqualTo("once");
            assertThat(poll(other)).as("EV_CLEAR: reported once").isEmpty();
            assertThat(Aio.returnValue(cb)).isEqualTo(100);

            Aio.read(cb.notifyKqueue(null, 0, null));
            assertThat(awaitReturn(cb)).isEqualTo(100);
            assertThat(poll(kq)).isEmpty();
            assertThat(poll(other)).isEmpty();
        }
    }

    /**
     * The knote a cb keeps for its next job holds neither its udata nor the
     * cb: a cb the program lets go is collected, its buffer with it, though
     * its udata is the cb itself and the kqueue stays open.
     */
    @Test
    void aCbLetGoIsCollectedWithItsBufferThoughItsKnoteWasKept(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("f");
        Files.write(f, random(100, 22));
        try (FileChannel ch = FileChannel.open(f, READ)) {
            WeakReference<ByteBuffer> buffer = submitTwiceAndLetGo(Fd.of(ch));
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (buffer.get() != null && System.nanoTime() < deadline) {
                System.gc();
                Thread.sleep(10);
            }
            assertThat(buffer.get()).as("the buffer of a cb let go").isNull();
        }
    }

    private WeakReference<ByteBuffer> submitTwiceAndLetGo(int fd) throws Exception {
        ByteBuffer buf = ByteBuffer.allocateDirect(100);
        AioCb cb = new AioCb(fd, buf, 0);
        cb.notifyKqueue(kq, 0, cb);
        for (int i = 0; i < 2; i++) {
            Aio.read(cb);
            assertThat(one(kq).udata()).isSameAs(cb);
            assertThat(Aio.returnValue(cb)).isEqualTo(100);
        }
        return new WeakReference<>(buf);
    }
}
