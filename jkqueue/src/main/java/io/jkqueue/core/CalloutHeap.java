package io.jkqueue.core;

import java.util.Arrays;

/**
 * A kqueue's pending callouts: a binary min-heap of knotes by deadline. The
 * deadlines sit in a parallel long[] so sifting touches one array; each knote
 * records its slot so that a stop is O(log n). Guarded by the kq lock.
 */
final class CalloutHeap {
    private KnoteImpl[] knotes = new KnoteImpl[16];
    private long[] when = new long[16];
    private int size;

    int size() {
        return size;
    }

    /** The earliest deadline; only when size() > 0. */
    long earliest() {
        return when[0];
    }

    KnoteImpl first() {
        return knotes[0];
    }

    /** Schedules {@code kn} at {@code deadline}, moving it if already scheduled. */
    void schedule(KnoteImpl kn, long deadline) {
        int i = kn.calloutIndex;
        if (i < 0) {
            if (size == knotes.length) {
                knotes = Arrays.copyOf(knotes, size * 2);
                when = Arrays.copyOf(when, size * 2);
            }
            i = size++;
        } else if (deadline > when[i]) {
            set(i, kn, deadline);
            siftDown(i);
            return;
        }
        set(i, kn, deadline);
        siftUp(i);
    }

    void remove(KnoteImpl kn) {
        int i = kn.calloutIndex;
        if (i < 0) {
            return;
        }
        kn.calloutIndex = -1;
        int last = --size;
        if (i != last) {
            KnoteImpl moved = knotes[last];
            long movedWhen = when[last];
            set(i, moved, movedWhen);
            siftDown(i);
            if (moved.calloutIndex == i) {
                siftUp(i);
            }
        }
        knotes[last] = null;
    }

    private void set(int i, KnoteImpl kn, long deadline) {
        knotes[i] = kn;
        when[i] = deadline;
        kn.calloutIndex = i;
    }

    private void siftUp(int i) {
        KnoteImpl kn = knotes[i];
        long w = when[i];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (when[parent] <= w) {
                break;
            }
            set(i, knotes[parent], when[parent]);
            i = parent;
        }
        set(i, kn, w);
    }

    private void siftDown(int i) {
        KnoteImpl kn = knotes[i];
        long w = when[i];
        int half = size >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            int right = child + 1;
            if (right < size && when[right] < when[child]) {
                child = right;
            }
            if (w <= when[child]) {
                break;
            }
            set(i, knotes[child], when[child]);
            i = child;
        }
        set(i, kn, w);
    }
}
