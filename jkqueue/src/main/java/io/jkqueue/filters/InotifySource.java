package io.jkqueue.filters;

import io.jkqueue.Errno;
import io.jkqueue.linux.Inotify;
import io.jkqueue.linux.Libc;
import io.jkqueue.linux.Stat;
import io.jkqueue.spi.DescriptorSource;
import io.jkqueue.spi.KnList;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.jkqueue.KEvent.NOTE_ATTRIB;
import static io.jkqueue.KEvent.NOTE_CLOSE;
import static io.jkqueue.KEvent.NOTE_CLOSE_WRITE;
import static io.jkqueue.KEvent.NOTE_DELETE;
import static io.jkqueue.KEvent.NOTE_EXTEND;
import static io.jkqueue.KEvent.NOTE_LINK;
import static io.jkqueue.KEvent.NOTE_OPEN;
import static io.jkqueue.KEvent.NOTE_READ;
import static io.jkqueue.KEvent.NOTE_RENAME;
import static io.jkqueue.KEvent.NOTE_REVOKE;
import static io.jkqueue.KEvent.NOTE_WRITE;

/**
 * The JVM's one inotify instance, the event source of EVFILT_VNODE: one
 * inotify watch per watched file (shared by all knotes on it, in any kqueue),
 * each with the knlist its events go to as NOTE_* hints. It keeps the size,
 * link count and times of each file, to tell NOTE_EXTEND from NOTE_WRITE,
 * NOTE_LINK and NOTE_DELETE from NOTE_ATTRIB (an unlinked file that is still
 * open never gets IN_DELETE_SELF, but its link count drops to 0), and to
 * recover from a queue overflow by comparing every watched file with what it
 * was.
 */
final class InotifySource implements DescriptorSource {
    private static final int WATCH_MASK = Inotify.IN_ALL_EVENTS;
    private static final int CHILD_CHANGES = Inotify.IN_CREATE | Inotify.IN_DELETE
            | Inotify.IN_MOVED_FROM | Inotify.IN_MOVED_TO;

    /** One watched file: its knlist and what it looked like when last seen. */
    static final class Watch {
        final KnList knlist = KnList.create();
        final int wd;
        int fd;          // a descriptor of a knote on it, to look at the file again
        int users;
        boolean ignored; // the kernel dropped the watch (the file is gone)
        long size;
        int nlink;
        long mtime;
        long ctime;
        int pending;     // notes found and not yet handed to the knlist

        Watch(int wd) {
            this.wd = wd;
        }
    }

    private int ifd = -1;
    private final Map<Integer, Watch> byWd = new HashMap<>();
    private final MemorySegment buf = Arena.ofAuto().allocate(64 * 1024, 8);

    @Override
    public synchronized int fd() {
        return ifd;
    }

    /** Watches the file open as {@code fd}; returns its Watch, or null with the errno in {@code error[0]}. */
    synchronized Watch watch(int fd, int[] error) {
        if (ifd < 0) {
            ifd = Inotify.init1(Inotify.IN_NONBLOCK | Inotify.IN_CLOEXEC);
            if (ifd < 0) {
                error[0] = Errno.EMFILE.code();
                return null;
            }
        }
        int wd = Inotify.addWatch(ifd, "/proc/self/fd/" + fd, WATCH_MASK);
        if (wd < 0) {
            int errno = Libc.errno();
            error[0] = errno == Libc.EBADF || errno == Libc.ENOENT ? Errno.EBADF.code()
                    : errno == 28 ? Errno.ENOSPC.code() : Errno.EACCES.code();
            return null;
        }
        Watch w = byWd.computeIfAbsent(wd, Watch::new);
        if (w.users++ == 0) {
            w.fd = fd;
            snapshot(w);
        }
        return w;
    }

    synchronized void release(Watch w) {
        if (--w.users == 0) {
            if (!w.ignored) {
                Inotify.rmWatch(ifd, w.wd);
            }
            byWd.remove(w.wd, w);
        }
    }

    @Override
    public void drain() {
        List<Watch> changed = new ArrayList<>();
        synchronized (this) {
            long n;
            while ((n = Inotify.read(ifd, buf)) > 0) {
                for (long off = 0; off < n; off += Inotify.EVENT_HEADER + Inotify.nameLength(buf, off)) {
                    take(Inotify.wd(buf, off), Inotify.mask(buf, off), Inotify.nameLength(buf, off) > 0, changed);
                }
            }
        }
        for (Watch w : changed) {
            int notes;
            synchronized (this) {
                notes = w.pending;
                w.pending = 0;
            }
            if (notes != 0) {
                w.knlist.knote(notes);
            }
        }
    }

    /** One inotify event: what it means in NOTE_* for its watch. */
    private void take(int wd, int mask, boolean aboutChild, List<Watch> changed) {
        if ((mask & Inotify.IN_Q_OVERFLOW) != 0) {
            recoverFromOverflow(changed);
            return;
        }
        Watch w = byWd.get(wd);
        if (w == null) {
            return;
        }
        int notes = 0;
        if (aboutChild) {
            // a directory's entries: FreeBSD reports these on the directory, nothing else of its children
            if ((mask & CHILD_CHANGES) != 0) {
                notes = NOTE_WRITE | ((mask & Inotify.IN_ISDIR) != 0 ? NOTE_LINK : 0);
            }
        } else {
            if ((mask & (Inotify.IN_MODIFY | Inotify.IN_ATTRIB)) != 0) {
                notes |= compare(w, ((mask & Inotify.IN_MODIFY) != 0 ? SEEN_MODIFY : 0)
                        | ((mask & Inotify.IN_ATTRIB) != 0 ? SEEN_ATTRIB : 0));
            }
            if ((mask & Inotify.IN_ACCESS) != 0) {
                notes |= NOTE_READ;
            }
            if ((mask & Inotify.IN_OPEN) != 0) {
                notes |= NOTE_OPEN;
            }
            if ((mask & Inotify.IN_CLOSE_WRITE) != 0) {
                notes |= NOTE_CLOSE_WRITE;
            }
            if ((mask & Inotify.IN_CLOSE_NOWRITE) != 0) {
                notes |= NOTE_CLOSE;
            }
            if ((mask & Inotify.IN_DELETE_SELF) != 0) {
                notes |= NOTE_DELETE;
            }
            if ((mask & Inotify.IN_MOVE_SELF) != 0) {
                notes |= NOTE_RENAME;
            }
            if ((mask & Inotify.IN_UNMOUNT) != 0) {
                notes |= NOTE_REVOKE;
            }
        }
        if ((mask & Inotify.IN_IGNORED) != 0) {
            w.ignored = true;
            byWd.remove(wd, w);
        }
        post(w, notes, changed);
    }

    /** The queue overflowed and events were lost: look at every watched file for what changed. */
    private void recoverFromOverflow(List<Watch> changed) {
        for (Watch w : byWd.values()) {
            post(w, compare(w, SEEN_NOTHING), changed);
        }
    }

    private static void post(Watch w, int notes, List<Watch> changed) {
        if (notes != 0) {
            if (w.pending == 0) {
                changed.add(w);
            }
            w.pending |= notes;
        }
    }

    private static final int SEEN_MODIFY = 1;
    private static final int SEEN_ATTRIB = 2;
    private static final int SEEN_NOTHING = 4; // after an overflow: only the comparison tells

    /**
     * What changed, from what inotify saw ({@code seen}: SEEN_*) and a
     * comparison with the last snapshot, which is then renewed: a modification
     * is NOTE_WRITE (NOTE_EXTEND too if the file grew); an attribute change is
     * NOTE_LINK, or NOTE_DELETE once no link is left, when the link count
     * moved, else NOTE_ATTRIB. After an overflow the comparison alone decides.
     */
    private static int compare(Watch w, int seen) {
        MemorySegment stx = Libc.scratch();
        if (Stat.fstatx(w.fd, stx) != 0) {
            return (seen & SEEN_MODIFY) != 0 ? NOTE_WRITE : 0;
        }
        long size = Stat.size(stx);
        int nlink = Stat.nlink(stx);
        long mtime = Stat.mtime(stx);
        long ctime = Stat.ctime(stx);
        int notes = 0;
        if ((seen & SEEN_MODIFY) != 0 || (seen & SEEN_NOTHING) != 0 && (size != w.size || mtime != w.mtime)) {
            notes |= NOTE_WRITE;
            if (size > w.size) {
                notes |= NOTE_EXTEND;
            }
        }
        if (nlink != w.nlink) {
            notes |= nlink == 0 ? NOTE_DELETE : NOTE_LINK;
        } else if ((seen & SEEN_ATTRIB) != 0 || (seen & SEEN_NOTHING) != 0 && notes == 0 && ctime != w.ctime) {
            notes |= NOTE_ATTRIB;
        }
        w.size = size;
        w.nlink = nlink;
        w.mtime = mtime;
        w.ctime = ctime;
        return notes;
    }

    private static void snapshot(Watch w) {
        MemorySegment stx = Libc.scratch();
        if (Stat.fstatx(w.fd, stx) == 0) {
            w.size = Stat.size(stx);
            w.nlink = Stat.nlink(stx);
            w.mtime = Stat.mtime(stx);
            w.ctime = Stat.ctime(stx);
        }
    }
}
