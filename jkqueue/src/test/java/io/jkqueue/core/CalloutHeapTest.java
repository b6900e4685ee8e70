package io.jkqueue.core;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/** The callout heap against a sorted-map model under random schedule, reschedule, stop and pop. */
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

    private static void unindex(TreeMap<Long, Integer> deadlines, Long when) {
        if (when != null) {
            deadlines.computeIfPresent(when, (k, n) -> n == 1 ? null : n - 1);
        }
    }
}
