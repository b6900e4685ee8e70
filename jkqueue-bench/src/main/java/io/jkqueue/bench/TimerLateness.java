package io.jkqueue.bench;

import io.jkqueue.KEvent;
import io.jkqueue.KEventList;
import io.jkqueue.KQueue;

import java.util.Arrays;
import java.util.Locale;

/**
 * (d) Timer lateness: 100 periodic 1 ms EVFILT_TIMER timers on one kqueue,
 * one thread collecting for a few seconds. For each delivered event,
 * lateness = delivery time (System.nanoTime() right after kevent returns)
 * - expected expiry time of the latest expiration it reports, which is
 * start + period * (cumulative data of that timer). The start is taken just
 * before the kevent call that added the timer, so lateness is an upper bound
 * by at most one add call.
 *
 * <p>Options: --timers=N --period-ms=N --seconds=N
 */
public final class TimerLateness {

    public static void main(String[] args) throws Exception {
        int timers = (int) Rounds.opt(args, "timers", 100);
        long periodMs = Rounds.opt(args, "period-ms", 1);
        long seconds = Rounds.opt(args, "seconds", 4);
        long periodNs = periodMs * 1_000_000L;

        System.out.printf(Locale.ROOT, "== (d) timer lateness: %d periodic %d ms timers, one thread collecting for %d s%n",
                timers, periodMs, seconds);
        int capacity = (int) Math.min(50_000_000L, timers * (seconds * 1000 / periodMs + 10) + 1000);
        long[] lateness = new long[capacity];
        int samples = 0;
        long early = 0;
        long events = 0;
        long expirations = 0;
        try (KQueue kq = KQueue.open()) {
            KEventList none = new KEventList(0);
            KEventList add = new KEventList(1);
            KEventList out = new KEventList(Math.max(16, timers * 2));
            long[] start = new long[timers];
            long[] cum = new long[timers];
            for (int i = 0; i < timers; i++) {
                add.clear();
                add.add(i, KEvent.EVFILT_TIMER, KEvent.EV_ADD, KEvent.NOTE_MSECONDS, periodMs, null);
                start[i] = System.nanoTime();
                kq.kevent(add, none, 0);
            }
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            long now;
            do {
                int n = kq.kevent(none, out, -1);
                now = System.nanoTime();
                for (int k = 0; k < n; k++) {
                    int i = (int) out.ident(k);
                    if (out.filter(k) != KEvent.EVFILT_TIMER || (out.flags(k) & KEvent.EV_ERROR) != 0
                            || i < 0 || i >= timers || out.data(k) < 1) {
                        throw new IllegalStateException("unexpected event " + out.get(k));
                    }
                    cum[i] += out.data(k);
                    long late = now - (start[i] + cum[i] * periodNs);
                    if (late < 0) {
                        early++;
                    }
                    if (samples < capacity) {
                        lateness[samples++] = late;
                    }
                    events++;
                    expirations += out.data(k);
                }
            } while (now < end);
            long elapsedAll = 0;
            for (int i = 0; i < timers; i++) {
                elapsedAll += (now - start[i]) / periodNs;
            }
            Arrays.sort(lateness, 0, samples);
            double p50 = Rounds.percentile(lateness, samples, 50) / 1e3;
            double p99 = Rounds.percentile(lateness, samples, 99) / 1e3;
            double max = lateness[samples - 1] / 1e3;
            double min = lateness[0] / 1e3;
            System.out.printf(Locale.ROOT, "  events %,d, expirations reported %,d of %,d due (%.2f%%), %.2f expirations per event%n",
                    events, expirations, elapsedAll, 100.0 * expirations / elapsedAll, expirations / (double) events);
            System.out.printf(Locale.ROOT, "  lateness us: p50 %.1f  p99 %.1f  max %.1f  (min %.1f; %d deliveries before their expiry)%n",
                    p50, p99, max, min, early);
            Rounds.summary(String.format(Locale.ROOT, "(d) lateness %d x %d ms, %d s", timers, periodMs, seconds),
                    String.format(Locale.ROOT, "p50 %.1f us, p99 %.1f us, max %.1f us; %.2f%% of due expirations, %d early",
                            p50, p99, max, 100.0 * expirations / elapsedAll, early), "", early == 0 ? "" : "EARLY DELIVERIES");
        }
    }
}
