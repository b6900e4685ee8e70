package io.jkqueue.core;

import io.jkqueue.Errno;
import io.jkqueue.KEvent;
import io.jkqueue.KQueueException;
import io.jkqueue.spi.FilterOps;
import io.jkqueue.spi.Knote;

import java.util.function.Predicate;

/**
 * sysfilt_ops: filter number to FilterOps. Slots -1..-13 are FreeBSD's; an
 * unimplemented one holds {@link #NULL_FILTOPS} (attach fails ENXIO). Slots
 * below are free for Java event sources; an empty one is an unknown filter
 * (EINVAL). System filters are never refcounted (for_nolock); added ones are,
 * so that delete can answer EBUSY. The core knows the system filters by
 * number only: their ops are installed by whoever boots jkqueue (the
 * filters' SystemFilters, as the seed's "make SYSINIT to add these"); until
 * then their slots are taken but attach fails ENXIO.
 */
public final class FilterTable {
    private FilterTable() {}

    public static final int MIN_FILTER = -64;

    /** null_filtops: the slot of a filter that cannot be registered directly. */
    static final FilterOps NULL_FILTOPS = new FilterOps() {
        @Override public boolean isFd() { return false; }
        @Override public int attach(Knote kn) { return Errno.ENXIO.code(); }
        @Override public void detach(Knote kn) { }
        @Override public boolean event(Knote kn, long hint) { return false; }
    };

    /** file_filtops: the descriptor decides the filter ops at attach (filt_fileattach). */
    private static final FilterOps FILE_FILTOPS = new FilterOps() {
        @Override public boolean isFd() { return true; }
        @Override public int attach(Knote kn) { return KqFile.attach((KnoteImpl) kn); }
        @Override public void detach(Knote kn) { }
        @Override public boolean event(Knote kn, long hint) { return false; }
    };

    private static final FilterOps[] OPS = new FilterOps[-MIN_FILTER];
    private static final FilterOps[] FILE_OPS = new FilterOps[KEvent.EVFILT_SYSCOUNT];
    private static final boolean[] NOLOCK = new boolean[-MIN_FILTER];
    private static final int[] REFCNT = new int[-MIN_FILTER];

    static {
        for (int i = 0; i < KEvent.EVFILT_SYSCOUNT; i++) {
            OPS[i] = NULL_FILTOPS;
        }
        for (int filter : new int[] {KEvent.EVFILT_READ, KEvent.EVFILT_WRITE, KEvent.EVFILT_VNODE,
                KEvent.EVFILT_EMPTY, KEvent.EVFILT_PROCDESC}) {
            OPS[~filter] = FILE_FILTOPS;
            NOLOCK[~filter] = true;
        }
        for (int filter : new int[] {KEvent.EVFILT_USER, KEvent.EVFILT_TIMER, KEvent.EVFILT_SIGNAL,
                KEvent.EVFILT_PROC, KEvent.EVFILT_FS}) {
            NOLOCK[~filter] = true;   // a system filter's slot, never Filters.add's
        }
    }

    /** Installs system filter {@code filter}'s ops (an entry of sysfilt_ops), at boot. */
    public static synchronized void installSystem(int filter, FilterOps ops) {
        OPS[~filter] = ops;
    }

    /**
     * Installs the ops of ordinary descriptors under file filter number
     * {@code filter}, as fo_kqfilter picks them per file type (kqueue
     * descriptors are the core's), at boot.
     */
    public static synchronized void installFile(int filter, FilterOps ops) {
        FILE_OPS[~filter] = ops;
    }

    /**
     * Installs the fo_kqfilter of a file type that takes its own filters
     * only (a process descriptor's procdesc_kqfilter): {@code ops} attaches
     * every file knote whose descriptor {@code isOfType} recognises, at boot.
     */
    public static synchronized void installFileType(Predicate<Knote> isOfType, FilterOps ops) {
        fileType = new FileType(isOfType, ops);
    }

    private record FileType(Predicate<Knote> isOfType, FilterOps ops) {}

    private static volatile FileType fileType;

    /** fo_kqfilter: the filter ops for file knote {@code kn} by what its descriptor is, or null. */
    static FilterOps fileOps(KnoteImpl kn) {
        FileType t = fileType;
        if (t != null && t.isOfType.test(kn)) {
            return t.ops;
        }
        return FILE_OPS[~kn.filter];
    }

    private static boolean outOfRange(int filter) {
        return filter >= 0 || filter < MIN_FILTER;
    }

    /** kqueue_fo_find: the ops for {@code filter}, referenced; null for an unknown filter. */
    static FilterOps find(int filter) {
        if (outOfRange(filter)) {
            return null;
        }
        int slot = ~filter;
        if (NOLOCK[slot]) {
            return OPS[slot];
        }
        synchronized (OPS) {
            FilterOps ops = OPS[slot];
            if (ops != null) {
                REFCNT[slot]++;
            }
            return ops;
        }
    }

    /** kqueue_fo_release. */
    static void release(int filter) {
        if (outOfRange(filter) || NOLOCK[~filter]) {
            return;
        }
        synchronized (OPS) {
            REFCNT[~filter]--;
        }
    }

    /** kqueue_add_filteropts. */
    public static void add(int filter, FilterOps ops) throws KQueueException {
        if (outOfRange(filter)) {
            throw new KQueueException(Errno.EINVAL, "filter " + KEvent.filterName(filter) + " is out of range [" + MIN_FILTER + ", -1]");
        }
        synchronized (OPS) {
            int slot = ~filter;
            if (OPS[slot] != null && OPS[slot] != NULL_FILTOPS || NOLOCK[slot]) {
                throw new KQueueException(Errno.EEXIST, "filter " + KEvent.filterName(filter) + " is already installed");
            }
            OPS[slot] = ops;
            REFCNT[slot] = 0;
        }
    }

    /** kqueue_del_filteropts. */
    public static void delete(int filter) throws KQueueException {
        if (outOfRange(filter)) {
            throw new KQueueException(Errno.EINVAL, "filter " + KEvent.filterName(filter) + " is out of range [" + MIN_FILTER + ", -1]");
        }
        synchronized (OPS) {
            int slot = ~filter;
            if (OPS[slot] == null || OPS[slot] == NULL_FILTOPS || NOLOCK[slot]) {
                throw new KQueueException(Errno.EINVAL, "filter " + KEvent.filterName(filter) + " is not an installed filter");
            }
            if (REFCNT[slot] != 0) {
                throw new KQueueException(Errno.EBUSY, "filter " + KEvent.filterName(filter) + " has " + REFCNT[slot] + " knotes");
            }
            OPS[slot] = slot < KEvent.EVFILT_SYSCOUNT ? NULL_FILTOPS : null;
            REFCNT[slot] = 0;
        }
    }
}
