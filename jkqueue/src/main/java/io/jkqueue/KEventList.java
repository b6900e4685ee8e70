package io.jkqueue;

import io.jkqueue.core.KnoteImpl;

import java.util.Arrays;

/**
 * A reusable, flat list of kevents: one primitive array per field, so that a
 * steady-state kevent call allocates nothing. As a change list it is read from
 * index 0 to {@link #size()}; as an event list kevent writes from index 0 and
 * sets {@link #size()} to the count, and {@link #capacity()} is nevents.
 *
 * <p>The data of a READ or WRITE event on a level-triggered descriptor that
 * epoll has just reported ready (bytes readable, connections pending, space
 * to write) is measured when {@link #data(int)} (or {@link #get(int)}) first
 * reads it, and kept: a program that never reads it costs no syscall.
 */
public final class KEventList {
    static {
        KnoteImpl.setDeferredEntries(KEventList::defer);
    }

    private long[] ident;
    private int[] filter;
    private int[] flags;
    private int[] fflags;
    private long[] data;
    private Object[] udata;
    private KnoteImpl.LazyData[] lazy;   // created with the first deferred entry; non-null lazy[i]: data[i] is yet to be measured
    private int size;

    /**
     * An empty list with room for {@code capacity} entries.
     *
     * @param capacity nevents, as an event list
     * @throws IllegalArgumentException for a negative capacity
     */
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

    /**
     * How many entries there is room for: nevents when kevent writes to it.
     *
     * @return the capacity
     */
    public int capacity() {
        return ident.length;
    }

    /**
     * How many entries are in use: the changes to read, or the events kevent wrote.
     *
     * @return the size
     */
    public int size() {
        return size;
    }

    /** Empties the list; udata references are dropped so they can be collected. */
    public void clear() {
        Arrays.fill(udata, 0, size, null);
        if (lazy != null) {
            Arrays.fill(lazy, 0, size, null);
        }
        size = 0;
    }

    /**
     * Appends an entry (EV_SET at the end), growing the list when full.
     *
     * @param ident  what the filter watches
     * @param filter an {@code EVFILT_*} constant or a Java event source's number
     * @param flags  {@code EV_*} actions and flags
     * @param fflags the filter's {@code NOTE_*} flags
     * @param data   the filter's value
     * @param udata  returned with the event
     * @return its index
     */
    public int add(long ident, int filter, int flags, int fflags, long data, Object udata) {
        if (size == capacity()) {
            grow(Math.max(8, capacity() * 2));
        }
        int i = size++;
        set(i, ident, filter, flags, fflags, data, udata);
        return i;
    }

    /**
     * Appends a copy of {@code ev}.
     *
     * @param ev the kevent to copy
     * @return its index
     */
    public int add(KEvent ev) {
        return add(ev.ident(), ev.filter(), ev.flags(), ev.fflags(), ev.data(), ev.udata());
    }

    /**
     * Overwrites entry {@code i}; does not change the size.
     *
     * @param i      the index, 0 &lt;= i &lt; capacity
     * @param ident  what the filter watches
     * @param filter an {@code EVFILT_*} constant or a Java event source's number
     * @param flags  {@code EV_*} actions and flags
     * @param fflags the filter's {@code NOTE_*} flags
     * @param data   the filter's value
     * @param udata  returned with the event
     */
    public void set(int i, long ident, int filter, int flags, int fflags, long data, Object udata) {
        this.ident[i] = ident;
        this.filter[i] = filter;
        this.flags[i] = flags;
        this.fflags[i] = fflags;
        this.data[i] = data;
        this.udata[i] = udata;
        if (lazy != null) {
            lazy[i] = null;
        }
    }

    /** For the scan: entry {@code i}, just written, has its data measured by {@code m} on first read. */
    private static void defer(KEventList list, int i, KnoteImpl.LazyData m) {
        if (list.lazy == null) {
            list.lazy = new KnoteImpl.LazyData[list.capacity()];   // once per list
        }
        list.lazy[i] = m;
    }

    /**
     * Sets the size, as kevent does after writing n events; udata past it is dropped.
     *
     * @param n the new size, 0 &lt;= n &lt;= capacity
     * @throws IndexOutOfBoundsException for n out of that range
     */
    public void setSize(int n) {
        if (n < 0 || n > capacity()) {
            throw new IndexOutOfBoundsException(n);
        }
        if (n < size) {
            Arrays.fill(udata, n, size, null);
            if (lazy != null) {
                Arrays.fill(lazy, n, size, null);
            }
        }
        size = n;
    }

    /**
     * Entry {@code i}'s ident.
     *
     * @param i the index
     * @return what the filter watches
     */
    public long ident(int i) {
        return ident[i];
    }

    /**
     * Entry {@code i}'s filter.
     *
     * @param i the index
     * @return an {@code EVFILT_*} constant or a Java event source's number
     */
    public int filter(int i) {
        return filter[i];
    }

    /**
     * Entry {@code i}'s flags.
     *
     * @param i the index
     * @return its {@code EV_*} bits
     */
    public int flags(int i) {
        return flags[i];
    }

    /**
     * Entry {@code i}'s fflags.
     *
     * @param i the index
     * @return the filter's {@code NOTE_*} bits
     */
    public int fflags(int i) {
        return fflags[i];
    }

    /**
     * Entry {@code i}'s data.
     *
     * @param i the index
     * @return the filter's value (an errno with EV_ERROR); for an event whose
     *         data was left to be measured (see above), the value on first
     *         read, and 0 if the descriptor was closed before
     */
    public long data(int i) {
        KnoteImpl.LazyData m = lazy != null ? lazy[i] : null;
        if (m != null) {
            lazy[i] = null;
            data[i] = m.measureData(filter[i]);
        }
        return data[i];
    }

    /**
     * Entry {@code i}'s udata.
     *
     * @param i the index
     * @return the object given with the change
     */
    public Object udata(int i) {
        return udata[i];
    }

    /**
     * A copy of entry {@code i}, for convenience (it allocates).
     *
     * @param i the index
     * @return the entry as a KEvent
     */
    public KEvent get(int i) {
        return new KEvent(ident[i], filter[i], flags[i], fflags[i], data(i), udata[i]);
    }

    private void grow(int capacity) {
        ident = Arrays.copyOf(ident, capacity);
        filter = Arrays.copyOf(filter, capacity);
        flags = Arrays.copyOf(flags, capacity);
        fflags = Arrays.copyOf(fflags, capacity);
        data = Arrays.copyOf(data, capacity);
        udata = Arrays.copyOf(udata, capacity);
        if (lazy != null) {
            lazy = Arrays.copyOf(lazy, capacity);
        }
    }

    /**
     * The entries in use, each as {@link KEvent#toString()} prints it.
     *
     * @return {@code [KEvent{...}, ...]}
     */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < size; i++) {
            sb.append(i == 0 ? "" : ", ").append(get(i));
        }
        return sb.append(']').toString();
    }
}
