package io.jkqueue.aio;

import io.jkqueue.Fd;
import io.jkqueue.Kq;
import io.jkqueue.linux.Open;
import io.jkqueue.linux.Poll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The io_uring backend on real files and sockets: each job's result comes
 * back once, through the drain of the ring's eventfd, as the kernel gave it.
 */
class UringBackendTest {
    private static final int ECANCELED = 125;
    private static final int EBADF = 9;

    private final Arena arena = Arena.ofShared();
    private UringBackend backend;
    private final List<AutoCloseable> closing = new ArrayList<>();

    /** A job that records its one completion. */
    static final class Job extends AioJob {
        final CompletableFuture<Long> result = new CompletableFuture<>();
        final AtomicInteger completions = new AtomicInteger();

        Job(int op, int fd, long offset, MemorySegment buffer, boolean socket) {
            super(op, fd, offset, buffer, socket);
        }

        @Override
        void complete(long res) {
            completions.incrementAndGet();
            result.complete(res);
        }

        boolean done() {
            return result.isDone();
        }

        long res() {
            assertThat(completions.get()).as("completions").isEqualTo(1);
            return result.join();
        }
    }

    @BeforeEach
    void open() {
        backend = UringBackend.open();
        assumeTrue(backend != null, "io_uring refused here (the run as on Linux 5.4, or kernel.io_uring_disabled):"
                + " the job layer takes worker threads, see UringFallbackTest");
    }

    @AfterEach
    void close() throws Exception {
        if (backend != null) {
            backend.close();
        }
        for (AutoCloseable c : closing) {
            c.close();
        }
        arena.close();
    }

    /** Drains the completions' descriptor each time it turns readable, until {@code done}. */
    private void drainUntil(BooleanSupplier done) {
        long deadline = System.nanoTime() + Kq.WAIT.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("jobs not completed within %s", Kq.WAIT);
            }
            Poll.await(backend.completions().fd(), Poll.POLLIN, 100);
            backend.completions().drain();
        }
    }

    private Job run(Job job) {
        assertThat(backend.submit(job)).isZero();
        drainUntil(job::done);
        return job;
    }

    private int openFile(Path file, int flags) {
        int fd = Open.open(file.toString(), flags | Open.O_CLOEXEC, 0600);
        assertThat(fd).as("open %s", file).isNotNegative();
        closing.add(() -> Open.close(fd));
        return fd;
    }

    private MemorySegment bytes(int n, int seed) {
        MemorySegment m = arena.allocate(n);
        for (int i = 0; i < n; i++) {
            m.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 31 + seed));
        }
        return m;
    }

    /** Two connected AF_UNIX stream sockets. */
    private SocketChannel[] socketPair(Path dir) throws IOException {
        Path path = dir.resolve("s");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(path));
            SocketChannel a = SocketChannel.open(UnixDomainSocketAddress.of(path));
            SocketChannel b = server.accept();
            closing.add(a);
            closing.add(b);
            return new SocketChannel[] {a, b};
        }
    }

    @Test
    void writeFsyncAndReadAtOffsetsOfARealFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("f");
        Files.write(file, new byte[4096]);
        int fd = openFile(file, Open.O_RDWR);
        MemorySegment data = bytes(8192, 7);
        assertThat(run(new Job(AioJob.WRITE, fd, 4096, data, false)).res()).isEqualTo(8192);
        assertThat(run(new Job(AioJob.FSYNC, fd, 0, MemorySegment.NULL, false)).res()).isZero();
        byte[] onDisk = Files.readAllBytes(file);
        assertThat(onDisk).hasSize(4096 + 8192);
        assertThat(ByteBuffer.wrap(onDisk, 4096, 8192)).isEqualTo(data.asByteBuffer());

        MemorySegment back = arena.allocate(8192);
        assertThat(run(new Job(AioJob.READ, fd, 4096, back, false)).res()).isEqualTo(8192);
        assertThat(back.mismatch(data)).isEqualTo(-1);
    }

    @Test
    void readAtTheEndIsShortThenZero(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("f");
        Files.write(file, new byte[100]);
        int fd = openFile(file, Open.O_RDONLY);
        assertThat(run(new Job(AioJob.READ, fd, 50, arena.allocate(4096), false)).res()).isEqualTo(50);
        assertThat(run(new Job(AioJob.READ, fd, 100, arena.allocate(4096), false)).res()).isZero();
    }

    @Test
    void aFailedIoCompletesWithTheNegatedLinuxErrno(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("f");
        Files.write(file, new byte[10]);
        int fd = openFile(file, Open.O_RDONLY);
        assertThat(run(new Job(AioJob.WRITE, fd, 0, bytes(10, 1), false)).res()).isEqualTo(-EBADF);
    }

    @Test
    void fsyncFollowsTheWritesSubmittedBeforeIt(@TempDir Path dir) throws IOException {
        int fd = openFile(dir.resolve("f"), Open.O_RDWR | Open.O_CREAT);
        List<Job> writes = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            writes.add(new Job(AioJob.WRITE, fd, 65536L * i, bytes(65536, i), false));
        }
        Job fsync = new Job(AioJob.FSYNC, fd, 0, MemorySegment.NULL, false);
        for (Job w : writes) {
            assertThat(backend.submit(w)).isZero();
        }
        assertThat(backend.submit(fsync)).isZero();
        // the fsync is reaped first or with them: never before a write it follows has completed
        List<Job> all = new ArrayList<>(writes);
        all.add(fsync);
        drainUntil(() -> {
            if (fsync.done()) {
                assertThat(writes).allMatch(Job::done);
            }
            return all.stream().allMatch(Job::done);
        });
        assertThat(fsync.res()).isZero();
        assertThat(writes).allSatisfy(w -> assertThat(w.res()).isEqualTo(65536));
    }

    @Test
    void fsyncWaitsForTheWritesBeforeItOnItsDescriptor(@TempDir Path dir) throws Exception {
        SocketChannel[] pair = socketPair(dir);
        int fd = Fd.of(pair[0]);
        // with the socket's buffer full, a write waits in the kernel until the peer reads
        pair[0].configureBlocking(false);
        long full = 0;
        for (int n; (n = pair[0].write(ByteBuffer.allocate(1 << 16))) > 0; ) {
            full += n;
        }
        Job write = new Job(AioJob.WRITE, fd, 0, bytes(1000, 5), true);
        Job fsync = new Job(AioJob.FSYNC, fd, 0, MemorySegment.NULL, true);
        Job cancelled = new Job(AioJob.FSYNC, fd, 0, MemorySegment.NULL, true);
        Path file = dir.resolve("f");
        int other = openFile(file, Open.O_RDWR | Open.O_CREAT);
        assertThat(backend.submit(write)).isZero();
        assertThat(backend.submit(fsync)).isZero();
        assertThat(backend.submit(cancelled)).isZero();
        // other descriptors are not held up meanwhile
        assertThat(run(new Job(AioJob.WRITE, other, 0, bytes(10, 1), false)).res()).isEqualTo(10);
        assertThat(run(new Job(AioJob.FSYNC, other, 0, MemorySegment.NULL, false)).res()).isZero();
        assertThat(write.done()).isFalse();
        assertThat(fsync.done()).as("an fsync before the write it follows").isFalse();
        assertThat(backend.cancel(cancelled)).isEqualTo(UringBackend.AIO_CANCELED);
        assertThat(cancelled.res()).isEqualTo(-ECANCELED);
        ByteBuffer in = ByteBuffer.allocate(1 << 16);
        for (long got = 0; got < full + 1000; ) {
            got += pair[1].read(in.clear());
        }
        drainUntil(() -> write.done() && fsync.done());
        assertThat(write.res()).isEqualTo(1000);
        assertThat(fsync.res()).isEqualTo(-22);   // the kernel's answer for a socket: EINVAL, once the write is done
    }

    @Test
    void fsyncAndLaterJobsDoNotWaitForASocketReadThatWaits(@TempDir Path dir) throws IOException {
        SocketChannel[] pair = socketPair(dir);
        Job waiting = new Job(AioJob.READ, Fd.of(pair[0]), 0, arena.allocate(16), true);
        assertThat(backend.submit(waiting)).isZero();
        int fd = openFile(dir.resolve("f"), Open.O_RDWR | Open.O_CREAT);
        assertThat(run(new Job(AioJob.WRITE, fd, 0, bytes(100, 3), false)).res()).isEqualTo(100);
        assertThat(run(new Job(AioJob.FSYNC, fd, 0, MemorySegment.NULL, false)).res()).isZero();
        assertThat(run(new Job(AioJob.READ, fd, 0, arena.allocate(100), false)).res()).isEqualTo(100);
        assertThat(waiting.done()).isFalse();
        pair[1].write(ByteBuffer.wrap(new byte[] {1, 2}));
        drainUntil(waiting::done);
        assertThat(waiting.res()).isEqualTo(2);
    }

    @Test
    void writesAndAnFsyncSubmittedTogetherEachComplete(@TempDir Path dir) throws IOException {
        int fd = openFile(dir.resolve("f"), Open.O_RDWR | Open.O_CREAT);
        AioJob[] jobs = new AioJob[4];
        for (int i = 0; i < 3; i++) {
            jobs[i] = new Job(AioJob.WRITE, fd, 100L * i, bytes(100, i), false);
        }
        jobs[3] = new Job(AioJob.FSYNC, fd, 0, MemorySegment.NULL, false);
        for (AioJob job : jobs) {   // prepared back to back: the submitting thread takes them in one or few enters
            assertThat(backend.submit(job)).isZero();
        }
        drainUntil(() -> Stream.of(jobs).allMatch(j -> ((Job) j).done()));
        assertThat(Stream.of(jobs).mapToLong(j -> ((Job) j).res()).toArray()).containsExactly(100, 100, 100, 0);
        assertThat(Files.size(dir.resolve("f"))).isEqualTo(300);
    }

    @Test
    void fourThousandSocketReadsWaitAtOnceAndEachGetsOneByte(@TempDir Path dir) throws Exception {
        SocketChannel[] pair = socketPair(dir);
        int fd = Fd.of(pair[0]);
        int n = 4096;
        List<Job> jobs = new ArrayList<>();
        MemorySegment buffers = arena.allocate(n);
        // submitted from four threads at once: their SQEs coalesce into shared io_uring_enter calls
        List<Thread> submitters = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            List<Job> mine = new ArrayList<>();
            for (int i = t * n / 4; i < (t + 1) * n / 4; i++) {
                mine.add(new Job(AioJob.READ, fd, 0, buffers.asSlice(i, 1), true));
            }
            jobs.addAll(mine);
            submitters.add(Thread.ofPlatform().start(() -> mine.forEach(j -> assertThat(backend.submit(j)).isZero())));
        }
        for (Thread t : submitters) {
            t.join(Kq.WAIT.toMillis());
            assertThat(t.isAlive()).isFalse();
        }
        assertThat(jobs.stream().filter(Job::done).map(Job::res).toList()).as("completed before anything was sent")
                .isEmpty();   // all 4,096 wait in the kernel
        byte[] sent = new byte[n];
        for (int i = 0; i < n; i++) {
            sent[i] = (byte) i;
        }
        ByteBuffer out = ByteBuffer.wrap(sent);
        while (out.hasRemaining()) {
            pair[1].write(out);
        }
        drainUntil(() -> jobs.stream().allMatch(Job::done));
        assertThat(jobs).allSatisfy(j -> assertThat(j.res()).isEqualTo(1));
        int[] counts = new int[256];
        for (int i = 0; i < n; i++) {
            counts[buffers.get(ValueLayout.JAVA_BYTE, i) & 0xff]++;
        }
        assertThat(counts).containsOnly(n / 256);
    }

    @Test
    void aWaitingSocketReadIsCancelledAndLeavesTheDataForTheNextReader(@TempDir Path dir) throws Exception {
        SocketChannel[] pair = socketPair(dir);
        Job read = new Job(AioJob.READ, Fd.of(pair[0]), 0, arena.allocate(16), true);
        assertThat(backend.submit(read)).isZero();
        assertThat(backend.cancel(read)).isEqualTo(UringBackend.AIO_CANCELED);
        drainUntil(read::done);
        assertThat(read.res()).isEqualTo(-ECANCELED);
        pair[1].write(ByteBuffer.wrap(new byte[] {42}));
        Job next = run(new Job(AioJob.READ, Fd.of(pair[0]), 0, arena.allocate(16), true));
        assertThat(next.res()).isEqualTo(1);
        assertThat(next.buffer.get(ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) 42);
        assertThat(backend.cancel(read)).isEqualTo(UringBackend.AIO_ALLDONE);
    }

    @Test
    void aReadOnANonBlockingSocketWaitsAllTheSame(@TempDir Path dir) throws Exception {
        SocketChannel[] pair = socketPair(dir);
        pair[0].configureBlocking(false);   // as FreeBSD's socket AIO, the job waits: no EAGAIN
        Job read = new Job(AioJob.READ, Fd.of(pair[0]), 0, arena.allocate(16), true);
        assertThat(backend.submit(read)).isZero();
        assertThat(backend.cancel(read)).isEqualTo(UringBackend.AIO_CANCELED);
        drainUntil(read::done);
        assertThat(read.res()).isEqualTo(-ECANCELED);
    }

    @Test
    void cancellingAFinishedJobIsAllDoneReapedOrNot(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("f");
        Files.write(file, new byte[4096]);
        int fd = openFile(file, Open.O_RDONLY);
        Job reaped = run(new Job(AioJob.READ, fd, 0, arena.allocate(4096), false));
        assertThat(backend.cancel(reaped)).isEqualTo(UringBackend.AIO_ALLDONE);

        // its CQE is in the ring (the eventfd says so) but nobody drained it: the kernel answers ENOENT
        Job unreaped = new Job(AioJob.READ, fd, 0, arena.allocate(4096), false);
        assertThat(backend.submit(unreaped)).isZero();
        assertThat(Poll.await(backend.completions().fd(), Poll.POLLIN, (int) Kq.WAIT.toMillis())).isPositive();
        assertThat(backend.cancel(unreaped)).isEqualTo(UringBackend.AIO_ALLDONE);
        drainUntil(unreaped::done);
        assertThat(unreaped.res()).isEqualTo(4096);
        assertThat(reaped.res()).isEqualTo(4096);
    }

    @Test
    void closeCancelsWhatWaitsAndLeavesNoDescriptorOrMapping(@TempDir Path dir) throws Exception {
        backend.close();
        backend = null;
        SocketChannel[] pair = socketPair(dir);
        // counted against what is there before: the JVM's own backend (Aio's) may hold a ring too
        long fds = openDescriptors();
        long mappings = ringMappings();

        UringBackend b = UringBackend.open();
        assertThat(openDescriptors()).isEqualTo(fds + 2);   // the ring and its eventfd
        assertThat(ringMappings()).isGreaterThan(mappings);
        Job read = new Job(AioJob.READ, Fd.of(pair[0]), 0, arena.allocate(16), true);
        assertThat(b.submit(read)).isZero();
        assertThat(openDescriptors()).as("with the job's hold on its socket").isEqualTo(fds + 3);
        b.close();
        assertThat(read.res()).isEqualTo(-ECANCELED);
        assertThat(openDescriptors()).isEqualTo(fds);
        assertThat(ringMappings()).isEqualTo(mappings);
        assertThat(b.submit(new Job(AioJob.READ, Fd.of(pair[0]), 0, arena.allocate(16), true))).isEqualTo(35);
    }

    private static long openDescriptors() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    private static long ringMappings() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/maps")).stream().filter(l -> l.contains("io_uring")).count();
    }
}
