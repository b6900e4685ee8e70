package io.jkqueue.core;

import io.jkqueue.KEvent;
import io.jkqueue.spi.FilterOps;
import io.jkqueue.spi.Knote;

import java.util.Arrays;

/**
 * A kqueue's EVFILT_TIMER knotes that only wait for their callout, kept as
 * rows instead of knote objects. A new timer whose attach left it with
 * nothing but a callout on the callwheel (no event yet, not disabled, no
 * other thread at it) is folded into a row ({@link Softclock#fold}); when
 * its callout comes due, or a change names it, the row is revived as the
 * knote it was ({@link #revive}): the same fields, the same callout, the
 * same place in the table. A million pending timers so cost a million rows
 * of 56 bytes, not a million knotes of 128 for the collector to copy. Only
 * the timer filter's knotes fold: it keeps no reference to them, so a
 * revived knote is as good as the one folded.
 *
 * <p>A row is six longs in a page of {@link #PAGE_ROWS} rows (so that what
 * a revive reads shares a cache line, and no array grows into the heap's
 * humongous objects), its udata in a page of its own, and a slot's chain in
 * a hash by ident. Each callwheel bucket has a list of rows, as it has one
 * of knotes linked through c_links ({@link #first}, {@link #next}); a
 * bucket that holds rows takes new ones as many at a time as it holds, up
 * to {@link #CHUNK_ROWS}, side by side (its chunk), so that softclock's walk
 * of a busy bucket reads memory in order instead of missing the cache once
 * per row, while a thin one reserves no more rows than it uses. Once
 * three quarters of the rows taken are free again, the rows in use move
 * down and the pages above them go ({@link #compactIfSparse}), so that a
 * burst of timers leaves no pages behind.
 * Guarded by the kq lock.
 */
final class TimerRows {
    private static final int PAGE_SHIFT = 12;
    static final int PAGE_ROWS = 1 << PAGE_SHIFT;
    private static final int PAGE_MASK = PAGE_ROWS - 1;
    // a row's longs
    private static final int IDENT = 0;
    private static final int SDATA = 1;
    private static final int HOOKID = 2;
    private static final int WHEN = 3;     // the pending callout's deadline
    private static final int LINKS = 4;    // callwheel bucket: next << 32 | prev (-1: none); a free row: next free
    private static final int FLAGS = 5;    // (kn_sfflags << 16 | kn_flags) << 32 | the hash chain's next
    private static final int STRIDE = 6;
    private static final int CHUNK_ROWS = 16;   // rows taken at once for one bucket
    private static final long HIGH = -1L << 32;
    private static final long FREE = HIGH;        // FLAGS of a free row; a row in use has FLAGS >= 0

    private final KqueueImpl kq;
    private FilterOps fop;        // the timer filter, and its callout: every row's
    private Knote.Callout fn;

    private long[][] pages = new long[0][];
    private Object[][] udata = new Object[0][];
    private int[] hashHead = new int[0];   // by ident, at least as many slots as rows
    private int[] heads;          // per callwheel bucket: its first row, -1 for none; null until the first
    private int[] bucketRows;     // per callwheel bucket: how many rows it holds
    private boolean scatter;      // as KnoteTable's: idents chained up under the folding hash
    private int used;             // rows ever taken or held in a chunk (the free ones chained from freeRow or in a chunk)
    private int freeRow = -1;
    private int live;
    private int[] chunkNext;      // per callwheel bucket: the next row of its chunk, null until the first
    private int[] chunkEnd;       // per callwheel bucket: the end of its chunk (chunkNext == chunkEnd: none)

    TimerRows(KqueueImpl kq) {
        this.kq = kq;
    }

    /** Rows in use. */
    int live() {
        return live;
    }

    /** Rows taken: in use, freed, or held in a chunk (for tests). */
    int taken() {
        return used;
    }

    /**
     * Whether {@code kn}, a new knote with its callout on the callwheel, is
     * a timer with nothing else to keep: no event, not disabled or queued,
     * nobody else at it, its flags and sfflags within 16 bits (15 for sfflags).
     */
    boolean canFold(KnoteImpl kn) {
        return kn.filter == KEvent.EVFILT_TIMER && kn.getClass() == KnoteImpl.class && kn.influx == 1
                && kn.status == 0 && kn.data == 0 && kn.fflags == 0 && kn.knlist == null && kn.hook == null
                && (kn.flags & ~0xFFFF) == 0 && (kn.sfflags & ~0x7FFF) == 0
                && (fn == null || kn.callout == fn && kn.fop == fop);
    }

    /** Copies {@code kn} (see {@link #canFold}) into a new row, not yet on the wheel; its table entry goes. */
    int fold(KnoteImpl kn) {
        assert kq.ownsLock() && canFold(kn) : kn;
        fop = kn.fop;
        fn = kn.callout;
        int r = take(Callwheel.bucket(kn.calloutTime));
        long[] p = pages[r >>> PAGE_SHIFT];
        int o = (r & PAGE_MASK) * STRIDE;
        p[o + IDENT] = kn.ident;
        p[o + SDATA] = kn.sdata;
        p[o + HOOKID] = kn.hookId;
        p[o + WHEN] = kn.calloutTime;
        int slot = slot(kn.ident);
        int chain = hashHead[slot];
        p[o + FLAGS] = (long) (kn.sfflags << 16 | kn.flags) << 32 | chain & 0xFFFFFFFFL;
        hashHead[slot] = r;
        udata[r >>> PAGE_SHIFT][r & PAGE_MASK] = kn.udata;
        kq.table.remove(kn);
        if (chain >= 0 && !scatter && isLongChain(r)) {
            scatter = true;
            rehash(hashHead.length);
        }
        return r;
    }

    /** Whether the ident hash scatters (for tests). */
    boolean scatters() {
        return scatter;
    }

    /** Whether the hash chain from row {@code r} has {@link KnoteTable#LONG_CHAIN} rows. */
    private boolean isLongChain(int r) {
        int n = 1;
        for (int q = (int) get(r, FLAGS); q >= 0 && n < KnoteTable.LONG_CHAIN; q = (int) get(q, FLAGS)) {
            n++;
        }
        return n == KnoteTable.LONG_CHAIN;
    }

    /** The first row of callwheel bucket {@code b}, or -1. */
    int first(int b) {
        return heads == null ? -1 : heads[b];
    }

    /** Puts row {@code r} at the head of bucket {@code b}'s list. */
    void link(int r, int b) {
        if (heads == null) {
            heads = new int[Callwheel.CALLWHEEL_SIZE];
            Arrays.fill(heads, -1);
            bucketRows = new int[Callwheel.CALLWHEEL_SIZE];
        }
        bucketRows[b]++;
        int first = heads[b];
        setLinks(r, first, -1);
        if (first >= 0) {
            setPrev(first, r);
        }
        heads[b] = r;
    }

    /** Takes row {@code r} off bucket {@code b}'s list. */
    void unlink(int r, int b) {
        bucketRows[b]--;
        int prev = prev(r);
        int next = next(r);
        if (prev >= 0) {
            setNext(prev, next);
        } else {
            heads[b] = next;
        }
        if (next >= 0) {
            setPrev(next, prev);
        }
    }

    /** The row of timer {@code id}, or -1. */
    int find(long id) {
        assert kq.ownsLock();
        if (live == 0) {
            return -1;
        }
        int r = hashHead[slot(id)];
        while (r >= 0 && get(r, IDENT) != id) {
            r = (int) get(r, FLAGS);
        }
        return r;
    }

    /**
     * The knote row {@code r} holds, back in the table with its callout
     * function, and the row freed; the caller puts the callout back at
     * {@link #when}, which it read before, and has taken the row off the wheel.
     */
    KnoteImpl revive(int r) {
        assert kq.ownsLock() && get(r, FLAGS) >= 0;
        long[] p = pages[r >>> PAGE_SHIFT];
        int o = (r & PAGE_MASK) * STRIDE;
        int f = (int) (p[o + FLAGS] >>> 32);
        KnoteImpl kn = new KnoteImpl(kq);
        kn.fop = fop;
        kn.ident = p[o + IDENT];
        kn.filter = (short) KEvent.EVFILT_TIMER;
        kn.flags = f & 0xFFFF;
        kn.sfflags = f >>> 16;
        kn.sdata = p[o + SDATA];
        kn.hookId = p[o + HOOKID];
        kn.udata = udata[r >>> PAGE_SHIFT][r & PAGE_MASK];
        kn.callout = fn;
        kq.table.insert(kn, null, 0, 0);
        release(r);
        return kn;
    }

    /** The deadline of row {@code r}'s callout. */
    long when(int r) {
        return get(r, WHEN);
    }

    /** The next row in r's callwheel bucket, or -1. */
    int next(int r) {
        return (int) (get(r, LINKS) >> 32);
    }

    private int prev(int r) {
        return (int) get(r, LINKS);
    }

    private void setLinks(int r, int next, int prev) {
        set(r, LINKS, (long) next << 32 | prev & 0xFFFFFFFFL);
    }

    private void setNext(int r, int next) {
        setLinks(r, next, prev(r));
    }

    private void setPrev(int r, int prev) {
        setLinks(r, next(r), prev);
    }

    /**
     * Once no more than a quarter of the rows taken are in use, moves those
     * above the first {@link #live} into the free ones below and lets the
     * pages above go. Row numbers change: not while a caller walks a bucket.
     */
    void compactIfSparse() {
        assert kq.ownsLock();
        if (used < 2 * PAGE_ROWS || live * 4 > used) {
            return;
        }
        int to = 0;
        for (int r = live; r < used; r++) {
            if (get(r, FLAGS) >= 0) {
                while (get(to, FLAGS) >= 0) {
                    to++;
                }
                move(r, to++);
            }
        }
        used = live;
        freeRow = -1;
        chunkNext = chunkEnd = null;   // the rows of every chunk were moved or let go
        int n = (used + PAGE_MASK) >>> PAGE_SHIFT;
        pages = Arrays.copyOf(pages, n);
        udata = Arrays.copyOf(udata, n);
        if (hashHead.length >= 4 * live) {
            rehash(Math.max(PAGE_ROWS, Integer.highestOneBit(live) * 2));
        }
    }

    /** Moves the row in use at {@code from} to the free row {@code to}: its bucket list and hash chain follow. */
    private void move(int from, int to) {
        System.arraycopy(pages[from >>> PAGE_SHIFT], (from & PAGE_MASK) * STRIDE,
                pages[to >>> PAGE_SHIFT], (to & PAGE_MASK) * STRIDE, STRIDE);
        udata[to >>> PAGE_SHIFT][to & PAGE_MASK] = udata[from >>> PAGE_SHIFT][from & PAGE_MASK];
        udata[from >>> PAGE_SHIFT][from & PAGE_MASK] = null;
        int prev = prev(to);
        int next = next(to);
        if (prev >= 0) {
            setNext(prev, to);
        } else {
            heads[Callwheel.bucket(when(to))] = to;
        }
        if (next >= 0) {
            setPrev(next, to);
        }
        relink(from, to);
    }

    private long get(int r, int field) {
        return pages[r >>> PAGE_SHIFT][(r & PAGE_MASK) * STRIDE + field];
    }

    private void set(int r, int field, long v) {
        pages[r >>> PAGE_SHIFT][(r & PAGE_MASK) * STRIDE + field] = v;
    }

    /** KnoteTable's hash: idents in a row take slots in a row, until a long chain turns it to scattering. */
    private int slot(long id) {
        return KnoteTable.hashSlot(id, scatter, hashHead.length - 1);
    }

    /**
     * A free row for a timer of callwheel bucket {@code b}: the next of the
     * bucket's chunk, else a freed one, else a new one; a bucket that
     * already has rows gets a new chunk of as many (up to {@link #CHUNK_ROWS})
     * instead, so that softclock's walk of a busy bucket reads its rows side by side.
     */
    private int take(int b) {
        int r;
        if (chunkNext != null && chunkNext[b] < chunkEnd[b]) {
            r = chunkNext[b]++;
        } else if (freeRow >= 0) {
            r = freeRow;
            freeRow = next(r);
        } else {
            int n = heads == null ? 1 : Math.clamp(bucketRows[b], 1, CHUNK_ROWS);   // as many as it holds, up to a chunk
            grow(n);
            r = used;
            used += n;
            if (n > 1) {
                if (chunkNext == null) {
                    chunkNext = new int[Callwheel.CALLWHEEL_SIZE];
                    chunkEnd = new int[Callwheel.CALLWHEEL_SIZE];
                }
                chunkNext[b] = r + 1;
                chunkEnd[b] = used;
            }
        }
        if (++live > hashHead.length) {
            rehash(Math.max(PAGE_ROWS, hashHead.length * 2));
        }
        return r;
    }

    /** Pages for {@code n} rows more than {@link #used}, all free (not rows for rehash to chain). */
    private void grow(int n) {
        int pagesNeeded = (used + n + PAGE_MASK) >>> PAGE_SHIFT;
        for (int p = pages.length; p < pagesNeeded; p++) {
            pages = Arrays.copyOf(pages, p + 1);
            udata = Arrays.copyOf(udata, p + 1);
            pages[p] = new long[PAGE_ROWS * STRIDE];
            udata[p] = new Object[PAGE_ROWS];
        }
        for (int r = used; r < used + n; r++) {
            setLinks(r, -1, -1);
            set(r, FLAGS, FREE);
        }
    }

    /** Makes the hash chain link that names row {@code from} name {@code to} instead. */
    private void relink(int from, int to) {
        int slot = slot(get(from, IDENT));
        if (hashHead[slot] == from) {
            hashHead[slot] = to;
            return;
        }
        int p = hashHead[slot];
        int q;
        while ((q = (int) get(p, FLAGS)) != from) {
            p = q;
        }
        set(p, FLAGS, get(p, FLAGS) & HIGH | to & 0xFFFFFFFFL);
    }

    private void release(int r) {
        relink(r, (int) get(r, FLAGS));   // out of its hash chain
        udata[r >>> PAGE_SHIFT][r & PAGE_MASK] = null;
        set(r, FLAGS, FREE);
        if (--live == 0) {   // the last one: a burst of timers leaves no pages behind
            pages = new long[0][];
            udata = new Object[0][];
            hashHead = new int[0];
            heads = null;
            bucketRows = null;
            chunkNext = chunkEnd = null;
            scatter = false;
            used = 0;
            freeRow = -1;
            return;
        }
        setLinks(r, freeRow, -1);
        freeRow = r;
    }

    /** Rehashes the rows in use into {@code size} slots. */
    private void rehash(int size) {
        hashHead = new int[size];
        Arrays.fill(hashHead, -1);
        for (int r = 0; r < used; r++) {
            long f = get(r, FLAGS);
            if (f >= 0) {
                int slot = slot(get(r, IDENT));
                set(r, FLAGS, f & HIGH | hashHead[slot] & 0xFFFFFFFFL);
                hashHead[slot] = r;
            }
        }
    }
}
