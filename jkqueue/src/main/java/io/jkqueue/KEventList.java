package io.jkqueue;

import java.util.Arrays;

/**
 * A reusable, flat list of kevents: one primitive array per field, so that a
 * steady-state kevent call allocates nothing. As a change list it is read from
 * index 0 to {@link #size()}; as an event list kevent writes from index 0 and
 * sets {@link #size()} to the count, and {@link #capacity()} is nevents.
 */
public final class KEventList {
    private long[] ident;
    private int[] filter;
    private int[] flags;
    private int[] fflags;
    private long[] data;
    private Object[] udata;
    private int size;

    public KEventList(int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("capacity " + capacity);
        }
        ident = new long[capacity];
        filter = new int[capacity];
        flags = new int[capacity];
        fflags = new int[capacity];
        data = new long[capacity];
        udata = new Object[capacity];
    }

    public int capacity() {
        return ident.length;
    }

    public int size() {
        return size;
    }

    /** Empties the list; udata references are dropped so they can be collected. */
    public void clear() {
        Arrays.fill(udata, 0, size, null);
        size = 0;
    }

    /** Appends an entry, growing the list when full; returns its index. */
    public int add(long ident, int filter, int flags, int fflags, long data, Object udata) {
        if (size == capacity()) {
            grow(Math.max(8, capacity() * 2));
        }
        int i = size++;
        set(i, ident, filter, flags, fflags, data, udata);
        return i;
    }

    /** Appends a copy of {@code ev}; returns its index. */
    public int add(KEvent ev) {
        return add(ev.ident(), ev.filter(), ev.flags(), ev.fflags(), ev.data(), ev.udata());
    }

    /** Overwrites entry {@code i} (0 &lt;= i &lt; capacity); does not change the size. */
    public void set(int i, long ident, int filter, int flags, int fflags, long data, Object udata) {
        this.ident[i] = ident;
        this.filter[i] = filter;
        this.flags[i] = flags;
        this.fflags[i] = fflags;
        this.data[i] = data;
        this.udata[i] = udata;
    }

    /** Sets the size to {@code n} (0 &lt;= n &lt;= capacity), as kevent does after writing n events. */
    public void setSize(int n) {
        if (n < 0 || n > capacity()) {
            throw new IndexOutOfBoundsException(n);
        }
        if (n < size) {
            Arrays.fill(udata, n, size, null);
        }
        size = n;
    }

    public long ident(int i) {
        return ident[i];
    }

    public int filter(int i) {
        return filter[i];
    }

    public int flags(int i) {
        return flags[i];
    }

    public int fflags(int i) {
        return fflags[i];
    }

    public long data(int i) {
        return data[i];
    }

    public Object udata(int i) {
        return udata[i];
    }

    /** A copy of entry {@code i}, for convenience. */
    public KEvent get(int i) {
        return new KEvent(ident[i], filter[i], flags[i], fflags[i], data[i], udata[i]);
    }

    private void grow(int capacity) {
        ident = Arrays.copyOf(ident, capacity);
        filter = Arrays.copyOf(filter, capacity);
        flags = Arrays.copyOf(flags, capacity);
        fflags = Arrays.copyOf(fflags, capacity);
        data = Arrays.copyOf(data, capacity);
        udata = Arrays.copyOf(udata, capacity);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < size; i++) {
            sb.append(i == 0 ? "" : ", ").append(get(i));
        }
        return sb.append(']').toString();
    }
}
