package io.jkqueue.core;

import static io.jkqueue.KEvent.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.jkqueue.Fd;
import io.jkqueue.KEventList;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import io.jkqueue.filters.SystemFilters;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Workers sharing one kqueue through EV_DISPATCH, as the echo example's do,
 * while a writer keeps putting bytes into the pipes: a worker's look may
 * report a pipe another worker holds, or one it is about to drain, yet every
 * READ event handed out has bytes to read (its data, measured when read,
 * is never 0), no byte is lost or read twice, and each pipe is in one
 * worker's hands at a time.
 */
class SharedDispatchTest {
    private static final int PIPES = 64;
    private static final int WORKERS = 3;
    private static final long RUN_NANOS = TimeUnit.MILLISECONDS.toNanos(1500);

    private KqueueImpl kq;
    private final List<Pipe> pipes = new ArrayList<>();
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @BeforeAll
    static void boot() {
        SystemFilters.install();
    }

    @BeforeEach
    void setUp() throws IOException {
        kq = KqueueImpl.open();
        KEventList add = new KEventList(PIPES);
        for (int i = 0; i < PIPES; i++) {
            Pipe p = Pipe.open();
            p.source().configureBlocking(false);
            pipes.add(p);
            add.add(Fd.of(p.source()), EVFILT_READ, EV_ADD | EV_DISPATCH, 0, 0, p);
        }
        kq.kevent(add, null, 0);
    }

    @AfterEach
    void tearDown() throws IOException {
        threads.shutdownNow();
        kq.close();
        for (Pipe p : pipes) {
            p.source().close();
            p.sink().close();
        }
    }

    @Test
    void everyEventHandedOutHasBytesAndEveryByteIsReadOnce() throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong written = new AtomicLong();
        AtomicLong read = new AtomicLong();
        AtomicLong events = new AtomicLong();
        AtomicLong empty = new AtomicLong();
        int[] holders = new int[PIPES];   // workers holding each pipe's knote now: never more than 1
        List<Future<?>> workers = new ArrayList<>();
        for (int w = 0; w < WORKERS; w++) {
            workers.add(threads.submit(() -> {
                KEventList out = new KEventList(8);
                KEventList enable = new KEventList(8);
                ByteBuffer buf = ByteBuffer.allocateDirect(4096);
                while (!stop.get()) {
                    kq.kevent(enable, out, TimeUnit.MILLISECONDS.toNanos(20));
                    enable.clear();
                    for (int i = 0; i < out.size(); i++) {
                        Pipe p = (Pipe) out.udata(i);
                        int at = pipes.indexOf(p);
                        synchronized (holders) {
                            assertThat(++holders[at]).as("workers holding pipe %d", at).isEqualTo(1);
                        }
                        events.incrementAndGet();
                        if (out.data(i) == 0) {
                            empty.incrementAndGet();
                        }
                        int n;
                        while ((n = p.source().read(buf.clear())) > 0) {
                            read.addAndGet(n);
                        }
                        synchronized (holders) {
                            holders[at]--;
                        }
                        enable.add(out.ident(i), EVFILT_READ, EV_ENABLE, 0, 0, p);
                    }
                }
                kq.kevent(enable, null, 0);
                return null;
            }));
        }
        ByteBuffer one = ByteBuffer.allocate(1);
        long deadline = System.nanoTime() + RUN_NANOS;
        while (System.nanoTime() < deadline) {
            Pipe p = pipes.get(ThreadLocalRandom.current().nextInt(PIPES));
            written.addAndGet(p.sink().write(one.clear()));
        }
        // the last bytes are taken before the workers stop
        long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (read.get() < written.get() && System.nanoTime() < waitUntil) {
            Thread.sleep(5);
        }
        stop.set(true);
        for (Future<?> f : workers) {
            f.get(30, TimeUnit.SECONDS);
        }
        assertThat(read.get()).as("bytes read, of %d written", written.get()).isEqualTo(written.get());
        assertThat(events.get()).isPositive();
        assertThat(empty.get()).as("READ events with nothing to read, of %d", events.get()).isZero();
    }
}
