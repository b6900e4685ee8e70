package io.jkqueue.spi;

import io.jkqueue.KQueueException;
import io.jkqueue.core.FilterTable;

/**
 * The filter table (FreeBSD's {@code sysfilt_ops}): a filter number maps to
 * its {@link FilterOps}. Numbers run from -1 down to {@link #MIN_FILTER};
 * -1..-13 are FreeBSD's EVFILT_* and the rest are free for Java event sources.
 */
public final class Filters {
    private Filters() {}

    /** The lowest filter number the table has room for. */
    public static final int MIN_FILTER = FilterTable.MIN_FILTER;

    /**
     * kqueue_add_filteropts: installs {@code ops} as filter {@code filter}.
     *
     * @param filter a free number, -14 to {@link #MIN_FILTER}
     * @param ops    the filter
     * @throws KQueueException EINVAL out of range, EEXIST when the number is taken
     */
    public static void add(int filter, FilterOps ops) throws KQueueException {
        FilterTable.add(filter, ops);
    }

    /**
     * kqueue_del_filteropts: removes filter {@code filter}.
     *
     * @param filter the number it was installed under
     * @throws KQueueException EINVAL when it is not installed, EBUSY while knotes of it exist
     */
    public static void delete(int filter) throws KQueueException {
        FilterTable.delete(filter);
    }
}
