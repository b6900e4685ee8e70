package io.jkqueue;

import io.jkqueue.core.KqueueImpl;
import io.jkqueue.filters.SystemFilters;

import java.io.IOException;
import java.time.Duration;

/**
 * A kqueue: kqueue(2) and kevent(2) with FreeBSD's semantics. Any number of
 * threads may call {@link #kevent} at once; each event is handed to exactly
 * one of them. {@link #fd()} is a real descriptor (an epoll instance) that is
 * readable when kevent has something to return, so one kqueue can watch
 * another and any poller can wait on it. A kevent that must wait on a
 * virtual thread parks it and frees its carrier; a platform thread waits in
 * the kernel.
 */
public final class KQueue implements AutoCloseable {
    static {
        SystemFilters.install();   // the filters, before the first kqueue opens
    }

    private final KqueueImpl kq;

    private KQueue(KqueueImpl kq) {
        this.kq = kq;
    }

    /**
     * kqueue(2): a new kqueue, to close.
     *
     * @return the kqueue
     * @throws IOException a {@link KQueueException}: EMFILE/ENFILE when no descriptor is left for it
     */
    public static KQueue open() throws IOException {
        return new KQueue(KqueueImpl.open());
    }

    /**
     * kevent(2). Applies {@code changes} in order, then waits for events.
     * {@code timeout}: null waits forever, {@link Duration#ZERO} polls, negative is EINVAL.
     * Returns how many entries it wrote to {@code events[0..n)}. A null entry
     * in {@code changes} is EFAULT (kevent(2)'s answer to a change list it
     * cannot read), before any change is applied.
     *
     * @param changes the changes to apply, or null
     * @param events  where to write the events returned (nevents is its length), or null for none
     * @param timeout how long to wait: null forever, {@link Duration#ZERO} not at all
     * @return how many events were written
     * @throws IOException a {@link KQueueException} with kevent(2)'s errno: EBADF (closed), EINTR (interrupted),
     *                     EINVAL, or a change's errno when {@code events} has no room for it as an EV_ERROR event
     */
    public int kevent(KEvent[] changes, KEvent[] events, Duration timeout) throws IOException {
        long timeoutNanos = -1;
        if (timeout != null) {
            // as kevent(2): the changes are applied first, the scan then fails EINVAL
            timeoutNanos = timeout.isNegative() ? KqueueImpl.INVALID_TIMEOUT : saturatedNanos(timeout);
        }
        KEventList ch = new KEventList(changes == null ? 0 : changes.length);
        if (changes != null) {
            if (!kq.isOpen()) {
                throw new KQueueException(Errno.EBADF, "kqueue is closed");   // the descriptor before its arguments
            }
            for (int i = 0; i < changes.length; i++) {
                if (changes[i] == null) {
                    throw new KQueueException(Errno.EFAULT, "changes[" + i + "] is null");
                }
                ch.add(changes[i]);
            }
        }
        KEventList ev = new KEventList(events == null ? 0 : events.length);
        int n = kq.kevent(ch, ev, timeoutNanos);
        for (int i = 0; i < n; i++) {
            events[i] = ev.get(i);
        }
        return n;
    }

    /**
     * kevent(2) without allocation in steady state: reads
     * {@code changes[0..changes.size())}, writes events from index 0 and sets
     * {@code events.size()} to the return value; nevents is
     * {@code events.capacity()}. {@code timeoutNanos} &lt; 0 waits forever, 0 polls.
     *
     * @param changes      the changes to apply, or null
     * @param events       where to write the events returned, or null for none
     * @param timeoutNanos how long to wait, in nanoseconds: negative forever, 0 not at all
     * @return how many events were written
     * @throws IOException a {@link KQueueException} with kevent(2)'s errno (as
     *                     {@link #kevent(KEvent[], KEvent[], Duration)})
     */
    public int kevent(KEventList changes, KEventList events, long timeoutNanos) throws IOException {
        return kq.kevent(changes, events, timeoutNanos < 0 ? -1 : timeoutNanos);
    }

    /**
     * This kqueue's descriptor: readable while kevent has something to
     * return, usable as ident with EVFILT_READ in another kqueue or in any
     * poller.
     *
     * @return the descriptor's number
     */
    public int fd() {
        return kq.fd();
    }

    /**
     * Whether {@link #close()} has not been called.
     *
     * @return true until closed
     */
    public boolean isOpen() {
        return kq.isOpen();
    }

    /** Closes the kqueue, waking every thread blocked in kevent (they throw EBADF). Idempotent. */
    @Override
    public void close() {
        kq.close();
    }

    /** The kqueue itself, for the AIO calls of this package that register knotes in it. */
    KqueueImpl impl() {
        return kq;
    }

    private static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    @Override
    public String toString() {
        return "KQueue[fd=" + fd() + (isOpen() ? "" : ", closed") + "]";
    }
}
