package io.jkqueue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;

/** Small helpers shared by the tests: building changes, applying them, collecting events. */
final class Kq {
    private Kq() {}

    /** How long a test waits for an event that must come. Generous: the machine may be slow. */
    static final Duration WAIT = Duration.ofSeconds(5);

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
        while (System.nanoTime() < deadline) {
            for (StackTraceElement f : t.getStackTrace()) {
                if (f.getClassName().endsWith(".Epoll") && f.getMethodName().equals("wait")) {
                    return;
                }
            }
            Thread.sleep(5);
        }
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
