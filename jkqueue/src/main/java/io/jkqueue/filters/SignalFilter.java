package io.jkqueue.filters;

import io.jkqueue.Errno;
import io.jkqueue.KQueueException;
import io.jkqueue.linux.Signals;
import io.jkqueue.spi.FilterOps;
import io.jkqueue.spi.KnList;
import io.jkqueue.spi.Knote;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.util.concurrent.atomic.AtomicLong;

import static io.jkqueue.KEvent.EV_CLEAR;

/**
 * EVFILT_SIGNAL (filt_sigattach, filt_signal): ident is a Linux signal
 * number; data counts deliveries since the last report. A Java handler
 * (sun.misc.Signal) counts each delivery and then, as tdsendsignal does after
 * its KNOTE, does what the signal's action says: the Java handler that was
 * there runs (SIGTERM's runs the shutdown hooks), SIG_IGN does nothing, and
 * SIG_DFL gets the kernel's own default action. So watching never changes
 * what a signal does. EINVAL: signals whose handler is native (the JVM's
 * own: QUIT, ILL, BUS, FPE, SEGV, USR2, PIPE, XFSZ), KILL and STOP, and the
 * real-time signals, for which the JDK has no names.
 */
public final class SignalFilter implements FilterOps {
    private static final long NOTE_SIGNAL = 1; // knote() hint: one delivery

    // names for the Linux numbers (sun.misc.Signal takes names)
    private static final String[] NAMES = {null, "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE",
            "KILL", "USR1", "SEGV", "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP",
            "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS"};
    private static final int SIGCHLD = 17;
    private static final int SIGCONT = 18;
    private static final int SIGURG = 23;
    private static final int SIGWINCH = 28;

    /** One per watched signal: the knotes watching it and what the signal does besides. */
    private static final class Source implements SignalHandler {
        final KnList knlist = KnList.create();
        final Signal signal;
        /** The signal's action: SIG_DFL, SIG_IGN or the Java handler that was there. */
        volatile SignalHandler action;
        final AtomicLong deliveries = new AtomicLong();
        long answered; // under SOURCES: the deliveries the last default action stood for

        Source(Signal signal) {
            this.signal = signal;
        }

        /** Runs in a new thread per delivery (the JDK's signal dispatch). */
        @Override
        public void handle(Signal sig) {
            // the action as the signal came, read before knote() shows it: one set by a program reacting to
            // the event acts on later deliveries only (tdsendsignal's KNOTE and action are one step under PROC_LOCK)
            SignalHandler a = action;
            long seq = deliveries.incrementAndGet();
            knlist.knote(NOTE_SIGNAL);
            if (a == SignalHandler.SIG_DFL) {
                defaultAction(seq);
            } else if (a != SignalHandler.SIG_IGN) {
                a.handle(sig);
            }
        }

        /**
         * The default action, by the kernel: SIG_DFL for a moment and the
         * signal raised on this thread (Signal.raise refuses a signal without
         * a Java handler). A terminating signal ends the process by that
         * signal; a stop signal stops it, and the handler is back after SIGCONT.
         */
        private void defaultAction(long seq) {
            int signo = signal.getNumber();
            if (signo == SIGCHLD || signo == SIGCONT || signo == SIGURG || signo == SIGWINCH) {
                return; // the default is to ignore (SIGCONT's continuing is the kernel's, whatever the action)
            }
            synchronized (SOURCES) { // one at a time: each must put back the handler, not another's SIG_DFL
                // deliveries counted before a stop began are answered by it: the kernel keeps one pending stop
                if (seq <= answered) {
                    return;
                }
                answered = deliveries.get();
                Signals.Action ours = Signals.Action.of(signo);
                // until the handler is back, a delivery gets the kernel's action uncounted
                Signals.setDisposition(signo, Signals.SIG_DFL);
                Signals.unblock(signo); // so that the raise acts before the handler is back
                Signals.raise(signo);
                ours.install(signo);
            }
        }
    }

    private static final Source[] SOURCES = new Source[NAMES.length];

    /** The action the JVM installs for a signal with a Java handler (its dispatch), learned once. */
    private static final class JavaDispatch {
        static final Signals.Action ACTION = probe();

        /**
         * Puts a Java handler that does nothing on the first of URG, WINCH and
         * CONT that is at SIG_DFL or SIG_IGN, reads the action the JVM
         * installed, and puts the old action back as it was. Their default
         * is to be ignored, so a delivery meanwhile does what it would have
         * done. Null when all three have handlers: then only signals at
         * SIG_DFL or SIG_IGN can be watched.
         */
        private static Signals.Action probe() {
            for (int signo : new int[] {SIGURG, SIGWINCH, SIGCONT}) {
                Signals.Action was = Signals.Action.of(signo);
                if (was.handler() == Signals.SIG_DFL || was.handler() == Signals.SIG_IGN) {
                    Signal sig = new Signal(NAMES[signo]);
                    SignalHandler previous = Signal.handle(sig, s -> { });
                    Signals.Action dispatch = Signals.Action.of(signo);
                    Signal.handle(sig, previous);
                    was.install(signo);
                    return dispatch;
                }
            }
            return null;
        }
    }

    /**
     * The signal, if its action is the JDK's to change: SIG_DFL, SIG_IGN or
     * the JVM's dispatch to a Java handler. Null when its handler is native
     * (sun.misc.Signal would replace the JVM's own handlers of BUS, USR2,
     * PIPE, XFSZ without a word) or the number has no name. Under SOURCES.
     */
    private static Signal javaSignal(long signo) {
        if (signo < 1 || signo >= NAMES.length) {
            return null;
        }
        Signals.Action dispatch = JavaDispatch.ACTION;
        long h = Signals.handler((int) signo);
        if (h == Signals.SIG_ERR) {
            return null;
        }
        if (h != Signals.SIG_DFL && h != Signals.SIG_IGN && (dispatch == null || h != dispatch.handler())) {
            return null;
        }
        return new Signal(NAMES[(int) signo]);
    }

    /** Puts a Source in front of the signal's action; null when the signal is not the JDK's to give. Under SOURCES. */
    private static Source install(long signo) {
        Signal sig = javaSignal(signo);
        if (sig == null) {
            return null;
        }
        Source src = new Source(sig);
        try {
            src.action = Signal.handle(sig, src);
        } catch (IllegalArgumentException keptByTheJvm) { // QUIT, ILL, FPE, SEGV; KILL and STOP
            return null;
        }
        if (Signals.handler(sig.getNumber()) == Signals.SIG_IGN) {
            // HUP, INT and TERM at SIG_IGN (nohup): the JVM records the Java handler but leaves SIG_IGN
            Signals.Action dispatch = JavaDispatch.ACTION;
            if (dispatch == null) {
                Signal.handle(sig, src.action);
                return null;
            }
            dispatch.install(sig.getNumber());
        }
        return src;
    }

    /**
     * sigaction(signo, SIG_IGN or SIG_DFL): while the signal is watched its
     * knotes go on counting every delivery and the new action is what
     * follows each, and what stays when the last knote goes. EINVAL where
     * EV_ADD would be.
     */
    public static void setAction(int signo, boolean ignore) throws KQueueException {
        SignalHandler action = ignore ? SignalHandler.SIG_IGN : SignalHandler.SIG_DFL;
        synchronized (SOURCES) {
            Source src = signo >= 1 && signo < NAMES.length ? SOURCES[signo] : null;
            if (src != null) {
                src.action = action;
                return;
            }
            Signal sig = javaSignal(signo);
            if (sig == null) {
                throw new KQueueException(Errno.EINVAL, "signal " + signo + " is the JVM's, uncatchable or unknown");
            }
            try {
                Signal.handle(sig, action);
            } catch (IllegalArgumentException keptByTheJvm) {
                throw new KQueueException(Errno.EINVAL, "signal " + signo + " is the JVM's or uncatchable");
            }
            // HUP, INT and TERM at SIG_IGN: the JVM leaves them alone, so SIG_DFL is set here
            long disposition = ignore ? Signals.SIG_IGN : Signals.SIG_DFL;
            if (Signals.handler(signo) != disposition) {
                Signals.setDisposition(signo, disposition);
            }
        }
    }

    @Override
    public boolean isFd() {
        return false;
    }

    @Override
    public int attach(Knote kn) {
        long signo = kn.ident();
        synchronized (SOURCES) {
            Source src = signo >= 1 && signo < NAMES.length ? SOURCES[(int) signo] : null;
            if (src == null) {
                src = install(signo);
                if (src == null) {
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
                Signal.handle(src.signal, src.action);
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
