package io.jkqueue.cli;

import io.jkqueue.Errno;
import io.jkqueue.Fd;
import io.jkqueue.KEventList;
import io.jkqueue.KQueue;
import io.jkqueue.KQueueException;
import io.jkqueue.Signals;
import io.jkqueue.cli.EventFormat.Source;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.FileDescriptor;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.HashSet;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import static io.jkqueue.KEvent.*;

/**
 * {@code jkq watch}: one kqueue, one kevent loop, whatever mix of files,
 * processes, signals, timers and the mount table the options name; one line
 * per event.
 */
@Command(name = "watch", mixinStandardHelpOptions = true,
        description = {"Watch files, processes, signals, timers and mounts with one kqueue; print one line per event.",
                "With nothing to watch, watches the current directory."},
        exitCodeListHeading = "Exit status:%n",
        exitCodeList = {"0:a normal end (--count, everything watched exited)",
                "N:with --exec, the command's status (128+n when signal n ended it)",
                "2:a bad option, something that cannot be watched, or --timeout",
                "141:standard output closed (as a program that SIGPIPE ends)"})
final class Watch implements Callable<Integer> {
    /** As inotifywait: the time ran out before the end. */
    static final int EXIT_TIMEOUT = 2;
    /** As a program that SIGPIPE ends (128 + 13): whoever read the output stopped reading. */
    static final int EXIT_STDOUT_CLOSED = 128 + 13;

    private static final int PROC_ALL = NOTE_EXIT | NOTE_FORK | NOTE_EXEC | NOTE_TRACK;

    @Option(names = "--file", paramLabel = "PATH",
            description = "a file (all vnode notes; followed when replaced) or directory (its entries named)")
    List<Path> files = new ArrayList<>();

    @Option(names = {"-r", "--recursive"}, description = "watch the subdirectories of a --file directory too")
    boolean recursive;

    @Option(names = "--include", paramLabel = "GLOB", description = "report only paths (relative to the directory) that match")
    List<String> includes = new ArrayList<>();

    @Option(names = "--exclude", paramLabel = "GLOB", description = "neither report nor watch paths that match (wins over --include)")
    List<String> excludes = new ArrayList<>();

    @Option(names = "--events", paramLabel = "LIST", description = "the vnode notes to watch, e.g. write,delete,rename "
            + "(default: all of delete,write,extend,attrib,link,rename,revoke,open,close,close_write,read)")
    String eventNames;

    @Option(names = "--latency", paramLabel = "DURATION", description = "print events in batches: those within "
            + "DURATION of a batch's first, one line per watched thing (notes OR-ed, counts summed)")
    String latency;

    @Option(names = "--pid", paramLabel = "PID", description = "a process, for its exit")
    List<Long> pids = new ArrayList<>();

    @Option(names = "--exec", description = "start the command after -- and watch it until it exits")
    boolean exec;

    @Parameters(paramLabel = "CMD", description = "the command for --exec")
    List<String> command = new ArrayList<>();

    @Option(names = "--signal", paramLabel = "NAME", description = "a signal, e.g. USR1 or HUP")
    List<String> signals = new ArrayList<>();

    @Option(names = "--timer", paramLabel = "DURATION", description = "a periodic timer, e.g. 500ms, 2s, PT1M")
    List<String> timers = new ArrayList<>();

    @Option(names = "--mounts", description = "file systems mounted and unmounted in this mount namespace")
    boolean mounts;

    @Option(names = "--json", description = "print JSON lines")
    boolean json;

    @Option(names = "--count", paramLabel = "N", description = "stop after N events")
    long count = Long.MAX_VALUE;

    @Option(names = "--timeout", paramLabel = "DURATION", description = "stop after this long")
    String timeout;

    @Spec
    CommandSpec spec;

    /** The --timer periods and the --timeout, as validate() parsed them. */
    private final List<Long> periods = new ArrayList<>();
    private long timeoutNanos = -1;
    private PathFilter pathFilter;
    /** --events and --latency, as validate() parsed them. */
    private int vnodeNotes = VnodeEvents.ALL;
    private long latencyNanos;

    private final PrintStream out;

    Watch(PrintStream out) {
        this.out = out;
    }

    /** Checks every option before anything is watched; a bad one is a usage error (status 2). */
    void validate() {
        if (exec && command.isEmpty()) {
            throw usage("--exec needs a command after --");
        }
        if (!exec && !command.isEmpty()) {
            throw usage("unexpected arguments " + command + " (use --exec -- CMD...)");
        }
        for (String t : timers) {
            long nanos = nanos("--timer", t);
            if (nanos <= 0) {
                throw usage("--timer " + t + ": a timer's period must be more than 0");
            }
            periods.add(nanos);
        }
        if (timeout != null) {
            timeoutNanos = nanos("--timeout", timeout);
            if (timeoutNanos < 0) {
                throw usage("--timeout " + timeout + ": must not be negative");
            }
        }
        if (eventNames != null) {
            try {
                vnodeNotes = VnodeEvents.parse(eventNames);
            } catch (IllegalArgumentException e) {
                throw usage("--events " + eventNames + ": " + e.getMessage());
            }
        }
        if (latency != null) {
            latencyNanos = nanos("--latency", latency);
            if (latencyNanos < 0) {
                throw usage("--latency " + latency + ": must not be negative");
            }
        }
        if (count < 1) {
            throw usage("--count " + count + ": must be at least 1");
        }
        try {
            pathFilter = new PathFilter(includes, excludes);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        for (String s : signals) {
            try {
                SignalNames.number(s);
            } catch (IllegalArgumentException e) {
                throw usage("--signal " + s + ": " + e.getMessage());
            }
        }
    }

    private long nanos(String option, String text) {
        try {
            return Durations.parse(text).toNanos();
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw usage(option + " " + text + ": " + (e instanceof ArithmeticException ? "too long" : e.getMessage()));
        }
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    @Override
    public Integer call() throws Exception {
        validate();
        if (files.isEmpty() && pids.isEmpty() && !exec && signals.isEmpty() && timers.isEmpty() && !mounts) {
            files.add(Path.of("."));
        }
        EventFormat format = new EventFormat(json);
        List<AutoCloseable> resources = new ArrayList<>();
        Map<Long, Source>[] byFilter = sourcesByFilter();
        try (KQueue kq = KQueue.open()) {
            KEventList changes = new KEventList(8);
            FileWatches paths = new FileWatches(kq, json, recursive, pathFilter, vnodeNotes, System.err);
            resources.add(paths);
            for (Path p : files) {
                paths.add(p);
            }
            for (long pid : pids) {
                changes.add(pid, EVFILT_PROC, EV_ADD, PROC_ALL, 0, null);
                byFilter[~EVFILT_PROC].put(pid, new Source("pid", Long.toString(pid)));
            }
            Process child = null;
            if (exec) {
                // the child stops itself before it runs the command, so that its first fork and its exec are seen
                List<String> gated = new ArrayList<>(List.of("sh", "-c", "kill -STOP $$; exec \"$@\"", "sh"));
                gated.addAll(command);
                child = new ProcessBuilder(gated).inheritIO().start();
                changes.add(child.pid(), EVFILT_PROC, EV_ADD, PROC_ALL, 0, null);
                byFilter[~EVFILT_PROC].put(child.pid(), new Source("exec", String.join(" ", command)));
            }
            for (String s : signals) {
                int signo = SignalNames.number(s);
                if (signo != SignalNames.number("INT") && signo != SignalNames.number("TERM")) {
                    // reported, not obeyed (a watched signal keeps its action): Ctrl-C and TERM still end jkq
                    try {
                        Signals.ignore(signo);
                    } catch (KQueueException e) {
                        throw new IllegalArgumentException("cannot watch signal " + s + ": " + e.getMessage());
                    }
                }
                changes.add(signo, EVFILT_SIGNAL, EV_ADD, 0, 0, null);
                byFilter[~EVFILT_SIGNAL].put((long) signo, new Source("signal", SignalNames.name(signo)));
            }
            for (int t = 0; t < timers.size(); t++) {
                changes.add(t + 1, EVFILT_TIMER, EV_ADD, NOTE_NSECONDS, periods.get(t), null);
                byFilter[~EVFILT_TIMER].put(t + 1L, new Source("timer", timers.get(t)));
            }
            if (mounts) {
                changes.add(0, EVFILT_FS, EV_ADD, 0, 0, null);
                byFilter[~EVFILT_FS].put(0L, new Source("mounts", mountNamespace()));
            }
            register(kq, changes, byFilter);
            watchStdout(kq);
            if (child != null) {
                resume(child);
            }

            long deadline = timeoutNanos < 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutNanos;
            KEventList events = new KEventList(64);
            Batch batch = new Batch(latencyNanos);
            long printed = 0;
            Set<Long> running = new HashSet<>(byFilter[~EVFILT_PROC].keySet());
            while (printed < count) {
                // --timeout 0 polls once: what is already pending is still reported
                long wait = deadline == Long.MAX_VALUE ? -1 : Math.max(deadline - System.nanoTime(), 0);
                int n = batch.kevent(kq, events, wait, deadline);
                for (int i = 0; i < n && printed < count; i++) {
                    if (events.filter(i) == EVFILT_WRITE) { // jkq's stdout: EV_EOF when its reader is gone
                        if ((events.flags(i) & EV_EOF) != 0) {
                            return EXIT_STDOUT_CLOSED;
                        }
                        continue;
                    }
                    Source src = byFilter[~events.filter(i)].get(events.ident(i));
                    if (src == null) { // a process NOTE_TRACK follows
                        src = new Source("child", Long.toString(events.ident(i)));
                    }
                    String time = Instant.now().toString();
                    for (String line : paths.owns(events, i) ? paths.lines(events, i, time)
                            : List.of(format.line(time, src, events, i))) {
                        if (printed == count) {
                            break;
                        }
                        out.println(line);
                        if (out.checkError()) { // PrintStream keeps write errors (EPIPE) to itself: ask it
                            return EXIT_STDOUT_CLOSED;
                        }
                        printed++;
                    }
                    if (events.filter(i) == EVFILT_PROC && (events.fflags(i) & NOTE_EXIT) != 0) {
                        running.remove(events.ident(i));
                    }
                }
                if (files.isEmpty() && signals.isEmpty() && timers.isEmpty() && !mounts && running.isEmpty()) {
                    break; // only processes were watched, and all have exited
                }
                if (deadline != Long.MAX_VALUE && deadline - System.nanoTime() <= 0 && printed < count) {
                    return EXIT_TIMEOUT; // an --exec command still running is left to run
                }
            }
            if (child != null) {
                // the JDK reaped the command, so its status is always known here, even where NOTE_EXIT's data is -1
                if (deadline == Long.MAX_VALUE) {
                    return child.waitFor();
                }
                return child.waitFor(Math.max(deadline - System.nanoTime(), 0), TimeUnit.NANOSECONDS)
                        ? child.exitValue() : EXIT_TIMEOUT;
            }
        } finally {
            for (AutoCloseable r : resources) {
                r.close();
            }
        }
        return 0;
    }

    /** Applies the changes one by one, so that a failure names what could not be watched. */
    private static void register(KQueue kq, KEventList changes, Map<Long, Source>[] byFilter) throws IOException {
        KEventList one = new KEventList(1);
        for (int i = 0; i < changes.size(); i++) {
            one.clear();
            one.add(changes.ident(i), changes.filter(i), changes.flags(i), changes.fflags(i), changes.data(i), null);
            try {
                try {
                    kq.kevent(one, null, 0);
                } catch (KQueueException e) {
                    if (e.errno() != Errno.EPERM || changes.filter(i) != EVFILT_PROC) {
                        throw e;
                    }
                    // forks and execs need CAP_NET_ADMIN: watch the exit alone
                    System.err.println("jkq: no privilege for fork/exec events of " + changes.ident(i)
                            + "; watching its exit only");
                    one.set(0, changes.ident(i), EVFILT_PROC, changes.flags(i), NOTE_EXIT, 0, null);
                    kq.kevent(one, null, 0);
                }
            } catch (KQueueException e) {
                Source src = byFilter[~changes.filter(i)].get(changes.ident(i));
                throw new IllegalArgumentException("cannot watch " + src.kind() + " " + src.name() + ": "
                        + e.errno() + (e.errno() == Errno.ESRCH ? " (no such process)"
                        : e.errno() == Errno.EINVAL ? " (not allowed here)" : ""), e);
            }
        }
    }

    /**
     * When stdout is a pipe or socket, watches it in the same kqueue: its
     * reader's close is EV_EOF at once, not an EPIPE at the next line.
     */
    private static void watchStdout(KQueue kq) throws IOException {
        String target;
        try {
            target = java.nio.file.Files.readSymbolicLink(Path.of("/proc/self/fd/1")).toString();
        } catch (IOException e) {
            return;   // no stdout, or no /proc: the next line's EPIPE tells
        }
        if (target.startsWith("pipe:") || target.startsWith("socket:")) {
            KEventList one = new KEventList(1);
            one.add(Fd.of(FileDescriptor.out), EVFILT_WRITE, EV_ADD | EV_CLEAR, 0, 0, null);
            kq.kevent(one, null, 0);
        }
    }

    /** The mount namespace whose table EVFILT_FS watches, as its /proc link names it: "mnt:[4026531841]". */
    private static String mountNamespace() {
        try {
            return java.nio.file.Files.readSymbolicLink(Path.of("/proc/self/ns/mnt")).toString();
        } catch (IOException e) {
            return "this namespace";
        }
    }

    /** Sends SIGCONT once the gated child has stopped itself. */
    private static void resume(Process child) throws IOException, InterruptedException {
        Path stat = Path.of("/proc", Long.toString(child.pid()), "stat");
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (child.isAlive() && System.nanoTime() < end) {
            String s = java.nio.file.Files.readString(stat);
            if (s.substring(s.lastIndexOf(')') + 2).startsWith("T")) {
                break;
            }
            Thread.sleep(1);
        }
        new ProcessBuilder("kill", "-CONT", Long.toString(child.pid())).inheritIO().start().waitFor();
    }

    @SuppressWarnings("unchecked")
    private static Map<Long, Source>[] sourcesByFilter() {
        Map<Long, Source>[] maps = new Map[EVFILT_SYSCOUNT];
        for (int i = 0; i < maps.length; i++) {
            maps[i] = new HashMap<>();
        }
        return maps;
    }
}
