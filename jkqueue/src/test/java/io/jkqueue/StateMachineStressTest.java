package io.jkqueue;

import static io.jkqueue.KEvent.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Random changes on 10,000 EVFILT_USER knotes from 4 threads against a reference model of the
 * seed's knote state machine (kqueue_register, filt_usertouch, kqueue_scan). Each thread owns a
 * slice of idents; at every phase boundary all threads stop and one drains the kqueue in a single
 * scan, and the delivered events are compared with what the model predicts.
 */
// longer than the default in junit-platform.properties: random changes from several threads until the deadline
@Timeout(150)
class StateMachineStressTest {
    private static final int KNOTES = 10_000;
    private static final int THREADS = 4;
    private static final int PHASES = 20;
    private static final int OPS_PER_PHASE = 2_500;
    private static final long SEED = Kq.seed(System.nanoTime());

    /** The model of one knote, as the seed would hold it. */
    static final class Model {
        boolean exists;
        boolean disabled;
        boolean triggered;   // kn_hookid
        int kflags;          // kn_kevent.flags
        int sfflags;         // kn_sfflags
        long sdata;          // kn_sdata
        Object udata;

        boolean reportable() {
            return exists && !disabled && triggered;
        }
    }

    private static final int[] ADD_FLAGS = {
        0, EV_CLEAR, EV_DISPATCH, EV_CLEAR | EV_DISPATCH, EV_ONESHOT, EV_ONESHOT | EV_CLEAR, EV_ONESHOT | EV_DISPATCH,
    };

    @Test
    void randomChangesMatchTheModel() throws Exception {
        // warm up so class loading does not open descriptors during the measurement
        KQueue.open().close();
        int fdsBefore = Kq.openFds();

        Model[] models = new Model[KNOTES];
        for (int i = 0; i < KNOTES; i++) {
            models[i] = new Model();
        }
        ConcurrentLinkedQueue<String> mismatches = new ConcurrentLinkedQueue<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long[] delivered = new long[1];

        try (KQueue kq = KQueue.open()) {
            KEventList drained = new KEventList(KNOTES + 1);
            KEventList none = new KEventList(0);
            Runnable drain = () -> {
                try {
                    int n = kq.kevent(none, drained, 0);
                    if (n > KNOTES) {
                        mismatches.add("scan returned " + n + " events for " + KNOTES + " knotes");
                    }
                    boolean[] seen = new boolean[KNOTES];
                    for (int i = 0; i < n; i++) {
                        long id = drained.ident(i);
                        if (id < 0 || id >= KNOTES || drained.filter(i) != EVFILT_USER) {
                            mismatches.add("foreign event " + drained.get(i));
                            continue;
                        }
                        Model m = models[(int) id];
                        if (seen[(int) id]) {
                            mismatches.add("ident " + id + " twice in one scan");
                        }
                        seen[(int) id] = true;
                        if (!m.reportable()) {
                            mismatches.add("unexpected " + drained.get(i) + " model exists=" + m.exists
                                    + " disabled=" + m.disabled + " triggered=" + m.triggered);
                            continue;
                        }
                        boolean oneshot = (m.kflags & EV_ONESHOT) != 0;
                        // EV_ONESHOT: kqueue_scan copies kn_kevent without f_touch (fflags/data 0)
                        int wantFflags = oneshot ? 0 : m.sfflags;
                        long wantData = oneshot ? 0 : m.sdata;
                        if (drained.flags(i) != m.kflags || drained.fflags(i) != wantFflags
                                || drained.data(i) != wantData || drained.udata(i) != m.udata) {
                            mismatches.add("ident " + id + ": got " + drained.get(i) + " want flags=" + m.kflags
                                    + " fflags=" + wantFflags + " data=" + wantData + " udata=" + m.udata);
                        }
                        if (oneshot) {
                            m.exists = false;
                        } else {
                            if ((m.kflags & EV_CLEAR) != 0) {
                                m.triggered = false;
                            }
                            if ((m.kflags & EV_DISPATCH) != 0) {
                                m.disabled = true;
                            }
                        }
                    }
                    for (int id = 0; id < KNOTES; id++) {
                        if (models[id].reportable() && !seen[id]) {
                            mismatches.add("ident " + id + " should have been reported");
                        }
                    }
                    delivered[0] += n;
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            };
            CyclicBarrier barrier = new CyclicBarrier(THREADS, drain);

            List<Thread> threads = new ArrayList<>();
            int slice = KNOTES / THREADS;
            for (int t = 0; t < THREADS; t++) {
                int base = t * slice;
                Random rnd = new Random(SEED + t);
                Thread th = new Thread(() -> {
                    try {
                        Worker w = new Worker(kq, models, base, slice, rnd, mismatches);
                        for (int phase = 0; phase < PHASES; phase++) {
                            for (int op = 0; op < OPS_PER_PHASE; op++) {
                                w.step();
                            }
                            barrier.await(60, TimeUnit.SECONDS);
                        }
                    } catch (BrokenBarrierException e) {
                        // another thread failed
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                        barrier.reset();
                    }
                }, "stress-" + t);
                th.start();
                threads.add(th);
            }
            for (Thread th : threads) {
                th.join(120_000);
                assertThat(th.isAlive()).as(th.getName() + " finished").isFalse();
            }
            assertThat(failure.get()).as("seed " + SEED).isNull();
            assertThat(mismatches).as("seed " + SEED).isEmpty();
            assertThat(delivered[0]).as("the test delivered events at all").isPositive();

            // delete what the model says exists: every delete succeeds
            KEventList deletes = new KEventList(KNOTES);
            int live = 0;
            for (int id = 0; id < KNOTES; id++) {
                if (models[id].exists) {
                    deletes.add(id, EVFILT_USER, EV_DELETE, 0, 0, null);
                    live++;
                }
            }
            assertThat(live).as("some knotes were alive at the end").isPositive();
            KEventList errors = new KEventList(KNOTES);
            assertThat(kq.kevent(deletes, errors, 0)).as("deleting the live knotes: no errors, nothing pending")
                    .isZero();
            // now nothing is left: a delete of every ident is ENOENT
            KEventList all = new KEventList(KNOTES);
            for (int id = 0; id < KNOTES; id++) {
                all.add(id, EVFILT_USER, EV_DELETE, 0, 0, null);
            }
            assertThat(kq.kevent(all, errors, 0)).isEqualTo(KNOTES);
            for (int i = 0; i < KNOTES; i++) {
                assertThat(errors.flags(i)).isEqualTo(EV_ERROR);
                assertThat(errors.data(i)).as("ident %d", errors.ident(i)).isEqualTo(Errno.ENOENT.code());
            }
            assertThat(kq.kevent(none, new KEventList(16), 0)).isZero();
        }
        // descriptors come back once every kqueue is closed
        int fdsAfter = Kq.awaitOpenFds(fdsBefore);
        assertThat(fdsAfter).as("open descriptors").isEqualTo(fdsBefore);
    }

    /** One thread's random changes on its own slice of idents, with the model updated alongside. */
    private static final class Worker {
        private final KQueue kq;
        private final Model[] models;
        private final int base;
        private final int count;
        private final Random rnd;
        private final ConcurrentLinkedQueue<String> mismatches;
        private final KEventList changes = new KEventList(8);
        private final KEventList receipts = new KEventList(8);
        private final KEventList none = new KEventList(0);
        private final List<Errno> expected = new ArrayList<>(8);
        private long tags;

        Worker(KQueue kq, Model[] models, int base, int count, Random rnd, ConcurrentLinkedQueue<String> mismatches) {
            this.kq = kq;
            this.models = models;
            this.base = base;
            this.count = count;
            this.rnd = rnd;
            this.mismatches = mismatches;
        }

        void step() throws Exception {
            changes.clear();
            expected.clear();
            // usually one change with nevents 0; sometimes a batch with EV_RECEIPT on each change,
            // so that every change answers with an entry and no scan happens
            boolean batch = rnd.nextInt(4) == 0;
            int n = batch ? 1 + rnd.nextInt(8) : 1;
            for (int i = 0; i < n; i++) {
                int id = base + (count < 64 ? rnd.nextInt(count) : hot(rnd));
                expected.add(change(id, batch ? EV_RECEIPT : 0));
            }
            if (!batch) {
                Errno want = expected.get(0);
                try {
                    kq.kevent(changes, none, 0);
                    if (want != null) {
                        mismatches.add("change " + changes.get(0) + " succeeded, model says " + want);
                    }
                } catch (KQueueException e) {
                    if (e.errno() != want) {
                        mismatches.add("change " + changes.get(0) + " failed with " + e.errno() + ", model says " + want);
                    }
                }
                return;
            }
            int got = kq.kevent(changes, receipts, 0);
            if (got != n) {
                mismatches.add("receipt batch of " + n + " returned " + got);
                return;
            }
            for (int i = 0; i < n; i++) {
                Errno want = expected.get(i);
                long data = receipts.data(i);
                if (receipts.flags(i) != EV_ERROR || receipts.ident(i) != changes.ident(i)
                        || data != (want == null ? 0 : want.code())) {
                    mismatches.add("receipt " + receipts.get(i) + " for " + changes.get(i) + ", model says " + want);
                }
            }
        }

        /** Idents are drawn mostly from a small hot set so that each sees many transitions. */
        private int hot(Random r) {
            return r.nextInt(3) == 0 ? r.nextInt(count) : r.nextInt(64);
        }

        /** Appends a random change for {@code id}, applies it to the model, returns the expected errno. */
        private Errno change(int id, int receipt) {
            Model m = models[id];
            Object tag = "t" + (++tags) + "@" + id;
            int op = rnd.nextInt(10);
            switch (op) {
                case 0, 1 -> { // EV_ADD
                    if (!m.exists) {
                        int fl = ADD_FLAGS[rnd.nextInt(ADD_FLAGS.length)] | receipt;
                        boolean startDisabled = rnd.nextInt(5) == 0;
                        changes.add(id, EVFILT_USER, EV_ADD | fl | (startDisabled ? EV_DISABLE : 0), 0, 0, tag);
                        m.exists = true;
                        m.disabled = startDisabled;
                        m.triggered = false;
                        m.kflags = fl;
                        m.sfflags = 0;
                        m.sdata = 0;
                        m.udata = tag;
                    } else {
                        long d = rnd.nextInt(1000);
                        changes.add(id, EVFILT_USER, EV_ADD | receipt, 0, d, tag);
                        m.sdata = d;
                        m.udata = tag;
                    }
                    return null;
                }
                case 2 -> { // EV_DELETE
                    changes.add(id, EVFILT_USER, EV_DELETE | receipt, 0, 0, tag);
                    if (!m.exists) {
                        return Errno.ENOENT;
                    }
                    m.exists = false;
                    return null;
                }
                case 3 -> { // EV_ENABLE
                    changes.add(id, EVFILT_USER, EV_ENABLE | receipt, 0, 0, tag);
                    if (!m.exists) {
                        return Errno.ENOENT;
                    }
                    m.disabled = false;
                    m.sdata = 0;
                    m.udata = tag;
                    return null;
                }
                case 4 -> { // EV_DISABLE
                    changes.add(id, EVFILT_USER, EV_DISABLE | receipt, 0, 0, tag);
                    if (!m.exists) {
                        return Errno.ENOENT;
                    }
                    m.disabled = true;
                    m.sdata = 0;
                    m.udata = tag;
                    return null;
                }
                case 5 -> { // EV_ENABLE|EV_DISABLE: EINVAL before anything else
                    changes.add(id, EVFILT_USER, EV_ENABLE | EV_DISABLE | receipt, 0, 0, tag);
                    return Errno.EINVAL;
                }
                default -> { // NOTE_TRIGGER with FFCOPY or FFOR
                    int low = rnd.nextInt(1 << 24);
                    boolean copy = rnd.nextBoolean();
                    long d = rnd.nextLong();
                    changes.add(id, EVFILT_USER, receipt, NOTE_TRIGGER | (copy ? NOTE_FFCOPY : NOTE_FFOR) | low, d, tag);
                    if (!m.exists) {
                        return Errno.ENOENT;
                    }
                    m.triggered = true;
                    m.sfflags = copy ? low : (m.sfflags | low);
                    m.sdata = d;
                    m.udata = tag;
                    return null;
                }
            }
        }
    }
}
