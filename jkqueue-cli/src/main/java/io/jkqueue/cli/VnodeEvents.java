package io.jkqueue.cli;

import io.jkqueue.cli.EventFormat.Notes;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** --events: the vnode notes to watch, named as jkq prints them (write,delete,rename), in any case. */
final class VnodeEvents {
    private VnodeEvents() {}

    /** Every vnode note. */
    static final int ALL = all();

    /** The fflags for a comma-separated list of names. */
    static int parse(String list) {
        int fflags = 0;
        for (String name : list.split(",", -1)) {
            fflags |= bit(name.trim());
        }
        return fflags;
    }

    private static int bit(String name) {
        for (int i = 0; i < Notes.NAMES.length; i++) {
            if (Notes.NAMES[i].equalsIgnoreCase(name)) {
                return Notes.BITS[i];
            }
        }
        List<String> names = new ArrayList<>();
        for (String n : Notes.NAMES) {
            names.add(n.toLowerCase(Locale.ROOT));
        }
        throw new IllegalArgumentException((name.isEmpty() ? "an empty event name" : "no event " + name)
                + " (one of " + String.join(",", names) + ")");
    }

    private static int all() {
        int fflags = 0;
        for (int bit : Notes.BITS) {
            fflags |= bit;
        }
        return fflags;
    }
}
