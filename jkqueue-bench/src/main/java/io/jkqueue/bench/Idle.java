package io.jkqueue.bench;

import io.jkqueue.Fd;
import io.jkqueue.KEvent;
import io.jkqueue.KEventList;
import io.jkqueue.KQueue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.Locale;

/**
 * The cost of one kevent call that returns one ready event, on a kqueue with
 * 10,000 idle EVFILT_READ registrations against one with 10 (kqueue's promise:
 * the cost follows the active events, so the ratio is ≈ 1). The ready event
 * is a level-triggered EVFILT_READ on a socket holding a byte that is never
 * read; the idle ones are sockets nothing is written to. Each call is
 * kevent(KEventList, KEventList, 0). The JDK Selector (selectNow(Consumer)
 * over the same sockets) is shown for context. Interleaved rounds.
 *
 * <p>Options: --idle=10000 --few=10 --calls=200000 --rounds=9 --warmup=2
 */
public final class Idle {
    private Idle() {}

    static double kevent(KQueue kq, KEventList events, int calls) throws IOException {
        long t0 = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            if (kq.kevent(null, events, 0) != 1) {
                throw new IllegalStateException("expected exactly one ready event");
            }
        }
        return (System.nanoTime() - t0) / (double) calls;
    }

    static double select(Selector sel, int calls) throws IOException {
        long t0 = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            if (sel.selectNow(k -> { }) != 1) {
                throw new IllegalStateException("expected exactly one ready key");
            }
        }
        return (System.nanoTime() - t0) / (double) calls;
    }

    static KQueue kqueue(SocketChannel[] idle, int count, SocketChannel ready) throws IOException {
        KQueue kq = KQueue.open();
        KEventList changes = new KEventList(count + 1);
        for (int i = 0; i < count; i++) {
            changes.add(Fd.of(idle[i]), KEvent.EVFILT_READ, KEvent.EV_ADD, 0, 0, null);
        }
        changes.add(Fd.of(ready), KEvent.EVFILT_READ, KEvent.EV_ADD, 0, 0, null);
        kq.kevent(changes, null, 0);
        return kq;
    }

    static Selector selector(SocketChannel[] idle, int count, SocketChannel ready) throws IOException {
        Selector sel = Selector.open();
        for (int i = 0; i < count; i++) {
            idle[i].register(sel, SelectionKey.OP_READ);
        }
        ready.register(sel, SelectionKey.OP_READ);
        return sel;
    }

    public static void main(String[] args) throws Exception {
        int many = (int) Rounds.opt(args, "idle", 10_000);
        int few = (int) Rounds.opt(args, "few", 10);
        int calls = (int) Rounds.opt(args, "calls", 200_000);
        int rounds = (int) Rounds.opt(args, "rounds", 9);
        int warmup = (int) Rounds.opt(args, "warmup", 2);
        System.out.printf(Locale.ROOT, "== idle registrations: ns per kevent call returning 1 event, %,d vs %,d idle "
                + "EVFILT_READ knotes (lower is better)%n", many, few);
        SocketChannel[] idle = Support.unixPairs((many + 1) / 2);
        SocketChannel[] ready = Support.unixPairs(1);
        ready[1].write(ByteBuffer.wrap(new byte[] {1}));            // ready[0] stays readable
        KEventList events = new KEventList(16);
        try (KQueue kFew = kqueue(idle, few, ready[0]); KQueue kMany = kqueue(idle, many, ready[0]);
             Selector sFew = selector(idle, few, ready[0]); Selector sMany = selector(idle, many, ready[0])) {
            String kf = "jkqueue-" + few;
            String km = "jkqueue-" + many;
            String sf = "Selector-" + few;
            String sm = "Selector-" + many;
            Rounds r = new Rounds()
                    .add(kf, Support.checked(() -> kevent(kFew, events, calls)))
                    .add(km, Support.checked(() -> kevent(kMany, events, calls)))
                    .add(sf, Support.checked(() -> select(sFew, calls)))
                    .add(sm, Support.checked(() -> select(sMany, calls)))
                    .run(warmup, rounds, "ns/call");
            for (String v : new String[] {kf, km, sf, sm}) {
                System.out.printf(Locale.ROOT, "  %-15s ns/call: %s%n", v, Rounds.describe(r.values(v), "%.0f"));
                Rounds.summary("idle " + v, Rounds.brief(r.values(v), "%.0f") + " ns/call", "", "");
            }
            double[] jr = r.ratio(km, kf);
            double[] sr = r.ratio(sm, sf);
            boolean met = Rounds.stats(jr)[0] <= 1.2;
            System.out.println("  ratio jkqueue " + many + "/" + few + ":  " + Rounds.describe(jr, "%.3f") + "  target ~1 (<= 1.2) " + Rounds.verdict(met));
            System.out.println("  ratio Selector " + many + "/" + few + ": " + Rounds.describe(sr, "%.3f"));
            Rounds.summary("idle jkqueue " + many + "/" + few, Rounds.brief(jr, "%.3f"), "~1 (<= 1.2)", Rounds.verdict(met));
            Rounds.summary("idle Selector " + many + "/" + few, Rounds.brief(sr, "%.3f"), "", "");
        } finally {
            Support.closeAll(idle);
            Support.closeAll(ready);
        }
    }
}
