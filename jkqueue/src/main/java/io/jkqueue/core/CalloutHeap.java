package io.jkqueue.core;

import java.util.Arrays;

/**
 * The near-term callouts of a kqueue's {@link Callwheel}: a 4-ary min-heap of
 * (deadline, knote) in parallel arrays, so that sifting never touches a
 * knote. A stop is lazy: an entry is live while its knote has a heap callout
 * pending at the entry's deadline (kn.calloutTime), and a stale entry is
 * discarded when it surfaces, or in a rebuild once stale entries outnumber
 * live ones (so a dropped knote is not kept reachable for long). A knote
 * rescheduled at the very deadline it had leaves a stale twin that looks
 * live: whichever surfaces first runs the callout, which ends both.
 * Guarded by the kq lock.
 */
final class CalloutHeap {
    private static final int MIN_REBUILD = 1024;
    private static final int MIN_SHRINK = 1024;

    private long[] when = new long[16];
    private KnoteImpl[] knotes = new KnoteImpl[16];
    private int size;    // entries, live and stale
    private int stale;   // at most this many are stale (a twin is counted once)

    /** Schedules {@code kn} at {@code deadline}, replacing its pending callout if any. */
    void schedule(KnoteImpl kn, long deadline) {
        if (kn.calloutPending) {
            stale++;
        }
        kn.calloutPending = true;
        kn.calloutTime = deadline;
        if (size == when.length) {
            int cap = size * 2;
            when = Arrays.copyOf(when, cap);
            knotes = Arrays.copyOf(knotes, cap);
        }
        siftUp(size++, deadline, kn);
    }

    /** Cancels {@code kn}'s pending callout, if any. */
    void remove(KnoteImpl kn) {
        if (!kn.calloutPending) {
            return;
        }
        kn.calloutPending = false;
        if (++stale >= MIN_REBUILD && stale > size - stale) {
            rebuild();
        }
    }

    /** Live entries. */
    int live() {
        return size - stale;
    }

    /** Whether a live callout is pending; discards stale entries on top. */
    boolean hasLive() {
        while (size > 0 && !isLive(0)) {
            stale = Math.max(0, stale - 1);
            removeTop();
        }
        return size > 0;
    }

    /** The earliest deadline; only after {@link #hasLive()} returned true. */
    long earliest() {
        return when[0];
    }

    /** Takes the earliest callout's knote; only after {@link #hasLive()} returned true. */
    KnoteImpl pop() {
        KnoteImpl kn = knotes[0];
        kn.calloutPending = false;
        removeTop();
        return kn;
    }

    private boolean isLive(int i) {
        return knotes[i].calloutPending && knotes[i].calloutTime == when[i];
    }

    private void removeTop() {
        int last = --size;
        long w = when[last];
        KnoteImpl kn = knotes[last];
        knotes[last] = null;
        if (last > 0) {
            siftDown(0, w, kn);
        }
        if (size < when.length >> 2 && when.length > MIN_SHRINK) {
            // a burst of due callouts leaves no arrays of its size behind
            when = Arrays.copyOf(when, when.length >> 1);
            knotes = Arrays.copyOf(knotes, knotes.length >> 1);
        }
    }

    private void siftUp(int i, long w, KnoteImpl kn) {
        while (i > 0) {
            int parent = (i - 1) >>> 2;
            if (when[parent] <= w) {
                break;
            }
            move(parent, i);
            i = parent;
        }
        put(i, w, kn);
    }

    private void siftDown(int i, long w, KnoteImpl kn) {
        for (;;) {
            int first = 4 * i + 1;
            if (first >= size) {
                break;
            }
            int min = first;
            int end = Math.min(first + 4, size);
            for (int c = first + 1; c < end; c++) {
                if (when[c] < when[min]) {
                    min = c;
                }
            }
            if (w <= when[min]) {
                break;
            }
            move(min, i);
            i = min;
        }
        put(i, w, kn);
    }

    private void move(int from, int to) {
        when[to] = when[from];
        knotes[to] = knotes[from];
    }

    private void put(int i, long w, KnoteImpl kn) {
        when[i] = w;
        knotes[i] = kn;
    }

    /** Drops every stale entry and restores the heap order (Floyd's heapify). */
    private void rebuild() {
        int n = 0;
        for (int i = 0; i < size; i++) {
            if (isLive(i)) {
                move(i, n++);
            }
        }
        Arrays.fill(knotes, n, size, null);
        size = n;
        stale = 0;
        for (int i = (n - 2) >>> 2; n > 1 && i >= 0; i--) {
            siftDown(i, when[i], knotes[i]);
        }
    }
}
