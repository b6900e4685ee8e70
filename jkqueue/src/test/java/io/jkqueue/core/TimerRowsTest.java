package io.jkqueue.core;

import static io.jkqueue.KEvent.*;
import static io.jkqueue.core.Locked.locked;
import static org.assertj.core.api.Assertions.assertThat;

import io.jkqueue.Errno;
import io.jkqueue.KEventList;
import io.jkqueue.KQueueException;
import io.jkqueue.Kq;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Timers folded into rows: a timer waiting on the callwheel is a row and no
 * knote in the table; a change that names it, or its callout coming due,
 * revives it as the knote it was (ident, flags, udata); idents with a stride
 * still find their rows once the rows' hash scatters; the rows of a busy
 * bucket lie side by side; racing changes never
 * leave a row and a knote for one timer. TimerFilterTest's scenarios run
 * among rows in TimerFilterAmongRowsTest.
 */
@ExtendWith(CoreKqExtension.class)
class TimerRowsTest {
    private static final long HOUR_MS = 3_600_000;

    private final KqueueImpl kq;

    TimerRowsTest(KqueueImpl kq) {
        this.kq = kq;
    }




    private int rows() {
        return locked(kq, () -> kq.clock.rows().live());
    }

    private boolean inTable(long ident) {
        return locked(kq, () -> kq.table.find(false, ident, EVFILT_TIMER) != null);
    }

    /** Adds a timer under each ident, {@code ms} milliseconds off, udata "u" + ident. */
    private void add(long[] idents, int flags, long ms) throws KQueueException {
        KEventList changes = new KEventList(1024);
        for (int i = 0; i < idents.length; i++) {
            changes.add(idents[i], EVFILT_TIMER, EV_ADD | flags, 0, ms, "u" + idents[i]);
            if (changes.size() == changes.capacity() || i == idents.length - 1) {
                assertThat(kq.kevent(changes, null, 0)).isZero();
                changes.clear();
            }
        }
    }

    private long delete(long ident) throws KQueueException {
        KEventList change = new KEventList(1);
        KEventList receipt = new KEventList(1);
        change.add(ident, EVFILT_TIMER, EV_DELETE | EV_RECEIPT, 0, 0, null);
        assertThat(kq.kevent(change, receipt, 0)).isEqualTo(1);
        return receipt.data(0);
    }

    private static long[] range(long first, int n, int shift) {
        long[] idents = new long[n];
        for (int i = 0; i < n; i++) {
            idents[i] = first + ((long) i << shift);
        }
        return idents;
    }

    @Test
    void timersOnTheWheelAreRowsAndAChangeRevivesTheOneItNames() throws KQueueException {
        long[] idents = range(1, 1000, 0);
        add(idents, 0, HOUR_MS);
        // the first WHEEL_MIN wait on the heap as knotes; the wheel's are rows
        assertThat(rows()).isEqualTo(1000 - Callwheel.WHEEL_MIN);
        assertThat(inTable(1)).isTrue();
        assertThat(inTable(1000)).isFalse();

        // EV_ADD of an existing timer revives it: the change (a new period, udata) applies to its knote
        KEventList change = new KEventList(1);
        change.add(1000, EVFILT_TIMER, EV_ADD, 0, 10, "new");
        assertThat(kq.kevent(change, null, 0)).isZero();
        assertThat(inTable(1000)).isTrue();
        assertThat(rows()).isEqualTo(1000 - Callwheel.WHEEL_MIN - 1);
        KEventList out = new KEventList(4);
        assertThat(kq.kevent(null, out, 30_000_000_000L)).isEqualTo(1);
        assertThat(out.ident(0)).isEqualTo(1000);
        assertThat(out.flags(0)).isEqualTo(EV_CLEAR);
        assertThat(out.data(0)).isGreaterThanOrEqualTo(1);
        assertThat(out.udata(0)).isEqualTo("new");

        // EV_DELETE of a row finds it once
        assertThat(delete(999)).isZero();
        assertThat(delete(999)).isEqualTo(Errno.ENOENT.code());
        assertThat(rows()).isEqualTo(1000 - Callwheel.WHEEL_MIN - 2);
        for (long ident : idents) {
            if (ident != 999) {
                assertThat(delete(ident)).as("ident %d", ident).isZero();
            }
        }
        assertThat(rows()).isZero();
    }

    @Test
    void rowsFireOnceEachAsTheKnotesTheyWereInDeadlineOrder() throws KQueueException {
        int n = 2000;
        long base = System.currentTimeMillis() + 50;
        KEventList changes = new KEventList(n);
        for (int i = 0; i < n; i++) {
            // wall-clock deadlines over 200 ms, ten timers each, registered out of order
            long deadline = base + (i * 2654435761L) % 200;
            changes.add(i, EVFILT_TIMER, EV_ADD | EV_ONESHOT | EV_DISPATCH, NOTE_ABSTIME, deadline, deadline);
        }
        assertThat(kq.kevent(changes, null, 0)).isZero();
        assertThat(rows()).isEqualTo(n - Callwheel.WHEEL_MIN);
        boolean[] seen = new boolean[n];
        int fired = 0;
        long last = 0;
        KEventList out = new KEventList(64);
        while (fired < n) {
            int got = kq.kevent(null, out, 30_000_000_000L);
            assertThat(got).as("a timer fired within the wait").isPositive();
            for (int i = 0; i < got; i++) {
                int ident = (int) out.ident(i);
                assertThat(seen[ident]).as("ident %d once", ident).isFalse();
                seen[ident] = true;
                assertThat(out.flags(i)).isEqualTo(EV_ONESHOT | EV_DISPATCH);
                assertThat(out.data(i)).isEqualTo(1);
                long deadline = (Long) out.udata(i);
                assertThat(deadline).as("deadline order").isGreaterThanOrEqualTo(last);
                last = deadline;
            }
            fired += got;
        }
        assertThat(rows()).isZero();
        assertThat(delete(0)).isEqualTo(Errno.ENOENT.code());
    }

    @Test
    void aBusyBucketsRowsLieSideBySideThoughItsAddsAlternateWithAnothers() throws KQueueException {
        KEventList changes = new KEventList(1024);
        for (int i = 0; i < 1024; i++) {   // even idents an hour off, odd ones 100 ms later: two buckets (or so)
            changes.add(i, EVFILT_TIMER, EV_ADD, 0, HOUR_MS + (i % 2) * 100, null);
        }
        assertThat(kq.kevent(changes, null, 0)).isZero();
        int[] rowsAndGaps = locked(kq, () -> {
            TimerRows rows = kq.clock.rows();
            int n = 0;
            int gaps = 0;
            for (int b = 0; b < Callwheel.CALLWHEEL_SIZE; b++) {
                List<Integer> bucket = new ArrayList<>();
                for (int r = rows.first(b); r >= 0; r = rows.next(r)) {
                    bucket.add(r);
                }
                Collections.sort(bucket);
                for (int i = 1; i < bucket.size(); i++) {
                    gaps += bucket.get(i) == bucket.get(i - 1) + 1 ? 0 : 1;
                }
                n += bucket.size();
            }
            return new int[] {n, gaps};
        });
        assertThat(rowsAndGaps[0]).as("rows (the first WHEEL_MIN timers stay knotes on the heap)")
                .isEqualTo(1024 - Callwheel.WHEEL_MIN);
        // alternating adds that took the next free row would leave a gap after nearly every row
        assertThat(rowsAndGaps[1]).as("gaps between the rows of a bucket, in order").isLessThanOrEqualTo(1024 / 8);
    }

    @Test
    void thinBucketsReserveNoMoreRowsThanTheyUse() throws KQueueException {
        KEventList changes = new KEventList(2048);
        for (int i = 0; i < 2048; i++) {   // two timers a tick, over 1,024 ticks (each its own bucket)
            changes.add(i, EVFILT_TIMER, EV_ADD, NOTE_NSECONDS, HOUR_MS * 1_000_000 + ((long) (i / 2) << 20), null);
        }
        assertThat(kq.kevent(changes, null, 0)).isZero();
        int[] liveAndTaken = locked(kq, () -> new int[] {kq.clock.rows().live(), kq.clock.rows().taken()});
        assertThat(liveAndTaken[0]).isEqualTo(2048 - Callwheel.WHEEL_MIN);
        // a chunk of 16 for each bucket's second row would take some 17 rows for every 2
        assertThat(liveAndTaken[1]).as("rows taken").isLessThanOrEqualTo(liveAndTaken[0] + liveAndTaken[0] / 4);
    }

    @Test
    void stridedIdentsScatterTheRowsAndAreAllStillFound() throws KQueueException {
        long[] idents = range(0, 3000, 24);   // folding leaves their low bits alike
        add(idents, 0, HOUR_MS);
        assertThat(locked(kq, () -> kq.clock.rows().scatters())).isTrue();
        for (long ident : idents) {
            assertThat(delete(ident)).as("ident %d", ident).isZero();
        }
        for (long ident : idents) {
            assertThat(delete(ident)).as("ident %d", ident).isEqualTo(Errno.ENOENT.code());
        }
        assertThat(rows()).isZero();
    }

    /**
     * Threads adding, re-adding and deleting the same timers, among rows,
     * while another collects: each ident ends with at most one registration
     * (a second delete never finds one), and no row is left behind.
     */
    @Test
    void racingChangesLeaveAtMostOneRegistrationPerIdent() throws Exception {
        add(range(1_000_000, 200, 0), 0, HOUR_MS);   // the callwheel, and rows around the racing idents
        int idents = 64;
        int changesPerThread = 20_000;
        AtomicBoolean stop = new AtomicBoolean();
        List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        Thread collector = new Thread(() -> {
            KEventList out = new KEventList(64);
            try {
                while (!stop.get()) {
                    kq.kevent(null, out, 1_000_000L);
                }
            } catch (Throwable t) {
                failures.add(t);
            }
        });
        Thread[] changers = new Thread[2];
        for (int t = 0; t < changers.length; t++) {
            long seed = Kq.seed(0) + t;
            changers[t] = new Thread(() -> {
                Random random = new Random(seed);
                KEventList change = new KEventList(1);
                KEventList receipt = new KEventList(1);
                try {
                    for (int i = 0; i < changesPerThread; i++) {
                        change.clear();
                        long ident = random.nextInt(idents);
                        int flags = switch (random.nextInt(4)) {
                            case 0 -> EV_DELETE;
                            case 1 -> EV_ADD | EV_ONESHOT;
                            case 2 -> EV_ADD | EV_DISPATCH;
                            default -> EV_ADD;
                        };
                        // mostly an hour off, so that most stay rows; now and then due at once
                        long ms = random.nextInt(8) == 0 ? 0 : HOUR_MS;
                        change.add(ident, EVFILT_TIMER, flags | EV_RECEIPT, 0, ms, null);
                        kq.kevent(change, receipt, 0);
                        long error = receipt.data(0);
                        if (error != 0 && error != Errno.ENOENT.code()) {
                            failures.add(new AssertionError("errno " + error + " for flags " + flags));
                        }
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
        }
        collector.start();
        for (Thread t : changers) {
            t.start();
        }
        for (Thread t : changers) {
            t.join();
        }
        stop.set(true);
        collector.join();
        assertThat(failures).isEmpty();
        for (long ident = 0; ident < idents; ident++) {
            assertThat(delete(ident)).as("ident %d", ident).isIn(0L, (long) Errno.ENOENT.code());
            assertThat(delete(ident)).as("ident %d deleted twice", ident).isEqualTo(Errno.ENOENT.code());
        }
        for (long ident = 1_000_000; ident < 1_000_200; ident++) {
            assertThat(delete(ident)).as("ident %d", ident).isZero();
        }
        assertThat(rows()).isZero();
    }

    @Test
    void closeDropsTheRowsAsKnotes() throws KQueueException {
        add(range(0, 3000, 0), EV_ONESHOT, HOUR_MS);
        assertThat(rows()).isPositive();
        kq.close();
        // their callouts are released: the per-JVM limit (4096 by default) has room for as many again
        try (var again = new Closer(KqueueImpl.open())) {
            KEventList changes = new KEventList(3000);
            for (int i = 0; i < 3000; i++) {
                changes.add(i, EVFILT_TIMER, EV_ADD, 0, HOUR_MS, null);
            }
            assertThat(again.kq.kevent(changes, null, 0)).isZero();
        }
    }

    private record Closer(KqueueImpl kq) implements AutoCloseable {
        @Override
        public void close() {
            kq.close();
        }
    }
}
