package io.jkqueue.cli;

import io.jkqueue.Errno;
import io.jkqueue.Fd;
import io.jkqueue.KEventList;
import io.jkqueue.KQueue;
import io.jkqueue.KQueueException;
import io.jkqueue.cli.EventFormat.Json;
import io.jkqueue.cli.EventFormat.Source;
import io.jkqueue.cli.Listing.Change;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import static io.jkqueue.KEvent.*;

/**
 * The --file paths, each watched with EVFILT_VNODE: a file, followed when it
 * is replaced under its path (an editor's atomic save, {@code sed -i}); a
 * directory, whose listing is kept and compared on its NOTE_WRITE to name
 * the entries created, deleted and renamed, each regular file in it watched
 * with a descriptor of its own for its writes, and with --recursive its
 * subdirectories too, as they appear.
 */
final class FileWatches implements AutoCloseable {
    /** A directory: not OPEN/READ/CLOSE, which jkq's own listing of it would cause. */
    static final int DIR_NOTES = NOTE_DELETE | NOTE_WRITE | NOTE_EXTEND | NOTE_ATTRIB | NOTE_LINK
            | NOTE_RENAME | NOTE_REVOKE;
    /** A file in a watched directory: its content and attributes (its name's changes come from the listing). */
    static final int ENTRY_NOTES = NOTE_WRITE | NOTE_EXTEND | NOTE_ATTRIB | NOTE_CLOSE_WRITE;
    /** A directory's notes that say an entry changed: the listing's changes name it instead. */
    private static final int ENTRY_CHANGES = NOTE_WRITE | NOTE_EXTEND | NOTE_LINK;

    private final KQueue kq;
    private final EventFormat format;
    private final boolean json;
    private final boolean recursive;
    private final PathFilter filter;
    private final int events;       // the --events notes: which of a file's or directory's own are reported
    private final int fileNotes;    // a named file's
    private final int entryNotes;   // a file's in a watched directory, 0: not watched
    private final PrintStream err;
    private final KEventList one = new KEventList(1);
    private final List<Watched> top = new ArrayList<>();
    private boolean warnedOfLimit;

    /**
     * {@code notes}: the --events notes. A named file also keeps NOTE_DELETE
     * and NOTE_RENAME, to be followed; a directory keeps its own notes, its
     * listing needs them.
     */
    FileWatches(KQueue kq, boolean json, boolean recursive, PathFilter filter, int notes, PrintStream err) {
        this.kq = kq;
        this.events = notes;
        this.fileNotes = notes | NOTE_DELETE | NOTE_RENAME;
        this.entryNotes = ENTRY_NOTES & notes;
        this.format = new EventFormat(json);
        this.json = json;
        this.recursive = recursive;
        this.filter = filter;
        this.err = err;
    }

    /** A descriptor jkq watches: the udata of its knote, so that an event never finds a later file with its number. */
    private abstract static sealed class Watched permits Dir, Entry, Named, Parent {
        int fd = -1;
    }

    /** A watched directory: the top one (no parent) or a subdirectory, named in its parent. */
    private static final class Dir extends Watched {
        final Dir parent;
        final Path top;
        String name;
        Listing listing = Listing.EMPTY;
        final Map<String, Watched> children = new TreeMap<>();

        Dir(Dir parent, Path top, String name) {
            this.parent = parent;
            this.top = top;
            this.name = name;
        }

        Path path() {
            return parent == null ? top : parent.path().resolve(name);
        }

        /** The path relative to the watched directory, which the globs match. */
        Path relative() {
            return parent == null ? Path.of("") : parent.relative().resolve(name);
        }
    }

    /** A regular file in a watched directory. */
    private static final class Entry extends Watched {
        final Dir dir;
        String name;

        Entry(Dir dir, String name) {
            this.dir = dir;
            this.name = name;
        }

        Path path() {
            return dir.path().resolve(name);
        }
    }

    /** A file given by path, and the file that its path named when it was opened. */
    private static final class Named extends Watched {
        final Path path;
        Object key;
        Parent waiting;   // its parent directory, watched while the path names no file

        Named(Path path) {
            this.path = path;
        }
    }

    /** The directory of a Named file whose path is gone: its NOTE_WRITE tells when the path may be back. */
    private static final class Parent extends Watched {
        Named named;

        Parent(Named named) {
            this.named = named;
        }
    }

    /** Watches a --file path; what stops it is an IllegalArgumentException saying so. */
    void add(Path p) throws IOException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(p, BasicFileAttributes.class);
        } catch (IOException e) {
            a = null;   // open says why
        }
        if (a != null && a.isDirectory()) {
            Dir d = new Dir(null, p, null);
            d.fd = openOrFail(p);
            top.add(d);
            registerOrFail(d, DIR_NOTES, p);
            d.listing = listOrFail(p);
            for (Map.Entry<String, Listing.Entry> e : d.listing.entries().entrySet()) {
                child(d, e.getKey(), e.getValue().type(), null, null);
            }
        } else {
            Named n = new Named(p);
            n.fd = openOrFail(p);
            top.add(n);
            registerOrFail(n, fileNotes, p);
            n.key = key(Path.of("/proc/self/fd", Integer.toString(n.fd)));
        }
    }

    /** Whether event {@code i} is about a --file path (its lines come from {@link #lines}). */
    boolean owns(KEventList ev, int i) {
        return ev.udata(i) instanceof Watched;
    }

    /** Whether event {@code i}, which {@link #owns} says is ours, is a change {@link #lines} reports: jkq run's test. */
    boolean changed(KEventList ev, int i) throws IOException {
        return !lines(ev, i, "").isEmpty();
    }

    /**
     * The lines for event {@code i}, which {@link #owns} says is ours: the
     * event's own line, and the entries it names; none for a descriptor
     * closed since the event was collected.
     */
    List<String> lines(KEventList ev, int i, String time) throws IOException {
        List<String> out = new ArrayList<>();
        Watched w = (Watched) ev.udata(i);
        if (w.fd < 0) {
            return out;
        }
        int fflags = ev.fflags(i);
        switch (w) {
            case Dir d -> {
                // a subdirectory's own removal and rename are its parent's listing changes
                int own = fflags & events & ~ENTRY_CHANGES & (d.parent == null ? ~0 : ~(NOTE_DELETE | NOTE_RENAME));
                if (own != 0) {
                    ev.set(i, ev.ident(i), ev.filter(i), ev.flags(i), own, ev.data(i), w);
                    out.add(format.line(time, new Source("file", d.path().toString()), ev, i));
                }
                if ((fflags & ENTRY_CHANGES) != 0) {
                    rescan(d, time, out);
                }
            }
            case Entry e -> out.add(format.line(time, new Source("file", e.path().toString()), ev, i));
            case Named n -> {
                // DELETE and RENAME are watched to follow the file, reported only when --events names them
                int own = fflags & events;
                if (own != 0) {
                    ev.set(i, ev.ident(i), ev.filter(i), ev.flags(i), own, ev.data(i), w);
                    out.add(format.line(time, new Source("file", n.path.toString()), ev, i));
                }
                if ((fflags & (NOTE_DELETE | NOTE_RENAME)) != 0) {
                    follow(n, (own & NOTE_DELETE) != 0, time, out);
                }
            }
            case Parent p -> follow(p.named, true, time, out);
        }
        return out;
    }

    /** kqueue's way to name a directory's changes: list it again and compare. */
    private void rescan(Dir d, String time, List<String> out) {
        Listing now;
        try {
            now = Listing.of(d.path());
        } catch (IOException gone) {
            return;   // the directory itself went: its parent's listing (or its own NOTE_DELETE) says so
        }
        List<Change> changes = now.since(d.listing);
        d.listing = now;
        for (Change c : changes) {
            Path from = d.relative().resolve(c.name());
            switch (c.what()) {
                case Change.CREATE -> child(d, c.name(), c.type(), time, out);
                case Change.DELETE -> {
                    Watched w = d.children.remove(c.name());
                    if (w instanceof Dir sub && removed(sub)) {
                        deleted(sub, time, out);
                    }
                    if (filter.reported(from)) {
                        out.add(entryLine(time, c.what(), d.path().resolve(c.name()), null, c.type()));
                    }
                    drop(w);
                }
                default -> {
                    Path to = d.relative().resolve(c.to());
                    if (filter.reported(from) || filter.reported(to)) {
                        out.add(entryLine(time, c.what(), d.path().resolve(c.name()), d.path().resolve(c.to()),
                                c.type()));
                    }
                    drop(d.children.remove(c.to()));   // the file it was renamed over
                    Watched w = d.children.remove(c.name());
                    if (w != null && watched(to, c.type())) {
                        rename(w, c.to());
                        d.children.put(c.to(), w);
                    } else {
                        drop(w);
                        child(d, c.to(), c.type(), null, null);
                    }
                }
            }
        }
    }

    /** Whether a watched subdirectory was removed (rmdir leaves no link), not renamed out of its parent. */
    private static boolean removed(Dir sub) {
        try {
            return ((Number) Files.getAttribute(Path.of("/proc/self/fd", Integer.toString(sub.fd)), "unix:nlink"))
                    .intValue() == 0;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * A removed directory's entries that its own events have not yet named:
     * all were deleted before it (rmdir needs it empty), the deepest first.
     */
    private void deleted(Dir sub, String time, List<String> out) {
        for (Map.Entry<String, Listing.Entry> e : new TreeMap<>(sub.listing.entries()).entrySet()) {
            if (sub.children.get(e.getKey()) instanceof Dir inner && removed(inner)) {
                deleted(inner, time, out);
            }
            if (filter.reported(sub.relative().resolve(e.getKey()))) {
                out.add(entryLine(time, Change.DELETE, sub.path().resolve(e.getKey()), null, e.getValue().type()));
            }
        }
    }

    /** Whether an entry at this relative path gets a watch of its own. */
    private boolean watched(Path relative, Listing.Type type) {
        return type == Listing.Type.DIR ? recursive && !filter.excluded(relative)
                : type == Listing.Type.FILE && filter.reported(relative);
    }

    private static void rename(Watched w, String name) {
        if (w instanceof Dir d) {
            d.name = name;
        } else {
            ((Entry) w).name = name;
        }
    }

    /**
     * An entry of {@code d}: reported as created when {@code out} is given,
     * and watched (a subdirectory, with --recursive, is listed at once once
     * its watch is set, so that what was created in it before is not lost).
     */
    private void child(Dir d, String name, Listing.Type type, String time, List<String> out) {
        Path relative = d.relative().resolve(name);
        if (filter.excluded(relative)) {
            return;
        }
        if (out != null && filter.reported(relative)) {
            out.add(entryLine(time, Change.CREATE, d.path().resolve(name), null, type));
        }
        if (!watched(relative, type)) {
            return;
        }
        if (type == Listing.Type.FILE) {
            Entry e = new Entry(d, name);
            if (entryNotes != 0 && open(e, e.path(), entryNotes)) {
                d.children.put(name, e);
            }
            return;
        }
        Dir sub = new Dir(d, null, name);
        if (!open(sub, sub.path(), DIR_NOTES)) {
            return;
        }
        d.children.put(name, sub);
        try {
            sub.listing = Listing.of(sub.path());
        } catch (IOException gone) {
            return;   // removed already: its parent's next listing drops it
        }
        for (Map.Entry<String, Listing.Entry> e : sub.listing.entries().entrySet()) {
            child(sub, e.getKey(), e.getValue().type(), time, out);
        }
    }

    /**
     * The path of a Named file no longer names it: when it names another file
     * (rename-over, delete and create), watch that one and say REPLACED; when
     * it names none, say DELETE (unless the event did) and watch its
     * directory until it is back.
     */
    private void follow(Named n, boolean deleteSaid, String time, List<String> out) {
        Object now = key(n.path);
        if (now != null && n.fd >= 0 && now.equals(n.key)) {
            return;   // renamed back, or another link of it went (once closed, its inode number may be reused)
        }
        if (now == null && n.waiting == null) {
            Parent p = new Parent(n);
            Path dir = n.path.toAbsolutePath().getParent();
            if (open(p, dir, NOTE_WRITE)) {
                n.waiting = p;
            }
            now = key(n.path);   // it may have come back before the watch was set
        }
        if (now == null) {
            if (n.fd >= 0) {
                close(n);
                if (!deleteSaid) {
                    out.add(entryLine(time, Change.DELETE, n.path, null, null));
                }
            }
            return;
        }
        close(n);
        if (!open(n, n.path, fileNotes)) {
            return;   // gone again: the directory's next change tries once more
        }
        n.key = key(Path.of("/proc/self/fd", Integer.toString(n.fd)));
        if (n.waiting != null) {
            drop(n.waiting);
            n.waiting = null;
        }
        out.add(entryLine(time, "REPLACED", n.path, null, null));
    }

    /** A line for a change that no single event names: an entry created, deleted or renamed, a file replaced. */
    private String entryLine(String time, String what, Path path, Path to, Listing.Type type) {
        if (!json) {
            String detail = (type == null || type == Listing.Type.FILE ? "" : type.word)
                    + (to == null ? "" : (type == null || type == Listing.Type.FILE ? "" : ", ") + "-> " + to);
            return String.format(Locale.ROOT, "%s  %-6s %s  %s%s", time, "file", path, what,
                    detail.isEmpty() ? "" : "  (" + detail + ")");
        }
        StringBuilder sb = new StringBuilder("{\"time\":\"").append(time).append("\",\"source\":\"file\",\"name\":")
                .append(Json.string(path.toString())).append(",\"events\":[\"").append(what).append("\"]");
        if (to != null) {
            sb.append(",\"to\":").append(Json.string(to.toString()));
        }
        if (type != null) {
            sb.append(",\"type\":\"").append(type.word).append('"');
        }
        return sb.append('}').toString();
    }

    /** Opens and watches a path found while watching; false when it cannot (gone, or a limit, said once). */
    private boolean open(Watched w, Path p, int notes) {
        try {
            w.fd = Fd.open(p);
        } catch (KQueueException e) {
            warn(p, e);
            return false;
        }
        try {
            register(w, notes);
            return true;
        } catch (KQueueException e) {
            warn(p, e);
            close(w);
            return false;
        }
    }

    private void warn(Path p, KQueueException e) {
        Errno errno = e.errno();
        if (errno == Errno.ENOENT || errno == Errno.ENOTDIR) {
            return;   // gone already: the listing says so
        }
        boolean limit = errno == Errno.EMFILE || errno == Errno.ENFILE || errno == Errno.ENOSPC
                || errno == Errno.ENOMEM;
        if (!limit) {
            err.println("jkq: cannot watch " + p + ": " + errno);
        } else if (!warnedOfLimit) {
            warnedOfLimit = true;
            err.println("jkq: cannot watch " + p + ": " + errno + (errno == Errno.ENOSPC
                    ? " (the inotify watch limit, fs.inotify.max_user_watches)" : " (no descriptor left)")
                    + "; this and later files are not watched");
        }
    }

    private void register(Watched w, int notes) throws KQueueException {
        one.clear();
        one.add(w.fd, EVFILT_VNODE, EV_ADD | EV_CLEAR, notes, 0, w);
        try {
            kq.kevent(one, null, 0);
        } catch (KQueueException e) {
            throw e;
        } catch (IOException e) {
            throw new KQueueException(Errno.EIO, e.getMessage());
        }
    }

    private static int openOrFail(Path p) {
        try {
            return Fd.open(p);
        } catch (KQueueException e) {
            throw new IllegalArgumentException("cannot watch file " + p + ": " + reason(e.errno()));
        }
    }

    private void registerOrFail(Watched w, int notes, Path p) {
        try {
            register(w, notes);
        } catch (KQueueException e) {
            throw new IllegalArgumentException("cannot watch file " + p + ": " + e.errno()
                    + (e.errno() == Errno.EINVAL ? " (not allowed here)" : ""), e);
        }
    }

    private static Listing listOrFail(Path p) {
        try {
            return Listing.of(p);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot list directory " + p + ": " + e);
        }
    }

    private static String reason(Errno errno) {
        return errno == Errno.ENOENT ? "no such file or directory"
                : errno == Errno.EACCES ? "permission denied" : errno.toString();
    }

    /** The identity (device and inode) of the file a path names now; null when it names none. */
    private static Object key(Path p) {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class).fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    /** Stops watching, a directory with everything under it. */
    private void drop(Watched w) {
        if (w == null) {
            return;
        }
        if (w instanceof Dir d) {
            for (Watched c : d.children.values()) {
                drop(c);
            }
            d.children.clear();
        } else if (w instanceof Named n && n.waiting != null) {
            drop(n.waiting);
        }
        close(w);
    }

    /** Closes the descriptor, and with it its knote (knote_fdclose). */
    private static void close(Watched w) {
        if (w.fd >= 0) {
            try {
                Fd.close(w.fd);
            } catch (KQueueException e) {
                // EBADF cannot happen: jkq opened it and closes it once
            }
            w.fd = -1;
        }
    }

    @Override
    public void close() {
        for (Watched w : top) {
            drop(w);
        }
    }
}
