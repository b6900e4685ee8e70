package io.jkqueue.bench;

import io.jkqueue.Fd;
import io.jkqueue.KEvent;
import io.jkqueue.KEventList;
import io.jkqueue.KQueue;

import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.Locale;

/**
 * Registration churn: register + delete per second on one socket.
 * <ul>
 * <li>jkqueue: kevent(EV_ADD EVFILT_READ), then kevent(EV_DELETE): two calls.
 * <li>Selector: register(sel, OP_READ), key.cancel(), selectNow() (the
 *     selectNow is needed before the channel may be registered again). The
 *     JDK defers both to the next select, which drops the cancelled key before
 *     it reaches epoll: no epoll_ctl at all.
 * <li>Selector+sel: register, selectNow(), cancel, selectNow(), so that the
 *     descriptor really enters and leaves the epoll set, as in jkqueue.
 * </ul>
 * Interleaved rounds. Options: --ops=200000 --rounds=9 --warmup=2
 */
public final class Churn {
    private Churn() {}

    public static void main(String[] args) throws Exception {
        int ops = (int) Rounds.opt(args, "ops", 200_000);
        int rounds = (int) Rounds.opt(args, "rounds", 9);
        int warmup = (int) Rounds.opt(args, "warmup", 2);
        System.out.printf(Locale.ROOT, "== churn: register + delete of a read registration on a socket, "
                + "thousand ops/s (higher is better)%n");
        SocketChannel[] pair = Support.unixPairs(1);
        SocketChannel ch = pair[0];
        int fd = Fd.of(ch);
        try (KQueue kq = KQueue.open(); Selector sel = Selector.open()) {
            KEventList add = new KEventList(1);
            KEventList del = new KEventList(1);
            add.add(fd, KEvent.EVFILT_READ, KEvent.EV_ADD, 0, 0, null);
            del.add(fd, KEvent.EVFILT_READ, KEvent.EV_DELETE, 0, 0, null);
            Rounds r = new Rounds()
                    .add("jkqueue", Support.checked(() -> {
                        long t0 = System.nanoTime();
                        for (int i = 0; i < ops; i++) {
                            kq.kevent(add, null, 0);
                            kq.kevent(del, null, 0);
                        }
                        return ops / ((System.nanoTime() - t0) / 1e6);
                    }))
                    .add("Selector", Support.checked(() -> {
                        long t0 = System.nanoTime();
                        for (int i = 0; i < ops; i++) {
                            ch.register(sel, SelectionKey.OP_READ).cancel();
                            sel.selectNow();
                        }
                        return ops / ((System.nanoTime() - t0) / 1e6);
                    }))
                    .add("Selector+sel", Support.checked(() -> {
                        long t0 = System.nanoTime();
                        for (int i = 0; i < ops; i++) {
                            SelectionKey k = ch.register(sel, SelectionKey.OP_READ);
                            sel.selectNow();
                            k.cancel();
                            sel.selectNow();
                        }
                        return ops / ((System.nanoTime() - t0) / 1e6);
                    }))
                    .run(warmup, rounds, "kops/s");
            for (String v : new String[] {"jkqueue", "Selector", "Selector+sel"}) {
                System.out.printf(Locale.ROOT, "  %-12s kops/s: %s%n", v, Rounds.describe(r.values(v), "%.0f"));
                Rounds.summary("churn " + v, Rounds.brief(r.values(v), "%.0f") + " kops/s", "", "");
            }
            double[] js = r.ratio("jkqueue", "Selector");
            double[] jss = r.ratio("jkqueue", "Selector+sel");
            System.out.println("  ratio jkqueue/Selector:     " + Rounds.describe(js, "%.3f"));
            System.out.println("  ratio jkqueue/Selector+sel: " + Rounds.describe(jss, "%.3f"));
            Rounds.summary("churn jkqueue/Selector", Rounds.brief(js, "%.3f"), "", "");
            Rounds.summary("churn jkqueue/Selector+sel", Rounds.brief(jss, "%.3f"), "", "");
        } finally {
            Support.closeAll(pair);
        }
    }
}
