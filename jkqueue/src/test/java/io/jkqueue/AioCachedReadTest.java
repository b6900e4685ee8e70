package io.jkqueue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;

import static io.jkqueue.AioKit.errnoOf;
import static io.jkqueue.KEvent.EVFILT_AIO;
import static io.jkqueue.Kq.one;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A read whose bytes are all in the page cache is done within aio_read, on
 * the calling thread; anything else (not cached, partly cached, a descriptor
 * that now names another file) takes the backend's path with the same result.
 */
@ExtendWith(KqExtension.class)
class AioCachedReadTest {
    private static final int PAGE = 4096;
    private static final int POSIX_FADV_DONTNEED = 4;
    private static final MethodHandle FADVISE = downcall("posix_fadvise",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
    private static final MethodHandle DUP2 = downcall("dup2", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));

    private final KQueue kq;

    AioCachedReadTest(KQueue kq) {
        this.kq = kq;
    }

    private static MethodHandle downcall(String name, FunctionDescriptor fd) {
        Linker linker = Linker.nativeLinker();
        return linker.downcallHandle(linker.defaultLookup().find(name).orElseThrow(), fd);
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Drops the file from the page cache. */
    private static void evict(FileChannel ch) throws Throwable {
        ch.force(true);
        assertThat((int) FADVISE.invokeExact(Fd.of(ch), 0L, 0L, POSIX_FADV_DONTNEED)).isZero();
    }

    /** Whether every page of [offset, offset+len) is in the page cache (mincore, through a mapping that touches nothing). */
    private static boolean cached(FileChannel ch, long offset, long len) throws Exception {
        return ch.map(FileChannel.MapMode.READ_ONLY, offset, len).isLoaded();
    }

    @Test
    void aCachedReadIsDoneWhenAioReadReturns(@TempDir Path dir) throws Exception {
        byte[] data = random(3 * PAGE, 1);
        Path f = dir.resolve("f");
        Files.write(f, data);
        try (FileChannel ch = FileChannel.open(f, READ)) {
            ByteBuffer direct = ByteBuffer.allocateDirect(PAGE);
            AioCb cb = new AioCb(Fd.of(ch), direct, PAGE).notifyKqueue(kq, 0, "d");
            Aio.read(cb);
            assertThat(Aio.error(cb)).as("done already").isZero();
            assertThat(kq.kevent(null, new KEvent[1], Duration.ZERO)).as("its event is there at once").isEqualTo(1);
            assertThat(Aio.returnValue(cb)).isEqualTo(PAGE);
            byte[] got = new byte[PAGE];
            direct.get(0, got);
            assertThat(got).isEqualTo(Arrays.copyOfRange(data, PAGE, 2 * PAGE));

            ByteBuffer heap = ByteBuffer.allocate(PAGE + 10).position(10);   // through a staging chunk
            AioCb h = new AioCb(Fd.of(ch), heap, 2 * PAGE);
            Aio.read(h);
            assertThat(Aio.error(h)).isZero();
            assertThat(Aio.returnValue(h)).isEqualTo(PAGE);
            assertThat(Arrays.copyOfRange(heap.array(), 10, PAGE + 10)).isEqualTo(Arrays.copyOfRange(data, 2 * PAGE, 3 * PAGE));
        }
    }

    @Test
    void aLargeCachedReadIsDoneWhenAioReadReturnsToo(@TempDir Path dir) throws Exception {
        int size = 1 << 20;   // past the size read in a critical call: the other binding
        byte[] data = random(size + PAGE, 5);
        Path f = dir.resolve("f");
        Files.write(f, data);
        try (FileChannel ch = FileChannel.open(f, READ)) {
            ch.read(ByteBuffer.allocate(size + PAGE), 0);   // all of it cached
            ByteBuffer buf = ByteBuffer.allocateDirect(size);
            AioCb cb = new AioCb(Fd.of(ch), buf, PAGE).notifyKqueue(kq, 0, null);
            Aio.read(cb);
            assertThat(Aio.error(cb)).as("done already").isZero();
            assertThat(Aio.returnValue(cb)).isEqualTo(size);
            byte[] got = new byte[size];
            buf.get(0, got);
            assertThat(got).isEqualTo(Arrays.copyOfRange(data, PAGE, PAGE + size));
        }
    }

    @Test
    void aReadOfAPartlyCachedRangeIsNeverShort(@TempDir Path dir) throws Throwable {
        int size = 4 << 20;
        byte[] data = random(size, 2);
        Path f = dir.resolve("f");
        Files.write(f, data);
        try (FileChannel ch = FileChannel.open(f, READ, WRITE)) {
            evict(ch);
            ch.read(ByteBuffer.allocate(PAGE), 0);   // the head comes back, with some read-ahead, not all 4 MiB
            assumeTrue(cached(ch, 0, PAGE) && !cached(ch, 0, size),
                    "the file system of the temporary directory keeps evicted pages (tmpfs): nothing is partly cached");
            ByteBuffer buf = ByteBuffer.allocateDirect(size);
            AioCb cb = new AioCb(Fd.of(ch), buf, 0).notifyKqueue(kq, 0, null);
            Aio.read(cb);
            KEvent e = one(kq);
            assertThat(e.filter()).isEqualTo(EVFILT_AIO);
            assertThat(e.data()).as("all of it, not the cached head alone").isEqualTo(size);
            assertThat(Aio.returnValue(cb)).isEqualTo(size);
            byte[] got = new byte[size];
            buf.get(0, got);
            assertThat(got).isEqualTo(data);
        }
    }

    @Test
    void anUncachedReadCompletesThroughTheBackend(@TempDir Path dir) throws Throwable {
        byte[] data = random(16 * PAGE, 3);
        Path f = dir.resolve("f");
        Files.write(f, data);
        try (FileChannel ch = FileChannel.open(f, READ, WRITE)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(PAGE);
            AioCb cb = new AioCb(Fd.of(ch), buf, 0).notifyKqueue(kq, 0, null);
            for (int page = 0; page < 16; page += 5) {   // cached the first time, evicted each time after
                if (page > 0) {
                    evict(ch);
                    assumeTrue(!cached(ch, (long) page * PAGE, PAGE),
                            "the file system of the temporary directory keeps evicted pages (tmpfs)");
                }
                Aio.read(cb.offset((long) page * PAGE));
                assertThat(one(kq).data()).isEqualTo(PAGE);
                assertThat(Aio.returnValue(cb)).isEqualTo(PAGE);
                byte[] got = new byte[PAGE];
                buf.get(0, got);
                assertThat(got).as("page %d", page).isEqualTo(Arrays.copyOfRange(data, page * PAGE, (page + 1) * PAGE));
            }
        }
    }

    @Test
    void aCbWhoseNumberNowNamesAPipeOrNothingGetsTheErrnoOfThatFile(@TempDir Path dir) throws Throwable {
        Path f = dir.resolve("f");
        Files.write(f, random(PAGE, 4));
        FileChannel ch = FileChannel.open(f, READ);
        int fd = Fd.of(ch);
        AioCb cb = new AioCb(fd, ByteBuffer.allocateDirect(PAGE), 0);
        Aio.read(cb);   // a plain file: later reads try the cache first
        assertThat(Aio.returnValue(cb)).isEqualTo(PAGE);

        Pipe pipe = Pipe.open();
        try {
            assertThat((int) DUP2.invokeExact(Fd.of(pipe.source()), fd)).as("the pipe's read end under fd").isEqualTo(fd);
            assertThat(errnoOf(() -> Aio.read(cb))).as("a pipe, as FreeBSD's unsafe AIO").isEqualTo(Errno.EOPNOTSUPP);
            assertThat(Aio.error(cb)).isEqualTo(Errno.EOPNOTSUPP.code());
        } finally {
            pipe.source().close();
            pipe.sink().close();
        }
        ch.close();   // fd is closed now
        assertThat(errnoOf(() -> Aio.read(cb))).isEqualTo(Errno.EBADF);
    }
}
