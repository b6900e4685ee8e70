package io.jkqueue.bench;

import io.jkqueue.KEvent;
import io.jkqueue.KEventList;
import io.jkqueue.KQueue;

import java.util.Arrays;
import java.util.Locale;

/**
 * (d) Timer lateness: 100 periodic 1 ms EVFILT_TIMER timers on one kqueue,
 * one thread collecting. For each delivered event, lateness = delivery time
 * (System.nanoTime() right after kevent returns) - expected expiry time of
 * the latest expiration it reports, which is start + period * (cumulative
 * data of that timer). The start is taken just before the kevent call that
 * added the timer, so lateness is an upper bound by at most one add call.
 *
 * <p>Run in interleaved rounds (a fresh kqueue each round) against
 * bench/c/lateness.c, the same measurement with 100 timerfds in one epoll
 * instance, so that a loaded machine shows up in both. jkqueue's p50/p99/max
 * are over all its rounds pooled; the per-round p99 ratio is jkqueue/C.
 *
 * <p>Options: --timers=N --period-ms=N --rounds=N --round-ms=N --c-lateness=PATH
 */
public final class TimerLateness {

    /** One round's result: sorted lateness samples (ns) and counts. */
    record Round(long[] lateness, int samples, long events, long expirations, long due, long early) {
        double pct(double p) {
            return Rounds.percentile(lateness, samples, p) / 1e3;
        }
    }

    static Round jkqueueRound(int timers, long periodMs, long roundMs) throws Exception {
        long periodNs = periodMs * 1_000_000L;
        int capacity = (int) Math.min(50_000_000L, timers * (roundMs / periodMs + 10) + 1000);
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
            long end = System.nanoTime() + roundMs * 1_000_000L;
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
            long due = 0;
            for (int i = 0; i < timers; i++) {
                due += (now - start[i]) / periodNs;
            }
            Arrays.sort(lateness, 0, samples);
            return new Round(lateness, samples, events, expirations, due, early);
        }
    }

    public static void main(String[] args) throws Exception {
        int timers = (int) Rounds.opt(args, "timers", 100);
        long periodMs = Rounds.opt(args, "period-ms", 1);
        int rounds = (int) Rounds.opt(args, "rounds", 4);
        long roundMs = Rounds.opt(args, "round-ms", 1000);
        NativeBaseline c = NativeBaseline.fromArgs(args, "c-lateness");

        System.out.printf(Locale.ROOT, "== (d) timer lateness: %d periodic %d ms timers, one thread collecting, %d rounds of %d ms%s%n",
                timers, periodMs, rounds, roundMs, c == null ? "" : ", interleaved with C timerfd+epoll");
        jkqueueRound(timers, periodMs, Math.min(roundMs, 1000));     // warm-up
        double[] jkP99 = new double[rounds];
        double[] cP99 = new double[rounds];
        double[] ratio = new double[rounds];
        long[] pooled = new long[0];
        long events = 0, expirations = 0, due = 0, early = 0;
        for (int r = 0; r < rounds; r++) {
            String cText = "";
            if (c != null) {
                String[] f = c.runLine(Long.toString(roundMs), Integer.toString(timers), Long.toString(periodMs * 1000)).split("\\s+");
                cP99[r] = Long.parseLong(f[1]) / 1e3;
                cText = String.format(Locale.ROOT, " | C p50 %.1f p99 %.1f max %.1f us",
                        Long.parseLong(f[0]) / 1e3, cP99[r], Long.parseLong(f[2]) / 1e3);
            }
            Round j = jkqueueRound(timers, periodMs, roundMs);
            jkP99[r] = j.pct(99);
            ratio[r] = jkP99[r] / cP99[r];
            System.out.printf(Locale.ROOT, "  round %d  jkqueue p50 %.1f p99 %.1f max %.1f us (%,d events)%s%n",
                    r + 1, j.pct(50), j.pct(99), j.pct(100), j.events(), cText);
            int old = pooled.length;
            pooled = Arrays.copyOf(pooled, old + j.samples());
            System.arraycopy(j.lateness(), 0, pooled, old, j.samples());
            events += j.events();
            expirations += j.expirations();
            due += j.due();
            early += j.early();
        }
        Arrays.sort(pooled);
        int n = pooled.length;
        double p50 = Rounds.percentile(pooled, n, 50) / 1e3;
        double p99 = Rounds.percentile(pooled, n, 99) / 1e3;
        double max = pooled[n - 1] / 1e3;
        System.out.printf(Locale.ROOT, "  jkqueue, all rounds: events %,d, expirations reported %,d of %,d due (%.2f%%), %.2f expirations per event%n",
                events, expirations, due, 100.0 * expirations / due, expirations / (double) events);
        System.out.printf(Locale.ROOT, "  jkqueue lateness us: p50 %.1f  p99 %.1f  max %.1f  (min %.1f; %d deliveries before their expiry)%n",
                p50, p99, max, pooled[0] / 1e3, early);
        Rounds.summary(String.format(Locale.ROOT, "(d) lateness jkqueue %d x %d ms", timers, periodMs),
                String.format(Locale.ROOT, "p50 %.1f us, p99 %.1f us, max %.1f us; %.2f%% of due expirations, %d early",
                        p50, p99, max, 100.0 * expirations / due, early), "", early == 0 ? "" : "EARLY DELIVERIES");
        if (c != null) {
            System.out.println("  per-round p99 us: jkqueue " + Rounds.describe(jkP99, "%.1f") + ", C " + Rounds.describe(cP99, "%.1f"));
            System.out.println("  per-round p99 ratio jkqueue/C: " + Rounds.describe(ratio, "%.2f"));
            Rounds.summary("(d) lateness C timerfd p99", Rounds.brief(cP99, "%.1f") + " us", "", "");
            Rounds.summary("(d) lateness p99 jkqueue/C", Rounds.brief(ratio, "%.2f"), "", "");
        }
    }
}
