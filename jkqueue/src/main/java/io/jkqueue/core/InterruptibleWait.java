package io.jkqueue.core;

import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.spi.AbstractInterruptibleChannel;

/**
 * How a thread blocked in epoll_pwait2 hears Thread.interrupt(): through the
 * JDK's own hook for interruptible I/O. Between {@link #enter} and
 * {@link #leave} the thread is "blocked on" this object, and an interrupt
 * "closes" it, which here wakes the kqueue's sleepers. The hook fires once
 * per object, so a thread takes a new one after being interrupted.
 */
final class InterruptibleWait extends AbstractInterruptibleChannel {
    private static final ThreadLocal<InterruptibleWait> CURRENT = new ThreadLocal<>();

    private volatile WaitPath kq;

    /** This thread's wait, fresh if the last one was used up by an interrupt. */
    static InterruptibleWait current() {
        InterruptibleWait w = CURRENT.get();
        if (w == null || !w.isOpen()) {
            w = new InterruptibleWait();
            CURRENT.set(w);
        }
        return w;
    }

    /** Before blocking in {@code kq}'s epoll set. */
    void enter(WaitPath kq) {
        this.kq = kq;
        begin();
    }

    /** After the block; true if an interrupt ended it. */
    boolean leave() {
        try {
            end(true);
            return false;
        } catch (AsynchronousCloseException byInterrupt) { // ClosedByInterruptException
            return true;
        } finally {
            kq = null;
        }
    }

    /** Called by Thread.interrupt() (in the interrupting thread) while the waiter is blocked. */
    @Override
    protected void implCloseChannel() {
        WaitPath k = kq;
        if (k != null) {
            k.interruptSleeper();
        }
    }
}
