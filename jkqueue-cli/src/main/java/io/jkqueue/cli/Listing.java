package io.jkqueue.cli;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A directory's entries, name to inode and type: what kqueue programs keep,
 * since a directory's NOTE_WRITE says only that an entry changed. Comparing
 * two listings names the entries created, deleted and renamed.
 */
final class Listing {
    /** An entry's type, as lstat(2) sees it (a symbolic link is not followed). */
    enum Type {
        FILE("file"), DIR("dir"), SYMLINK("symlink"), OTHER("other");

        final String word;

        Type(String word) {
            this.word = word;
        }
    }

    /** An entry: its file's identity (device and inode, BasicFileAttributes.fileKey) and type. */
    record Entry(Object key, Type type) {}

    /** What happened to the entries between two listings; {@code to} is the new name of a rename. */
    record Change(String what, String name, String to, Type type) {
        static final String CREATE = "CREATE";
        static final String DELETE = "DELETE";
        static final String RENAME = "RENAME";
    }

    private final Map<String, Entry> entries;

    Listing(Map<String, Entry> entries) {
        this.entries = Map.copyOf(entries);
    }

    static final Listing EMPTY = new Listing(Map.of());

    /** Lists a directory now; entries that vanish while it is read are left out. */
    static Listing of(Path dir) throws IOException {
        Map<String, Entry> found = new HashMap<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                try {
                    BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class,
                            LinkOption.NOFOLLOW_LINKS);
                    Type t = a.isDirectory() ? Type.DIR : a.isRegularFile() ? Type.FILE
                            : a.isSymbolicLink() ? Type.SYMLINK : Type.OTHER;
                    found.put(p.getFileName().toString(), new Entry(a.fileKey(), t));
                } catch (IOException gone) {
                    // removed between readdir and lstat: the next listing has it gone too
                }
            }
        }
        return new Listing(found);
    }

    Map<String, Entry> entries() {
        return entries;
    }

    /**
     * What changed from {@code before} to this listing, deletions first, then
     * renames, then creations, each by name. A file that is under a new name
     * (the same inode) was renamed; one renamed over an existing name
     * replaces it without a DELETE of the old file (as inotify's MOVED_TO).
     */
    List<Change> since(Listing before) {
        Map<Object, String> goneByKey = new HashMap<>();
        Map<String, Entry> gone = new TreeMap<>();
        for (Map.Entry<String, Entry> e : before.entries.entrySet()) {
            Entry now = entries.get(e.getKey());
            if (now == null || !now.key().equals(e.getValue().key())) {
                gone.put(e.getKey(), e.getValue());
                goneByKey.putIfAbsent(e.getValue().key(), e.getKey());
            }
        }
        List<Change> renamed = new ArrayList<>();
        List<Change> created = new ArrayList<>();
        for (Map.Entry<String, Entry> e : new TreeMap<>(entries).entrySet()) {
            Entry then = before.entries.get(e.getKey());
            if (then != null && then.key().equals(e.getValue().key())) {
                continue;
            }
            String from = goneByKey.remove(e.getValue().key());
            if (from != null) {
                gone.remove(from);
                gone.remove(e.getKey());   // renamed over: replaced, not deleted
                renamed.add(new Change(Change.RENAME, from, e.getKey(), e.getValue().type()));
            } else {
                created.add(new Change(Change.CREATE, e.getKey(), null, e.getValue().type()));
            }
        }
        List<Change> all = new ArrayList<>();
        gone.forEach((name, e) -> all.add(new Change(Change.DELETE, name, null, e.type())));
        all.addAll(renamed);
        all.addAll(created);
        return all;
    }
}
