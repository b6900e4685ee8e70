package io.jkqueue.cli;

import io.jkqueue.Errno;
import io.jkqueue.Fd;
import io.jkqueue.KEventList;
import io.jkqueue.KQueue;
import io.jkqueue.KQueueException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.HashSet;
import java.util.concurrent.Callable;

import static io.jkqueue.KEvent.*;

/**
 * {@code jkq watch}: one kqueue, one kevent loop, whatever mix of files,
 * processes, signals and timers the options name; one line per event.
 */
@Command(name = "watch", mixinStandardHelpOptions = true,
        description = {"Watch files, processes, signals and timers with one kqueue; print one line per event.",
                "With nothing to watch, watches the current directory."})
final class Watch implements Callable<Integer> {
    private static final int PROC_ALL = NOTE_EXIT | NOTE_FORK | NOTE_EXEC | NOTE_TRACK;
    private static final int VNODE_ALL = NOTE_DELETE | NOTE_WRITE | NOTE_EXTEND | NOTE_ATTRIB | NOTE_LINK
            | NOTE_RENAME | NOTE_REVOKE | NOTE_OPEN | NOTE_CLOSE | NOTE_CLOSE_WRITE | NOTE_READ;

    @Option(names = "--file", paramLabel = "PATH", description = "a file or directory (all vnode notes)")
    List<Path> files = new ArrayList<>();

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

    @Option(names = "--json", description = "print JSON lines")
    boolean json;

    @Option(names = "--count", paramLabel = "N", description = "stop after N events")
    long count = Long.MAX_VALUE;

    @Option(names = "--timeout", paramLabel = "DURATION", description = "stop after this long")
    String timeout;

    private final PrintStream out;

    Watch(PrintStream out) {
        this.out = out;
    }

    /** What an ident stands for, to print it. */
    private record Source(String kind, String name) {}

    @Override
    public Integer call() throws Exception {
        if (exec && command.isEmpty()) {
            throw new IllegalArgumentException("--exec needs a command after --");
        }
        if (!exec && !command.isEmpty()) {
            throw new IllegalArgumentException("unexpected arguments " + command + " (use --exec -- CMD...)");
        }
        if (files.isEmpty() && pids.isEmpty() && !exec && signals.isEmpty() && timers.isEmpty()) {
            files.add(Path.of("."));
        }
        List<AutoCloseable> resources = new ArrayList<>();
        Map<Long, Source>[] byFilter = sourcesByFilter();
        try (KQueue kq = KQueue.open()) {
            KEventList changes = new KEventList(8);
            for (Path p : files) {
                FileChannel ch = FileChannel.open(p);
                resources.add(ch);
                int fd = Fd.of(ch);
                changes.add(fd, EVFILT_VNODE, EV_ADD | EV_CLEAR, VNODE_ALL, 0, null);
                byFilter[~EVFILT_VNODE].put((long) fd, new Source("file", p.toString()));
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
                int signo = Signals.number(s);
                if (signo != Signals.number("INT") && signo != Signals.number("TERM")) {
                    // reported, not obeyed (a watched signal keeps its action): Ctrl-C and TERM still end jkq
                    io.jkqueue.Signals.ignore(signo);
                }
                changes.add(signo, EVFILT_SIGNAL, EV_ADD, 0, 0, null);
                byFilter[~EVFILT_SIGNAL].put((long) signo, new Source("signal", Signals.name(signo)));
            }
            long timerId = 1;
            for (String t : timers) {
                long nanos = Durations.parse(t).toNanos();
                changes.add(timerId, EVFILT_TIMER, EV_ADD, NOTE_NSECONDS, Math.max(nanos, 1), null);
                byFilter[~EVFILT_TIMER].put(timerId++, new Source("timer", t));
            }
            register(kq, changes, byFilter);
            if (child != null) {
                resume(child);
            }

            long deadline = timeout == null ? Long.MAX_VALUE : System.nanoTime() + Durations.parse(timeout).toNanos();
            KEventList events = new KEventList(64);
            long printed = 0;
            Set<Long> running = new HashSet<>(byFilter[~EVFILT_PROC].keySet());
            while (printed < count) {
                long wait = deadline == Long.MAX_VALUE ? -1 : deadline - System.nanoTime();
                if (deadline != Long.MAX_VALUE && wait <= 0) {
                    break;
                }
                int n = kq.kevent(null, events, wait);
                for (int i = 0; i < n && printed < count; i++) {
                    Source src = byFilter[~events.filter(i)].get(events.ident(i));
                    if (src == null) { // a process NOTE_TRACK follows
                        src = new Source("child", Long.toString(events.ident(i)));
                    }
                    print(src, events, i);
                    printed++;
                    if (events.filter(i) == EVFILT_PROC && (events.fflags(i) & NOTE_EXIT) != 0) {
                        running.remove(events.ident(i));
                    }
                }
                if (files.isEmpty() && signals.isEmpty() && timers.isEmpty() && running.isEmpty()) {
                    break; // only processes were watched, and all have exited
                }
            }
            if (child != null) {
                child.waitFor();
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

    private void print(Source src, KEventList ev, int i) {
        String time = Instant.now().toString();
        int filter = ev.filter(i);
        List<String> what = new ArrayList<>();
        String detail = "";
        switch (filter) {
            case EVFILT_VNODE -> what.addAll(Notes.vnode(ev.fflags(i)));
            case EVFILT_PROC -> {
                what.addAll(Notes.proc(ev.fflags(i)));
                if ((ev.fflags(i) & NOTE_EXIT) != 0) {
                    int status = (int) ev.data(i);
                    detail = (status & 0x7f) == 0 ? "exit code " + ((status >> 8) & 0xff)
                            : "killed by " + Signals.name(status & 0x7f);
                } else if ((ev.fflags(i) & NOTE_CHILD) != 0) {
                    detail = "child of " + ev.data(i);
                }
            }
            case EVFILT_SIGNAL -> {
                what.add("SIGNAL");
                detail = ev.data(i) + " delivered";
            }
            case EVFILT_TIMER -> {
                what.add("TIMER");
                detail = ev.data(i) + " expired";
            }
            default -> what.add("filter " + filter);
        }
        if (json) {
            StringBuilder sb = new StringBuilder("{\"time\":\"").append(time).append("\",\"source\":\"")
                    .append(src.kind()).append("\",\"name\":").append(Json.string(src.name()))
                    .append(",\"ident\":").append(ev.ident(i)).append(",\"events\":[");
            for (int k = 0; k < what.size(); k++) {
                sb.append(k == 0 ? "" : ",").append(Json.string(what.get(k)));
            }
            if (filter == EVFILT_PROC && (ev.fflags(i) & NOTE_CHILD) != 0) {
                sb.append("],\"parent\":").append(ev.data(i)).append(",\"fflags\":");
            } else {
                sb.append("],\"fflags\":");
            }
            sb.append(Integer.toUnsignedLong(ev.fflags(i)))
                    .append(",\"data\":").append(ev.data(i));
            if (filter == EVFILT_PROC && (ev.fflags(i) & NOTE_EXIT) != 0) {
                int status = (int) ev.data(i);
                if ((status & 0x7f) == 0) {
                    sb.append(",\"exitCode\":").append((status >> 8) & 0xff);
                } else {
                    sb.append(",\"signal\":").append(Json.string(Signals.name(status & 0x7f)));
                }
            }
            out.println(sb.append('}'));
        } else {
            out.printf(Locale.ROOT, "%s  %-6s %s  %s%s%n", time, src.kind(), src.name(), String.join("|", what),
                    detail.isEmpty() ? "" : "  (" + detail + ")");
        }
        out.flush();
    }

    /** Durations as a person types them: 250ms, 2s, 1m, 1h, or ISO-8601 (PT1.5S). */
    static final class Durations {
        private Durations() {}

        static Duration parse(String s) {
            String t = s.trim().toLowerCase(Locale.ROOT);
            try {
                if (t.startsWith("pt") || t.startsWith("p")) {
                    return Duration.parse(s.trim().toUpperCase(Locale.ROOT));
                }
                if (t.endsWith("ns")) {
                    return Duration.ofNanos(Long.parseLong(t.substring(0, t.length() - 2)));
                }
                if (t.endsWith("us")) {
                    return Duration.ofNanos(Math.round(Double.parseDouble(t.substring(0, t.length() - 2)) * 1e3));
                }
                if (t.endsWith("ms")) {
                    return Duration.ofNanos(Math.round(Double.parseDouble(t.substring(0, t.length() - 2)) * 1e6));
                }
                double v = Double.parseDouble(t.substring(0, t.length() - 1));
                return switch (t.charAt(t.length() - 1)) {
                    case 's' -> Duration.ofNanos(Math.round(v * 1e9));
                    case 'm' -> Duration.ofNanos(Math.round(v * 60e9));
                    case 'h' -> Duration.ofNanos(Math.round(v * 3600e9));
                    default -> throw new IllegalArgumentException();
                };
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("not a duration: " + s + " (try 500ms, 2s, 1m or PT1S)");
            }
        }
    }

    static final class Json {
        private Json() {}

        static String string(String s) {
            StringBuilder sb = new StringBuilder("\"");
            for (char c : s.toCharArray()) {
                switch (c) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    case '\t' -> sb.append("\\t");
                    default -> {
                        if (c < 0x20) {
                            sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                        } else {
                            sb.append(c);
                        }
                    }
                }
            }
            return sb.append('"').toString();
        }
    }

    /** Names of NOTE_* bits. */
    static final class Notes {
        private Notes() {}

        private static final int[] BITS = {NOTE_DELETE, NOTE_WRITE, NOTE_EXTEND, NOTE_ATTRIB, NOTE_LINK,
                NOTE_RENAME, NOTE_REVOKE, NOTE_OPEN, NOTE_CLOSE, NOTE_CLOSE_WRITE, NOTE_READ};
        private static final String[] NAMES = {"DELETE", "WRITE", "EXTEND", "ATTRIB", "LINK", "RENAME", "REVOKE",
                "OPEN", "CLOSE", "CLOSE_WRITE", "READ"};

        private static final int[] PROC_BITS = {NOTE_FORK, NOTE_EXEC, NOTE_EXIT, NOTE_CHILD, NOTE_TRACKERR};
        private static final String[] PROC_NAMES = {"FORK", "EXEC", "EXIT", "CHILD", "TRACKERR"};

        static List<String> vnode(int fflags) {
            return names(fflags, BITS, NAMES);
        }

        static List<String> proc(int fflags) {
            return names(fflags, PROC_BITS, PROC_NAMES);
        }

        private static List<String> names(int fflags, int[] bits, String[] names) {
            List<String> found = new ArrayList<>();
            for (int i = 0; i < bits.length; i++) {
                if ((fflags & bits[i]) != 0) {
                    found.add(names[i]);
                }
            }
            return found;
        }
    }

    /** Linux signal names and numbers. */
    static final class Signals {
        private Signals() {}

        private static final String[] NAMES = {null, "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE",
                "KILL", "USR1", "SEGV", "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP",
                "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS"};

        static int number(String name) {
            String n = name.toUpperCase(Locale.ROOT);
            n = n.startsWith("SIG") ? n.substring(3) : n;
            for (int i = 1; i < NAMES.length; i++) {
                if (NAMES[i].equals(n)) {
                    return i;
                }
            }
            try {
                return Integer.parseInt(n);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("no signal " + name);
            }
        }

        static String name(int signo) {
            return signo > 0 && signo < NAMES.length ? NAMES[signo] : Integer.toString(signo);
        }
    }
}
