package io.jkqueue.bench;

import io.jkqueue.KEvent;
import io.jkqueue.KEventList;
import io.jkqueue.KQueue;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * (b) JMH: one kevent call on one thread whose change list triggers an
 * existing EVFILT_USER knote (EV_CLEAR) and whose event list receives it,
 * with the allocation-free KEventList overload and timeout 0. Also a poll
 * with nothing pending. Run with {@code -prof gc} to see bytes per call.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "-Xmx512m"})
public class SameThreadBench {
    private KQueue kq;
    private KEventList trigger;
    private KEventList none;
    private KEventList events;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        kq = KQueue.open();
        none = new KEventList(0);
        KEventList add = new KEventList(1);
        add.add(1, KEvent.EVFILT_USER, KEvent.EV_ADD | KEvent.EV_CLEAR, 0, 0, null);
        kq.kevent(add, none, 0);
        trigger = new KEventList(1);
        trigger.add(1, KEvent.EVFILT_USER, 0, KEvent.NOTE_TRIGGER, 0, null);
        events = new KEventList(16);
        if (kq.kevent(trigger, events, 0) != 1) {
            throw new IllegalStateException("trigger + collect returned no event");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        kq.close();
    }

    /** Trigger + collect in one call; returns 1. */
    @Benchmark
    public int triggerAndCollect() throws IOException {
        return kq.kevent(trigger, events, 0);
    }

    /** A poll with nothing pending; returns 0. */
    @Benchmark
    public int pollEmpty() throws IOException {
        return kq.kevent(none, events, 0);
    }
}
