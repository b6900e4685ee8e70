package io.jkqueue.core;

import io.jkqueue.KQueueException;
import io.jkqueue.spi.FilterOps;

/** Placeholder. */
public final class FilterTable {
    public static final int MIN_FILTER = -64;
    public static void add(int filter, FilterOps ops) throws KQueueException { throw new UnsupportedOperationException(); }
    public static void delete(int filter) throws KQueueException { throw new UnsupportedOperationException(); }
}
