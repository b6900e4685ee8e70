package io.jkqueue.filters;

import io.jkqueue.Errno;
import io.jkqueue.spi.FilterOps;
import io.jkqueue.spi.KnList;
import io.jkqueue.spi.Knote;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import static io.jkqueue.KEvent.EV_CLEAR;

/**
 * EVFILT_SIGNAL (filt_sigattach, filt_signal): ident is a Linux signal
 * number; data counts deliveries since the last report. The JVM's own
 * handler mechanism delivers the signal; ours counts it and then does what
 * was there before (a Java handler such as the one that runs shutdown hooks
 * on SIGTERM, or the default action), so watching never changes what a
 * signal does. Signals the JVM keeps for itself, and those that cannot be
 * caught, are EINVAL.
 */
final class SignalFilter implements FilterOps {
    private static final int NSIG = 65;
    private static final long NOTE_SIGNAL = 1; // knote() hint: one delivery

    // names for the Linux numbers (sun.misc.Signal takes names)
    private static final String[] NAMES = {null, "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE",
            "KILL", "USR1", "SEGV", "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP",
            "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS"};

    /** One per watched signal: the knotes watching it and the handler that was installed before. */
    private static final class Source implements SignalHandler {
        final KnList knlist = KnList.create();
        final Signal signal;
        SignalHandler previous;

        Source(Signal signal) {
            this.signal = signal;
        }

        @Override
        public void handle(Signal sig) {
            knlist.knote(NOTE_SIGNAL);
            if (previous == SignalHandler.SIG_DFL) {
                // the default action (often: end the process) happens as if we were not here
                synchronized (SOURCES) {
                    Signal.handle(sig, SignalHandler.SIG_DFL);
                    Signal.raise(sig);
                    Signal.handle(sig, this);
                }
            } else if (previous != SignalHandler.SIG_IGN && previous != null) {
                previous.handle(sig);
            }
        }
    }

    private static final Source[] SOURCES = new Source[NSIG];

    @Override
    public boolean isFd() {
        return false;
    }

    @Override
    public int attach(Knote kn) {
        long signo = kn.ident();
        if (signo < 1 || signo >= NSIG) {
            return Errno.EINVAL.code();
        }
        Source src;
        synchronized (SOURCES) {
            src = SOURCES[(int) signo];
            if (src == null) {
                Signal sig;
                try {
                    sig = new Signal(signo < NAMES.length ? NAMES[(int) signo] : "RTMIN+" + (signo - 34));
                    src = new Source(sig);
                    src.previous = Signal.handle(sig, src);
                } catch (IllegalArgumentException reservedOrUnknown) {
                    return Errno.EINVAL.code();
                }
                SOURCES[(int) signo] = src;
            }
            kn.setHook(src);
            kn.setFlags(kn.flags() | EV_CLEAR); // automatically set
            src.knlist.add(kn); // under SOURCES: a concurrent last detach cannot retire src meanwhile
        }
        return 0;
    }

    @Override
    public void detach(Knote kn) {
        Source src = (Source) kn.hook();
        synchronized (SOURCES) {
            src.knlist.remove(kn);
            if (src.knlist.isEmpty() && SOURCES[src.signal.getNumber()] == src) {
                Signal.handle(src.signal, src.previous);
                SOURCES[src.signal.getNumber()] = null;
            }
        }
    }

    @Override
    public boolean event(Knote kn, long hint) {
        if ((hint & NOTE_SIGNAL) != 0) {
            kn.setData(kn.data() + 1);
        }
        return kn.data() != 0;
    }
}
