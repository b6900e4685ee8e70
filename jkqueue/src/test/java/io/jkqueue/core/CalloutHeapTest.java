package io.jkqueue.core;

import io.jkqueue.Kq;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/** The near-term callouts against a sorted-map model under random schedule, batch, reschedule, stop and pop. */
class CalloutHeapTest {

    @Test
    void popsLiveCalloutsInDeadlineOrderWhateverWasStopped() {
        Random rnd = new Random(Kq.seed(42));
        Model m = new Model();
        for (int step = 0; step < 400_000; step++) {
            KnoteImpl kn = m.knote(rnd);
            int op = rnd.nextInt(10);
            if (op < 5) {
                m.schedule(kn, rnd.nextInt(1_000_000));
            } else if (op < 8) {
                m.remove(kn);
            } else {
                m.popAndCheck();
            }
        }
        m.drainInOrder();
    }

    @Test
    void batchesSortedOntoTheRunAndTheHeapPopInDeadlineOrderTogether() {
        Random rnd = new Random(Kq.seed(7));
        Model m = new Model();
        long tick = 0;   // batches come a tick at a time, as softclock moves them; some out of order
        for (int step = 0; step < 200_000; step++) {
            int op = rnd.nextInt(20);
            if (op == 0) {
                long base = rnd.nextInt(4) != 0 ? (tick += 1_000) : rnd.nextInt((int) tick + 1);
                int n = rnd.nextInt(300);
                for (int i = 0; i < n; i++) {
                    KnoteImpl kn = m.knote(rnd);
                    if (!kn.calloutPending) {   // as on the wheel: a callout pending there is on no near-term entry
                        m.addToBatch(kn, base + rnd.nextInt(rnd.nextBoolean() ? 1_000 : 3));   // ties too
                    }
                }
                m.heap.endBatch();
            } else if (op < 6) {
                m.schedule(m.knote(rnd), tick + rnd.nextInt(2_000) - 1_000);
            } else if (op < 10) {
                m.remove(m.knote(rnd));
            } else {
                m.popAndCheck();
            }
        }
        m.drainInOrder();
    }

    /** A CalloutHeap and what it should hold: each knote's pending deadline, and how many knotes are due at each. */
    private static final class Model {
        final CalloutHeap heap = new CalloutHeap();
        private final KnoteImpl[] knotes = new KnoteImpl[5_000];
        private final Map<KnoteImpl, Long> pending = new HashMap<>();
        private final TreeMap<Long, Integer> deadlines = new TreeMap<>();

        Model() {
            for (int i = 0; i < knotes.length; i++) {
                knotes[i] = new KnoteImpl(null);
                knotes[i].ident = i;
            }
        }

        KnoteImpl knote(Random rnd) {
            return knotes[rnd.nextInt(knotes.length)];
        }

        void schedule(KnoteImpl kn, long when) {
            expect(kn, when);
            heap.schedule(kn, when);
        }

        void addToBatch(KnoteImpl kn, long when) {
            expect(kn, when);
            heap.addToBatch(kn, when);
        }

        void remove(KnoteImpl kn) {
            unindex(pending.remove(kn));
            heap.remove(kn);
        }

        /** hasLive, and the earliest and pop against the model's earliest. */
        void popAndCheck() {
            assertThat(heap.hasLive()).isEqualTo(!pending.isEmpty());
            assertThat(heap.live()).isGreaterThanOrEqualTo(pending.size());
            if (!pending.isEmpty()) {
                long expected = deadlines.firstKey();
                assertThat(heap.earliest()).isEqualTo(expected);
                KnoteImpl popped = heap.pop();
                assertThat(pending.remove(popped)).isEqualTo(expected);
                unindex(expected);
                assertThat(popped.calloutPending).isFalse();
            }
        }

        /** Pops everything left: in deadline order, each as the model has it, nothing live after. */
        void drainInOrder() {
            long last = Long.MIN_VALUE;
            while (heap.hasLive()) {
                assertThat(heap.earliest()).isGreaterThanOrEqualTo(last);
                last = heap.earliest();
                assertThat(pending.remove(heap.pop())).isEqualTo(last);
            }
            assertThat(pending).isEmpty();
            assertThat(heap.live()).isZero();
        }

        private void expect(KnoteImpl kn, long when) {
            unindex(pending.put(kn, when));
            deadlines.merge(when, 1, Integer::sum);
        }

        private void unindex(Long when) {
            if (when != null) {
                deadlines.computeIfPresent(when, (k, n) -> n == 1 ? null : n - 1);
            }
        }
    }
}
