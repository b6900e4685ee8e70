package io.jkqueue.core;

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
        Random rnd = new Random(42);
        CalloutHeap heap = new CalloutHeap();
        KnoteImpl[] knotes = new KnoteImpl[5_000];
        for (int i = 0; i < knotes.length; i++) {
            knotes[i] = new KnoteImpl(null);
            knotes[i].ident = i;
        }
        Map<KnoteImpl, Long> model = new HashMap<>();
        TreeMap<Long, Integer> deadlines = new TreeMap<>();
        for (int step = 0; step < 400_000; step++) {
            KnoteImpl kn = knotes[rnd.nextInt(knotes.length)];
            int op = rnd.nextInt(10);
            if (op < 5) {
                long when = rnd.nextInt(1_000_000);
                unindex(deadlines, model.put(kn, when));
                deadlines.merge(when, 1, Integer::sum);
                heap.schedule(kn, when);
            } else if (op < 8) {
                unindex(deadlines, model.remove(kn));
                heap.remove(kn);
            } else {
                assertThat(heap.hasLive()).isEqualTo(!model.isEmpty());
                if (!model.isEmpty()) {
                    long expected = deadlines.firstKey();
                    assertThat(heap.earliest()).isEqualTo(expected);
                    KnoteImpl popped = heap.pop();
                    assertThat(model.remove(popped)).isEqualTo(expected);
                    unindex(deadlines, expected);
                    assertThat(popped.calloutPending).isFalse();
                }
            }
        }
        long last = Long.MIN_VALUE;
        while (heap.hasLive()) {
            assertThat(heap.earliest()).isGreaterThanOrEqualTo(last);
            last = heap.earliest();
            assertThat(model.remove(heap.pop())).isEqualTo(last);
        }
        assertThat(model).isEmpty();
    }

    @Test
    void batchesSortedOntoTheRunAndTheHeapPopInDeadlineOrderTogether() {
        Random rnd = new Random(7);
        CalloutHeap heap = new CalloutHeap();
        KnoteImpl[] knotes = new KnoteImpl[5_000];
        for (int i = 0; i < knotes.length; i++) {
            knotes[i] = new KnoteImpl(null);
            knotes[i].ident = i;
        }
        Map<KnoteImpl, Long> model = new HashMap<>();
        TreeMap<Long, Integer> deadlines = new TreeMap<>();
        long tick = 0;   // batches come a tick at a time, as softclock moves them; some out of order
        for (int step = 0; step < 200_000; step++) {
            int op = rnd.nextInt(20);
            if (op == 0) {
                boolean inOrder = rnd.nextInt(4) != 0;
                long base = inOrder ? (tick += 1_000) : rnd.nextInt((int) tick + 1);
                int n = rnd.nextInt(300);
                java.util.Set<KnoteImpl> inBatch = new java.util.HashSet<>();
                for (int i = 0; i < n; i++) {
                    KnoteImpl kn = knotes[rnd.nextInt(knotes.length)];
                    if (!inBatch.add(kn) || model.containsKey(kn)) {
                        continue;   // as on the wheel: a callout pending there is on no near-term entry
                    }
                    long when = base + rnd.nextInt(rnd.nextBoolean() ? 1_000 : 3);   // ties too
                    model.put(kn, when);
                    deadlines.merge(when, 1, Integer::sum);
                    heap.addToBatch(kn, when);
                }
                heap.endBatch();
            } else if (op < 6) {
                KnoteImpl kn = knotes[rnd.nextInt(knotes.length)];
                long when = tick + rnd.nextInt(2_000) - 1_000;
                unindex(deadlines, model.put(kn, when));
                deadlines.merge(when, 1, Integer::sum);
                heap.schedule(kn, when);
            } else if (op < 10) {
                KnoteImpl kn = knotes[rnd.nextInt(knotes.length)];
                unindex(deadlines, model.remove(kn));
                heap.remove(kn);
            } else {
                assertThat(heap.hasLive()).isEqualTo(!model.isEmpty());
                assertThat(heap.live()).isGreaterThanOrEqualTo(model.size());
                if (!model.isEmpty()) {
                    long expected = deadlines.firstKey();
                    assertThat(heap.earliest()).isEqualTo(expected);
                    KnoteImpl popped = heap.pop();
                    assertThat(model.remove(popped)).isEqualTo(expected);
                    unindex(deadlines, expected);
                    assertThat(popped.calloutPending).isFalse();
                }
            }
        }
        long last = Long.MIN_VALUE;
        while (heap.hasLive()) {
            assertThat(heap.earliest()).isGreaterThanOrEqualTo(last);
            last = heap.earliest();
            assertThat(model.remove(heap.pop())).isEqualTo(last);
        }
        assertThat(model).isEmpty();
        assertThat(heap.live()).isZero();
    }

    private static void unindex(TreeMap<Long, Integer> deadlines, Long when) {
        if (when != null) {
            deadlines.computeIfPresent(when, (k, n) -> n == 1 ? null : n - 1);
        }
    }
}
