package io.jkqueue;

import io.jkqueue.filters.SignalFilter;

/**
 * A signal's action, as sigaction(2) sets SIG_IGN and SIG_DFL, for programs
 * that watch signals with {@link KEvent#EVFILT_SIGNAL}. Watching a signal
 * never changes what it does, so a signal whose default is to end the
 * process still ends it; a FreeBSD program that only wants to count a
 * signal ignores it first, and so does a jkqueue one:
 * <pre>{@code
 * Signals.ignore(10);   // SIGUSR1: counted below, and no longer fatal
 * kq.kevent(new KEvent[] {KEvent.of(10, EVFILT_SIGNAL, EV_ADD)}, null, null);
 * }</pre>
 * A watched signal's deliveries are all counted whatever its action (an
 * ignored one too, as FreeBSD records signals marked SIG_IGN); the action
 * set here follows each delivery and stays when the last knote goes.
 * Numbers are Linux's; the signals the JVM keeps for itself (QUIT, ILL,
 * BUS, FPE, SEGV, USR2, PIPE, XFSZ), KILL, STOP, the real-time signals and
 * numbers out of range are {@link Errno#EINVAL}. Ignoring SIGCHLD makes the
 * kernel reap child processes at once, as in C, so their exit status is lost.
 */
public final class Signals {
    private Signals() {}

    /**
     * Sets {@code signo} to SIG_IGN: a delivery does nothing (but is counted if watched).
     *
     * @param signo a Linux signal number
     * @throws KQueueException EINVAL for a signal that cannot be watched (see above)
     */
    public static void ignore(int signo) throws KQueueException {
        SignalFilter.setAction(signo, true);
    }

    /**
     * Sets {@code signo} to SIG_DFL: a delivery takes its default action (signal(7)), such as ending the process.
     *
     * @param signo a Linux signal number
     * @throws KQueueException EINVAL for a signal that cannot be watched (see above)
     */
    public static void setDefault(int signo) throws KQueueException {
        SignalFilter.setAction(signo, false);
    }
}
