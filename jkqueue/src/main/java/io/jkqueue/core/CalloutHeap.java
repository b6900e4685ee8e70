package io.jkqueue.core;

import java.util.Arrays;

/**
 * The near-term callouts of a kqueue's {@link Callwheel}: a 4-ary min-heap of
 * (deadline, knote) in parallel arrays, so that sifting never touches a
 * knote, and beside it a run: the callouts of the ticks softclock moved off
 * the wheel, each tick's sorted by deadline as it came ({@link #addToBatch},
 * {@link #endBatch}) and taken from the front, so that a tick of a thousand
 * timers costs a sort and a read each instead of a push and a pop through
 * the heap. The earlier of the two fronts comes first. A stop is lazy: an
 * entry is live while its knote has a near-term callout pending at the
 * entry's deadline (kn.calloutTime), and a stale entry is discarded when it
 * surfaces, or in a rebuild once stale entries outnumber live ones (so a
 * dropped knote is not kept reachable for long). A knote rescheduled at the
 * very deadline it had leaves a stale twin that looks live: whichever
 * surfaces first runs the callout, which ends both.
 * Guarded by the kq lock.
 */
final class CalloutHeap {
    private static final int MIN_REBUILD = 1024;
    private static final int MIN_SHRINK = 1024;

    private static final int INDEX_BITS = 24;   // a batch's sort key: its deadline's offset, then its index

    private long[] when = new long[16];
    private KnoteImpl[] knotes = new KnoteImpl[16];
    private int size;    // heap entries, live and stale
    private int stale;   // at most this many entries of the heap and the run are stale (a twin is counted once)

    private long[] runWhen = new long[16];   // the run: [runHead, runEnd) in deadline order, then a batch being added
    private KnoteImpl[] runKnotes = new KnoteImpl[16];
    private int runHead;
    private int runEnd;
    private int batchEnd;   // the batch being added: [runEnd, batchEnd)
    private int runPeak;    // the most the run held since it was last empty
    private long[] sortKeys = new long[16];
    private KnoteImpl[] sortKnotes = new KnoteImpl[16];

    /** Schedules {@code kn} at {@code deadline}, replacing its pending callout if any. */
    void schedule(KnoteImpl kn, long deadline) {
        pending(kn, deadline);
        push(kn, deadline);
    }

    private void push(KnoteImpl kn, long deadline) {
        if (size == when.length) {
            int cap = size * 2;
            when = Arrays.copyOf(when, cap);
            knotes = Arrays.copyOf(knotes, cap);
        }
        siftUp(size++, deadline, kn);
    }

    /** Marks {@code kn}'s callout pending at {@code deadline}; an entry it had goes stale. */
    private void pending(KnoteImpl kn, long deadline) {
        if (kn.calloutPending) {
            stale++;
        }
        kn.calloutPending = true;
        kn.calloutTime = deadline;
    }

    /**
     * Schedules {@code kn} at {@code deadline} as one of a batch (the
     * callouts of a tick leaving the wheel), which {@link #endBatch} sorts
     * onto the run; until then the batch is not looked at.
     */
    void addToBatch(KnoteImpl kn, long deadline) {
        pending(kn, deadline);
        if (batchEnd == runWhen.length) {
            if (runHead > 0) {   // the front taken so far makes room
                int n = batchEnd - runHead;
                System.arraycopy(runWhen, runHead, runWhen, 0, n);
                System.arraycopy(runKnotes, runHead, runKnotes, 0, n);
                Arrays.fill(runKnotes, n, batchEnd, null);
                runEnd -= runHead;
                batchEnd = n;
                runHead = 0;
            } else {
                runWhen = Arrays.copyOf(runWhen, batchEnd * 2);
                runKnotes = Arrays.copyOf(runKnotes, batchEnd * 2);
            }
        }
        runWhen[batchEnd] = deadline;
        runKnotes[batchEnd++] = kn;
    }

    /**
     * Sorts the batch by deadline and appends it to the run when it comes
     * after all the run holds (a later tick than any before it); otherwise
     * (the ticks of a whole turn of the wheel, moved bucket by bucket) its
     * entries go onto the heap.
     */
    void endBatch() {
        int from = runEnd;
        int n = batchEnd - from;
        if (n == 0) {
            return;
        }
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (int i = from; i < batchEnd; i++) {
            min = Math.min(min, runWhen[i]);
            max = Math.max(max, runWhen[i]);
        }
        boolean inOrder = runHead == runEnd || runWhen[runEnd - 1] <= min;
        if (!inOrder || n >= 1 << INDEX_BITS || max - min >= 1L << (63 - INDEX_BITS) || max - min < 0) {
            batchEnd = runEnd;
            for (int i = from; i < from + n; i++) {
                KnoteImpl kn = runKnotes[i];
                runKnotes[i] = null;
                if (isLive(kn, runWhen[i])) {
                    push(kn, runWhen[i]);
                } else {
                    stale = Math.max(0, stale - 1);
                }
            }
            return;
        }
        sortBatch(from, n, min);
        runEnd = batchEnd;
        runPeak = Math.max(runPeak, runEnd - runHead);
    }

    /** Sorts the batch's n entries from {@code from} by deadline: keys of offset and index, then a gather. */
    private void sortBatch(int from, int n, long min) {
        if (sortKeys.length < n) {
            sortKeys = new long[Math.max(n, sortKeys.length * 2)];
        }
        boolean sorted = true;
        for (int i = 0; i < n; i++) {
            sortKeys[i] = (runWhen[from + i] - min) << INDEX_BITS | i;
            sorted &= i == 0 || sortKeys[i - 1] <= sortKeys[i];
        }
        if (sorted) {
            return;
        }
        Arrays.sort(sortKeys, 0, n);
        if (sortKnotes.length < n) {
            sortKnotes = new KnoteImpl[sortKeys.length];
        }
        System.arraycopy(runKnotes, from, sortKnotes, 0, n);
        for (int i = 0; i < n; i++) {
            int j = (int) (sortKeys[i] & ((1 << INDEX_BITS) - 1));
            runWhen[from + i] = min + (sortKeys[i] >>> INDEX_BITS);
            runKnotes[from + i] = sortKnotes[j];
        }
        Arrays.fill(sortKnotes, 0, n, null);
    }

    /** Cancels {@code kn}'s pending callout, if any. */
    void remove(KnoteImpl kn) {
        if (!kn.calloutPending) {
            return;
        }
        kn.calloutPending = false;
        if (++stale >= MIN_REBUILD && stale > live() && batchEnd == runEnd) {
            rebuild();
        }
    }

    /** Live entries. */
    int live() {
        return size + runEnd - runHead - stale;
    }

    /** Whether a live callout is pending; discards stale entries on top of the heap and at the run's front. */
    boolean hasLive() {
        assert batchEnd == runEnd : "a batch is open";
        while (size > 0 && !isLive(knotes[0], when[0])) {
            stale = Math.max(0, stale - 1);
            removeTop();
        }
        while (runHead < runEnd && !isLive(runKnotes[runHead], runWhen[runHead])) {
            stale = Math.max(0, stale - 1);
            takeRunFront();
        }
        return size > 0 || runHead < runEnd;
    }

    /** The earliest deadline; only after {@link #hasLive()} returned true. */
    long earliest() {
        return runFirst() ? runWhen[runHead] : when[0];
    }

    /** Takes the earliest callout's knote; only after {@link #hasLive()} returned true. */
    KnoteImpl pop() {
        KnoteImpl kn;
        if (runFirst()) {
            kn = runKnotes[runHead];
            takeRunFront();
        } else {
            kn = knotes[0];
            removeTop();
        }
        kn.calloutPending = false;
        return kn;
    }

    /** Whether the run's front comes before the heap's top (both live). */
    private boolean runFirst() {
        return runHead < runEnd && (size == 0 || runWhen[runHead] < when[0]);
    }

    private void takeRunFront() {
        runKnotes[runHead++] = null;
        if (runHead == runEnd) {
            runHead = runEnd = batchEnd = 0;
            if (runWhen.length > MIN_SHRINK && runPeak < runWhen.length >> 2) {
                // a burst of due callouts leaves no arrays of its size behind
                int cap = runWhen.length >> 1;
                runWhen = new long[cap];
                runKnotes = new KnoteImpl[cap];
                sortKeys = new long[Math.min(sortKeys.length, cap)];
                sortKnotes = new KnoteImpl[Math.min(sortKnotes.length, cap)];
            }
            runPeak = 0;
        }
    }

    private static boolean isLive(KnoteImpl kn, long deadline) {
        return kn.calloutPending && kn.calloutTime == deadline;
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

    /** Drops every stale entry, keeping the run's order, and restores the heap order (Floyd's heapify). */
    private void rebuild() {
        int r = 0;
        for (int i = runHead; i < runEnd; i++) {
            if (isLive(runKnotes[i], runWhen[i])) {
                runWhen[r] = runWhen[i];
                runKnotes[r++] = runKnotes[i];
            }
        }
        Arrays.fill(runKnotes, r, runEnd, null);
        runHead = 0;
        runEnd = batchEnd = r;
        int n = 0;
        for (int i = 0; i < size; i++) {
            if (isLive(knotes[i], when[i])) {
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
