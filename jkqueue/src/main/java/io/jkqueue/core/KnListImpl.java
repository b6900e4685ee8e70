package io.jkqueue.core;

import io.jkqueue.spi.KnList;
import io.jkqueue.spi.Knote;

/** Placeholder. */
public final class KnListImpl implements KnList {
    public void add(Knote kn) {}
    public void remove(Knote kn) {}
    public boolean isEmpty() { return true; }
    public void knote(long hint) {}
    public void clear() {}
}
