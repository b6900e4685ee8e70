package io.jkqueue.bench;

import com.sun.nio.file.ExtendedOpenOption;
import io.jkqueue.Aio;
import io.jkqueue.AioCb;
import io.jkqueue.Fd;
import io.jkqueue.KEventList;
import io.jkqueue.KQueue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.CompletionHandler;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * 4 KiB random reads of a 1 GiB file held in the page cache, at queue depth
 * 1, 32 and 256: reads per second for each way of keeping that many reads
 * in flight, interleaved in rounds. The file is created once (at
 * {@code --file=}) and re-used; each run first reads it through so that it
 * is cached. A way of reading is one {@link Reader} in {@link #readers}.
 */
public final class AioBench {
    private static final int BLOCK = 4096;
    private static final long FILE_SIZE = 1L << 30;

    /** Keeps {@code qd} random 4 KiB reads of the file in flight for {@code millis}: reads per second. */
    interface Reader {
        double readsPerSecond(int qd, long millis) throws Exception;
    }

    private final Path file;
    private final long blocks = FILE_SIZE / BLOCK;

    private AioBench(Path file) {
        this.file = file;
    }

    public static void main(String[] args) throws Exception {
        Path file = Path.of(Rounds.optString(args, "file", "bench-results/aio-1GiB.dat"));
        int rounds = (int) Rounds.opt(args, "rounds", 5);
        long millis = Rounds.opt(args, "round-ms", 1000);
        List<Integer> depths = new ArrayList<>();
        for (String d : Rounds.optString(args, "qd", "1,32,256").split(",")) {
            depths.add(Integer.parseInt(d.trim()));
        }
        AioBench bench = new AioBench(file);
        bench.prepareFile();
        Map<String, Reader> readers = bench.readers(NativeBaseline.fromArgs(args, "c-aio-uring"));
        for (int qd : depths) {
            System.out.printf(Locale.ROOT, "%n## queue depth %d: 4 KiB random reads per second%n", qd);
            Rounds r = new Rounds();
            readers.forEach((name, reader) -> r.add(name, Support.checked(() -> reader.readsPerSecond(qd, millis))));
            r.run(1, rounds, "reads/s");
            String c = readers.containsKey("C io_uring") ? "C io_uring" : null;
            for (String name : readers.keySet()) {
                String result = Rounds.brief(r.values(name), "%.0f") + " reads/s";
                if (c != null && !name.equals(c)) {
                    result += "; /C io_uring " + Rounds.brief(r.ratio(name, c), "%.2f");
                }
                if (name.equals("jkqueue Aio")) {
                    if (c != null) {
                        result += "; /C pread " + Rounds.brief(r.ratio(name, "C pread"), "%.2f");
                    }
                    result += "; /AsynchronousFileChannel " + Rounds.brief(r.ratio(name, "AsynchronousFileChannel"), "%.2f");
                }
                Rounds.summary("aio QD " + qd + " " + name, result, "", "");
            }
        }
    }

    /** The ways of reading, in the order each round runs them. */
    private Map<String, Reader> readers(NativeBaseline uring) throws Exception {
        Map<String, Reader> readers = new LinkedHashMap<>();
        if (uring != null) {
            readers.put("C io_uring", (qd, ms) -> Double.parseDouble(
                    uring.runLine(file.toString(), Integer.toString(qd), Long.toString(ms))));
            // one system call per read, whatever the depth: the floor of an aio_read that enters the kernel each time
            readers.put("C pread", (qd, ms) -> Double.parseDouble(
                    uring.runLine(file.toString(), Integer.toString(qd), Long.toString(ms), "pread")));
        }
        readers.put("jkqueue Aio", (qd, ms) -> jkqueueAio(qd, ms, false));
        readers.put("AsynchronousFileChannel", this::asynchronousFileChannel);
        readers.put("FileChannel threads", this::fileChannelThreads);
        if (uring != null && directAllowed(uring)) {
            readers.put("C io_uring O_DIRECT", (qd, ms) -> Double.parseDouble(
                    uring.runLine(file.toString(), Integer.toString(qd), Long.toString(ms), "direct")));
            readers.put("jkqueue Aio O_DIRECT", (qd, ms) -> jkqueueAio(qd, ms, true));
        }
        return readers;
    }

    /** Whether the file system takes O_DIRECT (the C program exits 2 when open refuses it). */
    private boolean directAllowed(NativeBaseline uring) {
        try {
            uring.runLine(file.toString(), "1", "10", "direct");
            return true;
        } catch (IllegalStateException refused) {
            System.out.println("O_DIRECT refused by the file system of " + file + ": no O_DIRECT row");
            return false;
        }
    }

    private long randomOffset() {
        return ThreadLocalRandom.current().nextLong(blocks) * BLOCK;
    }

    /**
     * jkqueue's public AIO as a FreeBSD program uses it: {@code qd} AioCbs
     * with direct buffers, reused, each reporting through EVFILT_AIO on one
     * kqueue; each event is returned (aio_return) and its cb read again.
     * With {@code direct}, the file is opened O_DIRECT (the buffers aligned):
     * every read goes to the device through the backend.
     */
    private double jkqueueAio(int qd, long millis, boolean direct) throws Exception {
        FileChannel ch = direct ? FileChannel.open(file, StandardOpenOption.READ, ExtendedOpenOption.DIRECT) : null;
        int fd = direct ? Fd.of(ch) : Fd.open(file, StandardOpenOption.READ);
        try (KQueue kq = KQueue.open()) {
            KEventList events = new KEventList(Math.min(qd, 256));
            long done = 0;
            int inFlight = 0;
            int failures = 0;
            long start = System.nanoTime();
            long end = start + TimeUnit.MILLISECONDS.toNanos(millis);
            for (int i = 0; i < qd; i++) {
                AioCb cb = new AioCb(fd, ByteBuffer.allocateDirect(2 * BLOCK).alignedSlice(BLOCK).limit(BLOCK), 0);
                cb.notifyKqueue(kq, 0, cb);
                Aio.read(cb.offset(randomOffset()));
                inFlight++;
            }
            while (inFlight > 0) {
                int n = kq.kevent(null, events, -1);
                boolean more = System.nanoTime() < end;
                for (int i = 0; i < n; i++) {
                    AioCb cb = (AioCb) events.udata(i);
                    failures += Aio.returnValue(cb) == BLOCK ? 0 : 1;
                    done++;
                    if (more) {
                        Aio.read(cb.offset(randomOffset()));
                    } else {
                        inFlight--;
                    }
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            if (failures != 0) {
                throw new IllegalStateException(failures + " jkqueue Aio reads failed or were short");
            }
            return done / seconds;
        } finally {
            if (ch != null) {
                ch.close();
            } else {
                Fd.close(fd);
            }
        }
    }

    /** AsynchronousFileChannel on its default thread pool: each completion starts the next read. */
    private double asynchronousFileChannel(int qd, long millis) throws Exception {
        try (AsynchronousFileChannel ch = AsynchronousFileChannel.open(file, StandardOpenOption.READ)) {
            AtomicLong done = new AtomicLong();
            AtomicInteger failures = new AtomicInteger();
            CountDownLatch stopped = new CountDownLatch(qd);
            long start = System.nanoTime();
            long end = start + TimeUnit.MILLISECONDS.toNanos(millis);
            CompletionHandler<Integer, ByteBuffer> handler = new CompletionHandler<>() {
                @Override
                public void completed(Integer n, ByteBuffer buf) {
                    if (n != BLOCK) {
                        failures.incrementAndGet();
                    }
                    done.incrementAndGet();
                    if (System.nanoTime() < end) {
                        ch.read(buf.clear(), randomOffset(), buf, this);
                    } else {
                        stopped.countDown();
                    }
                }

                @Override
                public void failed(Throwable t, ByteBuffer buf) {
                    failures.incrementAndGet();
                    stopped.countDown();
                }
            };
            for (int i = 0; i < qd; i++) {
                ByteBuffer buf = ByteBuffer.allocateDirect(BLOCK);
                ch.read(buf, randomOffset(), buf, handler);
            }
            stopped.await();
            double seconds = (System.nanoTime() - start) / 1e9;
            if (failures.get() != 0) {
                throw new IllegalStateException(failures.get() + " AsynchronousFileChannel reads failed or were short");
            }
            return done.get() / seconds;
        }
    }

    /** {@code qd} platform threads, each in a loop of positional FileChannel.read. */
    private double fileChannelThreads(int qd, long millis) throws Exception {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            AtomicLong done = new AtomicLong();
            AtomicInteger failures = new AtomicInteger();
            long[] window = new long[2];
            CyclicBarrier go = new CyclicBarrier(qd, () -> {
                window[0] = System.nanoTime();
                window[1] = window[0] + TimeUnit.MILLISECONDS.toNanos(millis);
            });
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < qd; i++) {
                threads.add(Thread.ofPlatform().start(() -> {
                    ByteBuffer buf = ByteBuffer.allocateDirect(BLOCK);
                    long n = 0;
                    try {
                        go.await();
                        while (System.nanoTime() < window[1]) {
                            if (ch.read(buf.clear(), randomOffset()) != BLOCK) {
                                failures.incrementAndGet();
                            }
                            n++;
                        }
                    } catch (Exception e) {
                        failures.incrementAndGet();
                    }
                    done.addAndGet(n);
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            if (failures.get() != 0) {
                throw new IllegalStateException(failures.get() + " FileChannel reads were short");
            }
            return done.get() / ((System.nanoTime() - window[0]) / 1e9);
        }
    }

    /** Creates the file once (1 GiB, not sparse), then reads it through so that it is in the page cache. */
    private void prepareFile() throws IOException {
        if (!Files.exists(file) || Files.size(file) != FILE_SIZE) {
            System.out.println("creating " + file + " (1 GiB, once)");
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20);
                for (long at = 0; at < FILE_SIZE; at += chunk.capacity()) {
                    chunk.clear();
                    while (chunk.hasRemaining()) {
                        chunk.putLong(ThreadLocalRandom.current().nextLong());
                    }
                    chunk.flip();
                    while (chunk.hasRemaining()) {
                        ch.write(chunk);
                    }
                }
            }
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        long t0 = System.nanoTime();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20);
            while (ch.read(chunk.clear()) > 0) {
                // into the page cache
            }
        }
        System.out.printf(Locale.ROOT, "%s read through in %.0f ms%n", file, (System.nanoTime() - t0) / 1e6);
    }
}
