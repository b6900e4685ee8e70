package io.jkqueue;

import static io.jkqueue.KEvent.*;
import static io.jkqueue.Kq.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.BitSet;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * EVFILT_TIMER with enough timers pending that their callouts wait on the
 * kqueue's callwheel: a million of them, and the wheel's edges seen through
 * kevent (deadlines in the past and at the far end of time, a re-add that
 * moves a callout between the wheel and the near-term heap). Orders and
 * counts are asserted, never timing.
 */
@ExtendWith(KqExtension.class)
class TimerWheelTest {
    private static final int FAR_TIMERS = 200;   // enough for a wheel
    private static final long HOUR_S = 3600;
    private final KQueue kq;

    TimerWheelTest(KQueue kq) {
        this.kq = kq;
    }

    /**
     * Adds a million one-shot timers of 1 to 2 s and takes their events;
     * prints what it saw: how many fired, twice, before their deadline, or
     * after one whose deadline was surely later.
     */
    public static final class MillionChild {
        public static void main(String[] args) throws Exception {
            int n = Integer.parseInt(args[0]);
            int batch = 4096;
            long[] earliest = new long[n];   // each deadline lies in [earliest, latest] on System.nanoTime()'s clock
            long[] latest = new long[n];
            Random rnd = new Random(Kq.seed(1));
            try (KQueue kq = KQueue.open()) {
                KEventList changes = new KEventList(batch);
                KEventList none = new KEventList(0);
                KEventList events = new KEventList(batch);
                long[] delayNanos = new long[batch];
                for (int base = 0; base < n; base += batch) {
                    changes.clear();
                    int end = Math.min(n, base + batch);
                    for (int i = base; i < end; i++) {
                        long us = 1_000_000 + rnd.nextInt(1_000_000);
                        delayNanos[i - base] = us * 1000;
                        changes.add(i, EVFILT_TIMER, EV_ADD | EV_ONESHOT, NOTE_USECONDS, us, null);
                    }
                    long before = System.nanoTime();
                    kq.kevent(changes, none, 0);
                    long after = System.nanoTime();
                    for (int i = base; i < end; i++) {
                        earliest[i] = before + delayNanos[i - base];
                        latest[i] = after + delayNanos[i - base];
                    }
                }
                BitSet seen = new BitSet(n);
                int twice = 0, early = 0, outOfOrder = 0, wrong = 0;
                long surelyPassed = Long.MIN_VALUE;   // the latest deadline known to have passed at an earlier event
                for (int got = 0; got < n; ) {
                    int k = kq.kevent(none, events, WAIT.toNanos());
                    if (k == 0) {
                        break;
                    }
                    long now = System.nanoTime();
                    for (int j = 0; j < k; j++) {
                        int id = (int) events.ident(j);
                        if (events.filter(j) != EVFILT_TIMER || events.data(j) != 1 || (events.flags(j) & EV_ERROR) != 0) {
                            wrong++;
                            continue;
                        }
                        if (seen.get(id)) {
                            twice++;
                        }
                        seen.set(id);
                        if (now < earliest[id]) {
                            early++;
                        }
                        if (latest[id] < surelyPassed) {
                            outOfOrder++;
                        }
                        surelyPassed = Math.max(surelyPassed, earliest[id]);
                    }
                    got += k;
                }
                System.out.println("fired " + seen.cardinality() + " twice " + twice + " early " + early
                        + " outOfOrder " + outOfOrder + " wrong " + wrong);
            }
        }
    }

    /**
     * Adds 160,000 one-shot timers due within 300 ms among 40,000 due in 4 to
     * 5 s (every fifth), each with its ident as udata; once the near ones have
     * fired (so that four fifths of the rows are free and those in use move
     * down), re-adds 1,000 far ones that moved to fire at once, deletes 1,000
     * others and takes the rest. Prints what it saw, and the heap in use after a
     * collection with nothing added, with all 200,000 pending, and with the
     * far ones alone pending.
     */
    public static final class SparseRowsChild {
        public static void main(String[] args) throws Exception {
            int n = 200_000;
            KEventList changes = new KEventList(n);
            try (KQueue kq = KQueue.open()) {
                long heapBefore = heapAfterGc();
                for (int i = 0; i < n; i++) {
                    long ms = i % 5 == 0 ? 4_000 + i % 1_000 : 50 + i % 250;
                    changes.add(i, EVFILT_TIMER, EV_ADD | EV_ONESHOT, NOTE_MSECONDS, ms, (long) i);
                }
                kq.kevent(changes, null, 0);
                long heapAll = heapAfterGc();
                BitSet seen = new BitSet(n);
                int[] wrong = new int[1];
                int twice = take(kq, seen, wrong, n - n / 5, true);
                long heapFar = heapAfterGc();
                changes.clear();
                KEventList receipts = new KEventList(4_000);
                for (int i = 0; i < 2_000; i++) {
                    int ident = 100_000 + 5 * i;   // rows taken after the first 40,000: moved down
                    if (i % 2 == 0) {
                        changes.add(ident, EVFILT_TIMER, EV_ADD | EV_ONESHOT | EV_RECEIPT, NOTE_MSECONDS, 1, (long) ident);
                    } else {
                        changes.add(ident, EVFILT_TIMER, EV_DELETE | EV_RECEIPT, 0, 0, null);
                        changes.add(ident, EVFILT_TIMER, EV_DELETE | EV_RECEIPT, 0, 0, null);
                        seen.set(ident);
                    }
                }
                int r = kq.kevent(changes, receipts, 0);
                int deleted = 0, notFound = 0, failed = 0;
                for (int i = 0; i < r; i++) {
                    long error = receipts.data(i);
                    if (error == Errno.ENOENT.code()) {
                        notFound++;
                    } else if (error != 0) {
                        failed++;
                    } else if ((changes.flags(i) & EV_DELETE) != 0) {
                        deleted++;
                    }
                }
                twice += take(kq, seen, wrong, n / 5 - 1_000, false);
                System.out.println("fired " + (seen.cardinality() - 1_000) + " twice " + twice + " wrong " + wrong[0]
                        + " deleted " + deleted + " notFound " + notFound + " failed " + failed);
                System.out.println("heap " + (heapAll - heapBefore) + " " + (heapFar - heapBefore));
            }
        }

        /** Takes {@code count} timer events; each must be one not seen yet, of data 1, with its ident as udata. */
        private static int take(KQueue kq, BitSet seen, int[] wrong, int count, boolean near) throws Exception {
            KEventList events = new KEventList(4096);
            int twice = 0;
            for (int got = 0; got < count; ) {
                int k = kq.kevent(null, events, WAIT.toNanos());
                if (k == 0) {
                    break;
                }
                for (int j = 0; j < k; j++) {
                    int id = (int) events.ident(j);
                    if (events.data(j) != 1 || !Long.valueOf(id).equals(events.udata(j)) || near != (id % 5 != 0)) {
                        wrong[0]++;
                    }
                    if (seen.get(id)) {
                        twice++;
                    }
                    seen.set(id);
                }
                got += k;
            }
            return twice;
        }

        private static long heapAfterGc() {
            for (int i = 0; i < 3; i++) {
                System.gc();
            }
            return java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        }
    }

    @Test
    void rowsLeftAfterABurstMoveDownAndStayWhatTheyWere() throws Exception {
        List<String> out = ChildJvm.run(ChildJvm.javaCommand(
                List.of("-Djkqueue.kq_calloutmax=200000", "-Xmx512m"), SparseRowsChild.class));
        assertThat(out).hasSize(2);
        assertThat(out.get(0)).isEqualTo("fired 199000 twice 0 wrong 0 deleted 1000 notFound 1000 failed 0");
        String[] heap = out.get(1).split(" ");
        long all = Long.parseLong(heap[1]);
        long far = Long.parseLong(heap[2]);
        // 200,000 rows of 56 bytes, then 40,000: the 7.7 MB of pages the near ones took are gone
        // (while the near-term heap and the knote table keep what they grew to for the burst, 4 MB)
        assertThat(all).isGreaterThan(10_000_000);
        assertThat(all - far).as("heap freed once the near timers fired").isGreaterThan(4_000_000);
    }

    @Test
    void aMillionTimersFireEachOnceNoneEarlyInDeadlineOrder() throws Exception {
        int n = 1_000_000;
        List<String> out = ChildJvm.run(ChildJvm.javaCommand(
                List.of("-Djkqueue.kq_calloutmax=" + n, "-Xmx1g"), MillionChild.class, String.valueOf(n)));
        assertThat(out).containsExactly("fired " + n + " twice 0 early 0 outOfOrder 0 wrong 0");
    }

    private void addFarTimers() throws Exception {
        KEventList changes = new KEventList(FAR_TIMERS);
        for (int i = 0; i < FAR_TIMERS; i++) {
            changes.add(1000 + i, EVFILT_TIMER, EV_ADD, NOTE_SECONDS, HOUR_S + i, null);
        }
        assertThat(kq.kevent(changes, new KEventList(0), 0)).isZero();
    }

    @Test
    void abstimeInThePastFiresAtOnceAndAtTheEndOfTimeNeverAmongManyTimers() throws Exception {
        addFarTimers();
        long nowS = Instant.now().getEpochSecond();
        apply(kq, timer(1, EV_ADD | EV_ONESHOT, NOTE_ABSTIME | NOTE_SECONDS, nowS - 60),
                timer(2, EV_ADD, NOTE_ABSTIME | NOTE_SECONDS, Long.MAX_VALUE / 2),
                timer(3, EV_ADD, NOTE_ABSTIME | NOTE_SECONDS, nowS + 100 * 365 * 24 * HOUR_S));
        KEvent past = one(kq);
        assertThat(past.ident()).isEqualTo(1);
        assertThat(past.data()).isEqualTo(1);
        apply(kq, timer(4, EV_ADD | EV_ONESHOT, NOTE_MSECONDS, 50));
        assertThat(one(kq).ident()).as("only the 50 ms timer, not the far ones").isEqualTo(4);
        apply(kq, timer(2, EV_DELETE, 0, 0), timer(3, EV_DELETE, 0, 0));
        assertThat(applyFails(kq, timer(2, EV_DELETE, 0, 0))).isEqualTo(Errno.ENOENT);
    }

    @Test
    void reAddMovesATimerBetweenTheFarAndTheNearTerm() throws Exception {
        addFarTimers();
        long lastFar = 1000 + FAR_TIMERS - 1;   // added when the wheel was there: its callout is on the wheel
        // a far one made near fires; a near one made far does not
        apply(kq, timer(lastFar, EV_ADD, NOTE_MSECONDS, 20), timer(7, EV_ADD, NOTE_MSECONDS, 30));
        apply(kq, timer(7, EV_ADD, NOTE_SECONDS, HOUR_S));
        KEvent first = one(kq);
        assertThat(first.ident()).isEqualTo(lastFar);
        assertThat(first.data()).isGreaterThanOrEqualTo(1);
        apply(kq, timer(lastFar, EV_DELETE, 0, 0), timer(8, EV_ADD | EV_ONESHOT, NOTE_MSECONDS, 100));
        assertThat(one(kq).ident()).as("the sentinel, not the timer moved an hour away").isEqualTo(8);
        // a far one deleted while those around it stay, and one of them made near
        apply(kq, timer(lastFar - 1, EV_DELETE, 0, 0), timer(lastFar - 2, EV_ADD | EV_ONESHOT, NOTE_MSECONDS, 10));
        assertThat(one(kq).ident()).isEqualTo(lastFar - 2);
        assertThat(applyFails(kq, timer(lastFar - 1, EV_DELETE, 0, 0))).isEqualTo(Errno.ENOENT);
    }
}
