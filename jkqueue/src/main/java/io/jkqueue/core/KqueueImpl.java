package io.jkqueue.core;

import io.jkqueue.KEventList;
import io.jkqueue.KQueueException;

/** Placeholder: the port of kern_event.c's struct kqueue lands next. */
public final class KqueueImpl {
    public static KqueueImpl open() throws KQueueException { throw new UnsupportedOperationException(); }
    public int kevent(KEventList changes, KEventList events, long timeoutNanos) throws KQueueException { throw new UnsupportedOperationException(); }
    public int fd() { return -1; }
    public boolean isOpen() { return false; }
    public void close() {}
}
