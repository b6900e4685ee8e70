package io.jkqueue.cli;

import io.jkqueue.KEventList;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static io.jkqueue.KEvent.*;

/** One line for an event: human-readable, or a JSON object. */
final class EventFormat {
    /** What an ident stands for, to print it. */
    record Source(String kind, String name) {}

    private final boolean json;

    EventFormat(boolean json) {
        this.json = json;
    }

    /** The line (without its end) for event {@code i} of {@code ev}, which came from {@code src} at {@code time}. */
    String line(String time, Source src, KEventList ev, int i) {
        int filter = ev.filter(i);
        int fflags = ev.fflags(i);
        long data = ev.data(i);
        List<String> what = new ArrayList<>();
        String detail = "";
        ExitStatus exit = filter == EVFILT_PROC && (fflags & NOTE_EXIT) != 0 ? new ExitStatus((int) data) : null;
        boolean child = filter == EVFILT_PROC && (fflags & NOTE_CHILD) != 0;
        switch (filter) {
            case EVFILT_VNODE -> what.addAll(Notes.vnode(fflags));
            case EVFILT_PROC -> {
                what.addAll(Notes.proc(fflags));
                if (exit != null) {
                    detail = exit.unknown() ? "exit status unknown" : exit.describe();
                } else if (child) {
                    detail = "child of " + data;
                }
            }
            case EVFILT_FS -> what.addAll(Notes.fs(fflags));
            case EVFILT_SIGNAL -> {
                what.add("SIGNAL");
                detail = data + " delivered";
            }
            case EVFILT_TIMER -> {
                what.add("TIMER");
                detail = data + " expired";
            }
            default -> what.add("filter " + filter);
        }
        if (!json) {
            return String.format(Locale.ROOT, "%s  %-6s %s  %s%s", time, src.kind(), src.name(), String.join("|", what),
                    detail.isEmpty() ? "" : "  (" + detail + ")");
        }
        StringBuilder sb = new StringBuilder("{\"time\":\"").append(time).append("\",\"source\":\"")
                .append(src.kind()).append("\",\"name\":").append(Json.string(src.name()))
                .append(",\"ident\":").append(ev.ident(i)).append(",\"events\":[");
        for (int k = 0; k < what.size(); k++) {
            sb.append(k == 0 ? "" : ",").append(Json.string(what.get(k)));
        }
        sb.append(child ? "],\"parent\":" + data + ",\"fflags\":" : "],\"fflags\":");
        sb.append(Integer.toUnsignedLong(fflags)).append(",\"data\":").append(data);
        if (exit != null && !exit.unknown()) {
            if (exit.exited()) {
                sb.append(",\"exitCode\":").append(exit.code());
            } else {
                sb.append(",\"signal\":").append(Json.string(SignalNames.name(exit.signal())));
            }
        }
        return sb.append('}').toString();
    }

    /**
     * A wait(2) status, as NOTE_EXIT reports it in data: an exit code, or the
     * signal that ended the process; -1 where the kernel kept none (older
     * kernels, see the README).
     */
    record ExitStatus(int status) {
        boolean unknown() {
            return status == -1;
        }

        boolean exited() {
            return (status & 0x7f) == 0;
        }

        int code() {
            return (status >> 8) & 0xff;
        }

        int signal() {
            return status & 0x7f;
        }

        /** "exit code N" or "killed by NAME", for a known status. */
        String describe() {
            return exited() ? "exit code " + code() : "killed by " + SignalNames.name(signal());
        }
    }

    /** Names of NOTE_* bits. */
    static final class Notes {
        private Notes() {}

        static final int[] BITS = {NOTE_DELETE, NOTE_WRITE, NOTE_EXTEND, NOTE_ATTRIB, NOTE_LINK,
                NOTE_RENAME, NOTE_REVOKE, NOTE_OPEN, NOTE_CLOSE, NOTE_CLOSE_WRITE, NOTE_READ};
        static final String[] NAMES = {"DELETE", "WRITE", "EXTEND", "ATTRIB", "LINK", "RENAME", "REVOKE",
                "OPEN", "CLOSE", "CLOSE_WRITE", "READ"};

        private static final int[] PROC_BITS = {NOTE_FORK, NOTE_EXEC, NOTE_EXIT, NOTE_CHILD, NOTE_TRACKERR};
        private static final String[] PROC_NAMES = {"FORK", "EXEC", "EXIT", "CHILD", "TRACKERR"};

        private static final int[] FS_BITS = {VQ_MOUNT, VQ_UNMOUNT, VQ_NOTRESP, VQ_NEEDAUTH, VQ_LOWDISK, VQ_DEAD,
                VQ_ASSIST, VQ_NOTRESPLOCK};
        private static final String[] FS_NAMES = {"MOUNT", "UNMOUNT", "NOTRESP", "NEEDAUTH", "LOWDISK", "DEAD",
                "ASSIST", "NOTRESPLOCK"};

        static List<String> vnode(int fflags) {
            return names(fflags, BITS, NAMES);
        }

        static List<String> fs(int fflags) {
            return names(fflags, FS_BITS, FS_NAMES);
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
}
