package io.jkqueue.cli;

import io.jkqueue.Errno;
import io.jkqueue.KEventList;
import io.jkqueue.KQueue;
import io.jkqueue.KQueueException;
import io.jkqueue.ProcessDescriptor;
import io.jkqueue.cli.EventFormat.ExitStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import static io.jkqueue.KEvent.*;

/**
 * {@code jkq run}: runs a command, and runs it again whenever a watched file
 * changes (as entr). The files, the command's exit (EVFILT_PROCDESC), the
 * debounce and the grace period (EVFILT_TIMER) are knotes of one kqueue.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Run CMD, and run it again whenever a watched file changes: a change while CMD runs queues "
                + "one more run after it ends (with --restart, CMD is stopped and run again). A change is "
                + "what jkq watch with the same file options reports.",
                "CMD runs in a session and process group of its own (setsid); each end of a run is a line on "
                        + "standard error. With no --file, watches the current directory."},
        exitCodeListHeading = "Exit status:%n",
        exitCodeList = {"N:with --count, the last run's status (128+n when signal n ended it)",
                "2:a bad option, or something that cannot be watched",
                "128+n:signal n (INT, TERM, HUP) ended jkq; it ends the running CMD first"})
final class Run implements Callable<Integer> {
    /** What a command's run is about: a change of content, name or metadata; not opening or reading a file. */
    static final int DEFAULT_NOTES = NOTE_DELETE | NOTE_WRITE | NOTE_EXTEND | NOTE_ATTRIB | NOTE_LINK | NOTE_RENAME
            | NOTE_REVOKE;

    /** EVFILT_TIMER idents: the debounce, and the grace between SIGTERM and SIGKILL. */
    private static final long DEBOUNCE = 1, GRACE = 2;
    /** EVFILT_USER ident: the command ended before its process descriptor could be opened. */
    private static final long GONE = 1;
    private static final int SIGKILL = 9, SIGTERM = 15;

    @Option(names = "--file", paramLabel = "PATH",
            description = "a file (followed when replaced) or directory (its entries and their writes) to watch")
    List<Path> files = new ArrayList<>();

    @Option(names = {"-r", "--recursive"}, description = "watch the subdirectories of a --file directory too")
    boolean recursive;

    @Option(names = "--include", paramLabel = "GLOB", description = "only paths (relative to the directory) that "
            + "match are changes")
    List<String> includes = new ArrayList<>();

    @Option(names = "--exclude", paramLabel = "GLOB", description = "paths that match are neither changes nor "
            + "watched (wins over --include)")
    List<String> excludes = new ArrayList<>();

    @Option(names = "--events", paramLabel = "LIST", description = "the vnode notes that count as a change "
            + "(default: delete,write,extend,attrib,link,rename,revoke)")
    String eventNames;

    @Option(names = "--restart", description = "stop a running CMD (SIGTERM to its process group, SIGKILL after "
            + "--grace) and run it again")
    boolean restart;

    @Option(names = "--debounce", paramLabel = "DURATION", defaultValue = "100ms",
            description = "run once changes have stopped for this long (default: ${DEFAULT-VALUE}; 0: at once)")
    String debounce;

    @Option(names = "--grace", paramLabel = "DURATION", defaultValue = "5s",
            description = "how long a stopped CMD has between SIGTERM and SIGKILL (default: ${DEFAULT-VALUE})")
    String grace;

    @Option(names = "--count", paramLabel = "N", description = "stop after N runs, with the last one's status")
    long count = Long.MAX_VALUE;

    @Parameters(paramLabel = "CMD", arity = "1..*", description = "the command and its arguments (after --)")
    List<String> command = new ArrayList<>();

    @Spec
    CommandSpec spec;

    private final PrintStream err;
    private final KEventList one = new KEventList(1);
    private KQueue kq;

    /** As validate() parsed them. */
    private int notes = DEFAULT_NOTES;
    private PathFilter pathFilter;
    private long debounceNanos, graceNanos;

    /** The running command (null between runs) and its descriptor (null if it ended before it was opened). */
    private Process child;
    private ProcessDescriptor pd;
    /** Runs started; a change while the command runs; SIGTERM sent to it; its grace timer armed. */
    private long runs;
    private boolean queued, stopping, graceArmed;
    /** Set by the shutdown hook (under this): no run starts after it. */
    private boolean ending;

    Run(PrintStream err) {
        this.err = err;
    }

    /** Checks every option before anything is watched or run; a bad one is a usage error (status 2). */
    void validate() {
        if (eventNames != null) {
            try {
                notes = VnodeEvents.parse(eventNames);
            } catch (IllegalArgumentException e) {
                throw usage("--events " + eventNames + ": " + e.getMessage());
            }
        }
        try {
            pathFilter = new PathFilter(includes, excludes);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        debounceNanos = nonNegative("--debounce", debounce);
        graceNanos = nonNegative("--grace", grace);
        if (count < 1) {
            throw usage("--count " + count + ": must be at least 1");
        }
    }

    private long nonNegative(String option, String text) {
        long nanos;
        try {
            nanos = Durations.parse(text).toNanos();
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw usage(option + " " + text + ": " + (e instanceof ArithmeticException ? "too long" : e.getMessage()));
        }
        if (nanos < 0) {
            throw usage(option + " " + text + ": must not be negative");
        }
        return nanos;
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    @Override
    public Integer call() throws Exception {
        validate();
        if (files.isEmpty()) {
            files.add(Path.of("."));
        }
        try (KQueue opened = KQueue.open();
             FileWatches paths = new FileWatches(opened, false, recursive, pathFilter, notes, err)) {
            kq = opened;
            for (Path p : files) {
                paths.add(p);
            }
            kevent(GONE, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0);
            // jkq's INT, TERM and HUP run the JVM's shutdown hooks: this one ends the command's process group
            Runtime.getRuntime().addShutdownHook(new Thread(this::end, "jkq run: ending CMD"));
            start();
            KEventList events = new KEventList(16);
            while (true) {
                int n = kq.kevent(null, events, -1);
                for (int i = 0; i < n; i++) {
                    int filter = events.filter(i);
                    if (paths.owns(events, i)) {
                        if (paths.changed(events, i)) {
                            changed();
                        }
                    } else if (filter == EVFILT_TIMER && events.ident(i) == DEBOUNCE) {
                        trigger();
                    } else if (filter == EVFILT_TIMER && events.ident(i) == GRACE) {
                        graceArmed = false;
                        if (child != null) {
                            signal(SIGKILL);
                        }
                    } else if (filter == EVFILT_PROCDESC || filter == EVFILT_USER) {
                        int status = ended(filter == EVFILT_PROCDESC ? events.data(i) : -1);
                        if (runs == count && child == null) {
                            return status;
                        }
                    }
                }
            }
        }
    }

    /** A watched file changed: run now, or (re)arm the debounce, a one-shot timer that a later change restarts. */
    private void changed() throws IOException {
        if (debounceNanos == 0) {
            trigger();
        } else {
            kevent(DEBOUNCE, EVFILT_TIMER, EV_ADD | EV_ONESHOT, NOTE_NSECONDS, debounceNanos);
        }
    }

    /** One change to the kqueue. */
    private void kevent(long ident, int filter, int flags, int fflags, long data) throws IOException {
        one.clear();
        one.add(ident, filter, flags, fflags, data, null);
        kq.kevent(one, null, 0);
    }

    /** The changes call for a run: start one, or queue one after the running command (stopping it first, --restart). */
    private void trigger() throws IOException {
        if (runs == count) {
            return; // the last run is left to end
        }
        if (child == null) {
            start();
            return;
        }
        if (!queued && !restart) {
            err.println("jkq run: " + String.join(" ", command) + ": changed while running; runs again when it ends");
        }
        queued = true;
        if (restart && !stopping) {
            stopping = true;
            signal(SIGTERM);
            if (graceNanos == 0) {
                signal(SIGKILL);
            } else {
                kevent(GRACE, EVFILT_TIMER, EV_ADD | EV_ONESHOT, NOTE_NSECONDS, graceNanos);
                graceArmed = true;
            }
        }
    }

    /** Starts a run in a session of its own, and watches for its end through a process descriptor. */
    private void start() throws IOException {
        List<String> cmd = new ArrayList<>(List.of("setsid"));
        cmd.addAll(command);
        synchronized (this) {
            if (ending) {
                return;
            }
            child = new ProcessBuilder(cmd).inheritIO().start();
        }
        runs++;
        try {
            pd = ProcessDescriptor.of(child.toHandle());
        } catch (KQueueException e) {
            if (e.errno() != Errno.ESRCH) {
                throw e;
            }
            // it ended and the JDK reaped it already: its end is still an event of this kqueue
            kevent(GONE, EVFILT_USER, 0, NOTE_TRIGGER, 0);
            return;
        }
        kevent(pd.fd(), EVFILT_PROCDESC, EV_ADD, NOTE_EXIT, 0);
    }

    /**
     * The run ended (NOTE_EXIT's wait(2) status in {@code data}, or -1): says so, and starts the queued run.
     * Returns its status as a shell gives it (128+n for signal n).
     */
    private int ended(long data) throws IOException, InterruptedException {
        int status = child.waitFor(); // the JDK reaps it, so its status is known even where data is -1
        ExitStatus exit = new ExitStatus((int) data);
        // the JDK gives 128+n for signal n: above 128 only the kernel's status tells a signal from an exit code
        err.println("jkq run: " + String.join(" ", command) + ": " + (!exit.unknown() ? exit.describe()
                : status <= 128 ? "exit code " + status : "exit status " + status));
        if (pd != null) {
            pd.close(); // its knote goes with it
            pd = null;
        }
        if (graceArmed) {
            kevent(GRACE, EVFILT_TIMER, EV_DELETE, 0, 0);
            graceArmed = false;
        }
        synchronized (this) {
            child = null;
        }
        stopping = false;
        if (queued && runs < count) {
            queued = false;
            start();
        }
        return status;
    }

    /** Sends {@code signo} to the command's process group, or to the command if it has none yet (before setsid). */
    private void signal(int signo) throws IOException {
        Process p;
        synchronized (this) {
            p = child;
        }
        if (p == null) {
            return;
        }
        try {
            if (new ProcessBuilder("kill", "-s", SignalNames.name(signo), "--", "-" + p.pid())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start()
                    .waitFor() != 0 && p.isAlive()) {
                if (signo == SIGKILL) {
                    p.destroyForcibly();
                } else {
                    p.destroy();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The shutdown hook: no more runs; the running one gets SIGTERM, and SIGKILL after the grace period. */
    private void end() {
        Process p;
        synchronized (this) {
            ending = true;
            p = child;
        }
        if (p == null) {
            return;
        }
        try {
            signal(SIGTERM);
            if (!p.waitFor(graceNanos, TimeUnit.NANOSECONDS)) {
                signal(SIGKILL);
            }
        } catch (IOException | InterruptedException e) {
            p.destroyForcibly();
        }
    }
}
