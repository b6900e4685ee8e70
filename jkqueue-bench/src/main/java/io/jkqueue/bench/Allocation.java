package io.jkqueue.bench;

import io.jkqueue.Fd;
import io.jkqueue.KEvent;
import io.jkqueue.KEventList;
import io.jkqueue.KQueue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * (e) Bytes allocated per kevent(KEventList, KEventList, long) call in steady
 * state, from com.sun.management.ThreadMXBean#getCurrentThreadAllocatedBytes
 * over a million calls after warm-up: a same-thread trigger + collect, a
 * poll with nothing pending (target: 0), and the descriptor cycle of the
 * echo example: one call re-enables the EV_DISPATCH knote it took last and
 * takes the next (64 pipes holding a byte each). The array overload
 * kevent(KEvent[], KEvent[], Duration) is shown for contrast only.
 *
 * <p>Options: --calls=N --warmup-calls=N --repeats=N
 */
public final class Allocation {

    interface Call {
        int call() throws IOException;
    }

    public static void main(String[] args) throws Exception {
        long calls = Rounds.opt(args, "calls", 1_000_000);
        long warm = Rounds.opt(args, "warmup-calls", 500_000);
        int repeats = (int) Rounds.opt(args, "repeats", 5);
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        if (!mx.isThreadAllocatedMemorySupported()) {
            throw new IllegalStateException("thread allocated memory not supported");
        }
        mx.setThreadAllocatedMemoryEnabled(true);

        System.out.printf(Locale.ROOT, "== (e) allocation per kevent call (%,d calls after %,d warm-up calls, %d repeats)%n",
                calls, warm, repeats);
        try (KQueue kq = KQueue.open()) {
            KEventList none = new KEventList(0);
            KEventList add = new KEventList(1);
            add.add(1, KEvent.EVFILT_USER, KEvent.EV_ADD | KEvent.EV_CLEAR, 0, 0, null);
            kq.kevent(add, none, 0);
            KEventList trigger = new KEventList(1);
            trigger.add(1, KEvent.EVFILT_USER, 0, KEvent.NOTE_TRIGGER, 0, null);
            KEventList events = new KEventList(16);
            KEvent[] triggerArr = {trigger.get(0)};
            KEvent[] eventsArr = new KEvent[16];

            double trig = measure(mx, "trigger + collect, KEventList", () -> kq.kevent(trigger, events, 0), 1, calls, warm, repeats);
            double poll = measure(mx, "poll, nothing pending, KEventList", () -> kq.kevent(none, events, 0), 0, calls, warm, repeats);
            double fd = dispatchCycle(mx, calls, warm, repeats);
            double arr = measure(mx, "trigger + collect, KEvent[] (contrast)",
                    () -> kq.kevent(triggerArr, eventsArr, java.time.Duration.ZERO), 1, calls / 4, warm / 4, 1);
            Rounds.summary("(e) alloc trigger+collect", String.format(Locale.ROOT, "%.3f B/call", trig), "0", Rounds.verdict(trig < 0.5));
            Rounds.summary("(e) alloc poll, nothing pending", String.format(Locale.ROOT, "%.3f B/call", poll), "0", Rounds.verdict(poll < 0.5));
            Rounds.summary("(e) alloc fd EV_ENABLE + take", String.format(Locale.ROOT, "%.3f B/call", fd), "0", Rounds.verdict(fd < 0.5));
            Rounds.summary("(e) alloc KEvent[] overload", String.format(Locale.ROOT, "%.1f B/call", arr), "(contrast)", "");
        }
    }

    /** The echo worker's call on its own kqueue: EV_ENABLE the knote taken last, take the next one. */
    static double dispatchCycle(com.sun.management.ThreadMXBean mx, long calls, long warm, int repeats) throws IOException {
        List<Pipe> pipes = new ArrayList<>();
        try (KQueue kq = KQueue.open()) {
            KEventList add = new KEventList(64);
            for (int i = 0; i < 64; i++) {
                Pipe p = Pipe.open();
                pipes.add(p);
                p.sink().write(ByteBuffer.allocate(1));   // never read: every knote stays ready
                add.add(Fd.of(p.source()), KEvent.EVFILT_READ, KEvent.EV_ADD | KEvent.EV_DISPATCH, 0, 0, p);
            }
            kq.kevent(add, null, 0);
            KEventList taken = new KEventList(1);
            check(kq.kevent(null, taken, 0), 1, "first take");
            KEventList enable = new KEventList(1);
            return measure(mx, "fd EV_ENABLE + take, KEventList", () -> {
                enable.clear();
                enable.add(taken.ident(0), KEvent.EVFILT_READ, KEvent.EV_ENABLE, 0, 0, taken.udata(0));
                return kq.kevent(enable, taken, 0);
            }, 1, calls, warm, repeats);
        } finally {
            for (Pipe p : pipes) {
                p.source().close();
                p.sink().close();
            }
        }
    }

    /** Returns the median bytes per call over the repeats. */
    static double measure(com.sun.management.ThreadMXBean mx, String name, Call c, int expect,
                          long calls, long warm, int repeats) throws IOException {
        for (long i = 0; i < warm; i++) {
            check(c.call(), expect, name);
        }
        double[] perCall = new double[repeats];
        for (int r = 0; r < repeats; r++) {
            long sum = 0;
            long b0 = mx.getCurrentThreadAllocatedBytes();
            for (long i = 0; i < calls; i++) {
                sum += c.call();
            }
            long b1 = mx.getCurrentThreadAllocatedBytes();
            check((int) (sum / calls), expect, name);
            perCall[r] = (b1 - b0) / (double) calls;
        }
        System.out.printf(Locale.ROOT, "  %-40s bytes/call %s%n", name, Rounds.describe(perCall, "%.3f"));
        return Rounds.stats(perCall)[0];
    }

    private static void check(int got, int expect, String name) {
        if (got != expect) {
            throw new IllegalStateException(name + ": returned " + got + ", expected " + expect);
        }
    }
}
