package io.jkqueue.bench;

import io.jkqueue.Fd;
import io.jkqueue.KEvent;
import io.jkqueue.KEventList;
import io.jkqueue.KQueue;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Latency from a write on a loopback TCP socket to EVFILT_EMPTY reporting the
 * drain, for an EV_CLEAR knote waited on by a blocked thread. Linux gives no
 * readiness edge for that drain, so jkqueue finds it on a backing-off
 * re-check: the latency depends on how long the socket was idle before the
 * write. Each sample waits an idle gap (0.2, 5, 50 or 500 ms, in turn), then
 * writes 100 bytes and takes the time until the waiter wakes. The reference
 * ("spin") is the drain itself: a level-triggered EVFILT_EMPTY knote on a
 * second connection polled in a loop (kevent with a zero timeout re-measures
 * it at every call), written to in the same samples. p50 / p99 per gap. Run
 * it under taskset -c 0.
 *
 * <p>Options: --samples=20 (per gap per round) --rounds=4 (the first is warm-up)
 */
public final class EmptyLatency {
    private EmptyLatency() {}

    private static final long[] GAPS_US = {200, 5_000, 50_000, 500_000};

    public static void main(String[] args) throws Exception {
        int perGap = (int) Rounds.opt(args, "samples", 20);
        int rounds = (int) Rounds.opt(args, "rounds", 4);
        System.out.println("== empty: TCP write -> EVFILT_EMPTY (EV_CLEAR) drain report, by idle gap before the write");
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
             SocketChannel a = SocketChannel.open(server.getLocalAddress()); SocketChannel pa = server.accept();
             SocketChannel b = SocketChannel.open(server.getLocalAddress()); SocketChannel pb = server.accept();
             KQueue kq = KQueue.open(); KQueue spin = KQueue.open()) {
            KEventList add = new KEventList(1);
            add.add(Fd.of(a), KEvent.EVFILT_EMPTY, KEvent.EV_ADD | KEvent.EV_CLEAR, 0, 0, null);
            kq.kevent(add, null, 0);
            add.clear();
            add.add(Fd.of(b), KEvent.EVFILT_EMPTY, KEvent.EV_ADD, 0, 0, null);
            spin.kevent(add, null, 0);
            KEventList ev = new KEventList(1);
            kq.kevent(null, ev, TimeUnit.SECONDS.toNanos(1));   // empty at once
            BlockingQueue<Long> woke = new ArrayBlockingQueue<>(16);
            Thread.ofPlatform().daemon().name("empty-waiter").start(() -> {
                KEventList out = new KEventList(1);
                try {
                    for (;;) {
                        kq.kevent(null, out, -1);
                        woke.put(System.nanoTime());
                    }
                } catch (Exception closed) {
                    // the kqueue was closed
                }
            });
            pa.configureBlocking(false);
            pb.configureBlocking(false);
            ByteBuffer data = ByteBuffer.allocateDirect(100);
            ByteBuffer sink = ByteBuffer.allocateDirect(64 * 1024);
            KEventList spun = new KEventList(1);
            Support.Samples[] jk = new Support.Samples[GAPS_US.length];
            Support.Samples[] ref = new Support.Samples[GAPS_US.length];
            for (int g = 0; g < GAPS_US.length; g++) {
                jk[g] = new Support.Samples();
                ref[g] = new Support.Samples();
            }
            long lost = 0;
            for (int r = 0; r < rounds; r++) {
                for (int g = 0; g < GAPS_US.length; g++) {
                    for (int i = 0; i < perGap; i++) {
                        LockSupport.parkNanos(GAPS_US[g] * 1000);
                        long t0 = System.nanoTime();
                        a.write(data.clear());
                        Long t1 = woke.poll(2, TimeUnit.SECONDS);
                        if (t1 == null) {
                            lost++;
                        } else if (r > 0) {
                            jk[g].add(t1 - t0);
                        }
                        long s0 = System.nanoTime();
                        b.write(data.clear());
                        while (spin.kevent(null, spun, 0) == 0) {
                            Thread.onSpinWait();
                        }
                        if (r > 0) {
                            ref[g].add(System.nanoTime() - s0);
                        }
                        pa.read(sink.clear());
                        pb.read(sink.clear());
                    }
                }
            }
            for (int g = 0; g < GAPS_US.length; g++) {
                String gap = GAPS_US[g] >= 1000 ? GAPS_US[g] / 1000 + " ms" : GAPS_US[g] / 1000.0 + " ms";
                System.out.printf(Locale.ROOT, "  idle %-7s jkqueue %s | spin %s%n", gap, jk[g].describe(),
                        ref[g].describe());
                Rounds.summary("empty drain, idle " + gap, String.format(Locale.ROOT,
                        "p50 %.0f us, p99 %.0f us (drain itself: p50 %.0f us)", jk[g].p50us(), jk[g].p99us(),
                        ref[g].p50us()), "lost 0", Rounds.verdict(lost == 0));
            }
            System.out.println("  lost: " + lost);
        }
    }
}
