package io.jkqueue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.stream.Stream;

/** Small helpers shared by the tests: building changes, applying them, collecting events. */
public final class Kq {
    private Kq() {}

    /**
     * How long a test waits for anything that must happen: an event, a child
     * process, a thread. Only a failing test waits this long, so it is
     * generous: the machine may be slow and busy.
     */
    public static final Duration WAIT = Duration.ofSeconds(30);

    /**
     * The seed of a randomized test: {@code -Djkqueue.test.seed} when given
     * ({@code bin/stress} gives each round a new one), else {@code fixed}, so
     * that the suite runs the same sequences every time.
     */
    public static long seed(long fixed) {
        return Long.getLong("jkqueue.test.seed", fixed);
    }

    static KEvent ev(long ident, int filter, int flags) {
        return new KEvent(ident, filter, flags, 0, 0, null);
    }

    static KEvent ev(long ident, int filter, int flags, int fflags, long data, Object udata) {
        return new KEvent(ident, filter, flags, fflags, data, udata);
    }

    static KEvent user(long ident, int flags) {
        return ev(ident, KEvent.EVFILT_USER, flags);
    }

    static KEvent user(long ident, int flags, int fflags, long data, Object udata) {
        return ev(ident, KEvent.EVFILT_USER, flags, fflags, data, udata);
    }

    /** A NOTE_TRIGGER change for an EVFILT_USER knote (flags 0, udata null). */
    static KEvent trigger(long ident) {
        return user(ident, 0, KEvent.NOTE_TRIGGER, 0, null);
    }

    static KEvent timer(long ident, int flags, int fflags, long data) {
        return ev(ident, KEvent.EVFILT_TIMER, flags, fflags, data, null);
    }

    /** Adds, modifies or deletes the knote (ident, filter) with {@code flags} alone. */
    static void add(KQueue kq, long ident, int filter, int flags) throws IOException {
        apply(kq, ev(ident, filter, flags));
    }

    /** Applies changes with nevents == 0, so a failing change throws. */
    static void apply(KQueue kq, KEvent... changes) throws IOException {
        int n = kq.kevent(changes, null, Duration.ZERO);
        assertThat(n).as("kevent with nevents 0 returns 0").isZero();
    }

    /** Applies one change that must fail, and returns its errno. */
    static Errno applyFails(KQueue kq, KEvent... changes) {
        KQueueException e = catchThrowableOfType(KQueueException.class, () -> kq.kevent(changes, null, Duration.ZERO));
        assertThat(e).as("kevent(%s) must throw KQueueException", Arrays.toString(changes)).isNotNull();
        return e.errno();
    }

    /** Polls (timeout zero) with room for {@code max} events. */
    static List<KEvent> poll(KQueue kq, int max) throws IOException {
        return waitFor(kq, max, Duration.ZERO);
    }

    static List<KEvent> poll(KQueue kq) throws IOException {
        return poll(kq, 64);
    }

    static List<KEvent> waitFor(KQueue kq, int max, Duration timeout) throws IOException {
        KEvent[] out = new KEvent[max];
        int n = kq.kevent(null, out, timeout);
        assertThat(n).isBetween(0, max);
        return new ArrayList<>(Arrays.asList(out).subList(0, n));
    }

    /** Waits (up to {@link #WAIT}) for exactly one event, which must come. */
    static KEvent one(KQueue kq) throws IOException {
        KEvent[] out = new KEvent[1];
        int n = kq.kevent(null, out, WAIT);
        assertThat(n).as("an event within %s", WAIT).isEqualTo(1);
        return out[0];
    }

    /** Waits (up to {@link #WAIT}) for events; at least one must come. */
    static List<KEvent> await(KQueue kq) throws IOException {
        List<KEvent> evs = waitFor(kq, 16, WAIT);
        assertThat(evs).as("events within %s", WAIT).isNotEmpty();
        return evs;
    }

    /** Waits (up to {@link #WAIT}) for events: exactly one must come, and nothing else be pending with it. */
    static KEvent awaitOne(KQueue kq) throws IOException {
        List<KEvent> evs = await(kq);
        assertThat(evs).as("one event").hasSize(1);
        return evs.get(0);
    }

    /** Reads {@code n} bytes, all of them. */
    static void read(ReadableByteChannel ch, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                throw new IOException("end of stream after " + b.position() + " of " + n + " bytes");
            }
        }
    }

    /** Writes {@code n} zero bytes, all of them. */
    static void write(WritableByteChannel ch, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    static boolean eof(KEvent e) {
        return (e.flags() & KEvent.EV_EOF) != 0;
    }

    /**
     * Waits (up to {@link #WAIT}) for an event of (ident, filter) that meets
     * {@code cond}; a level-triggered knote is measured afresh at every scan,
     * so this also waits for its data to reach a value.
     */
    static KEvent awaitUntil(KQueue kq, long ident, int filter, Predicate<KEvent> cond)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        KEvent last = null;
        for (long left; (left = deadline - System.nanoTime()) > 0; ) {
            for (KEvent e : waitFor(kq, 16, Duration.ofNanos(left))) {
                if (e.ident() == ident && e.filter() == filter) {
                    last = e;
                    if (cond.test(e)) {
                        return e;
                    }
                }
            }
            Thread.sleep(1);   // a level-triggered knote may come back at once: let the kernel get on
        }
        return fail("no event for ident %d filter %d met the condition within %s; last seen: %s",
                ident, filter, WAIT, last);
    }

    /**
     * Waits (up to {@link #WAIT}) until {@code t} is blocked in a kqueue's
     * epoll_wait. Best effort: a test must hold whether or not it got there.
     */
    static void awaitBlockedInKevent(Thread t) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline && t.getState() != Thread.State.TERMINATED) {
            for (StackTraceElement f : t.getStackTrace()) {
                if (f.getClassName().startsWith("io.jkqueue.linux.Epoll") && f.getMethodName().equals("epollWait")) {
                    return;
                }
            }
            Thread.sleep(5);
        }
    }

    /** A platform thread running a call, and what the call returned or threw. */
    record Background<T>(Thread thread, CompletableFuture<T> result) {
        /** Waits (up to {@link #WAIT}) for the call's value; rethrows what it threw. */
        T get() throws Exception {
            try {
                return result.get(WAIT.toNanos(), TimeUnit.NANOSECONDS);
            } catch (ExecutionException e) {
                throw e.getCause() instanceof Exception x ? x : e;
            }
        }

        /** Waits (up to {@link #WAIT}) for the call to throw, and returns what it threw. */
        Throwable failure() throws InterruptedException, TimeoutException {
            try {
                return fail("returned %s instead of throwing", result.get(WAIT.toNanos(), TimeUnit.NANOSECONDS));
            } catch (ExecutionException e) {
                return e.getCause();
            }
        }
    }

    /** Starts {@code call} on a new platform thread. */
    static <T> Background<T> inBackground(Callable<T> call) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread t = Thread.ofPlatform().name("kevent-caller").start(() -> {
            try {
                result.complete(call.call());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        });
        return new Background<>(t, result);
    }

    /** Something a thread does, which may throw. */
    interface Action {
        void run() throws Exception;
    }

    /** Runs {@code action} on another thread once the calling thread is blocked in kevent. */
    static Background<Void> onceThisThreadBlocks(Action action) {
        Thread waiter = Thread.currentThread();
        return inBackground(() -> {
            awaitBlockedInKevent(waiter);
            action.run();
            return null;
        });
    }

    static void assertNoEvents(KQueue kq) throws IOException {
        assertThat(poll(kq)).as("no pending events").isEmpty();
    }

    /** Waits (briefly) until /proc/self/fd has {@code expected} entries; returns the last count. */
    static int awaitOpenFds(int expected) throws IOException, InterruptedException {
        int n = openFds();
        for (int i = 0; i < 50 && n != expected; i++) {
            Thread.sleep(20);
            n = openFds();
        }
        return n;
    }

    /** Number of entries in /proc/self/fd. */
    static int openFds() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return (int) s.count();
        }
    }
}
