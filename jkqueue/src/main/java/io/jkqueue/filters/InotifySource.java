package io.jkqueue.filters;

import io.jkqueue.Errno;
import io.jkqueue.linux.Inotify;
import io.jkqueue.linux.Stat;
import io.jkqueue.spi.DescriptorSource;
import io.jkqueue.spi.KnList;
import io.jkqueue.spi.Knote;

import java.nio.channels.Channel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

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
 * inotify watch per watched file (its {@link Vnode}, shared by all knotes on
 * it, in any kqueue), each with the knlist its events go to as NOTE_* hints.
 * It keeps the size, link count and times of each file, to tell NOTE_EXTEND
 * from NOTE_WRITE, NOTE_LINK and NOTE_DELETE from NOTE_ATTRIB (an unlinked
 * file that is still open never gets IN_DELETE_SELF, but its link count drops
 * to 0), and to recover from a queue overflow by comparing every watched file
 * with what it was. A write is looked at (statx) only when a knote on the
 * file subscribes to a note the look can tell; otherwise the snapshot is
 * marked stale and renewed when such a knote attaches or is changed. A
 * watched directory's parent is watched too: a directory removed while held
 * open gets no event of its own, only its parent hears of it
 * (vop_rmdir_post's NOTE_DELETE).
 */
final class InotifySource implements DescriptorSource {
    /** The JVM's instance, the source of EVFILT_VNODE and of EVFILT_READ on regular files. */
    static final InotifySource JVM = new InotifySource();

    private static final int WATCH_MASK = Inotify.IN_ALL_EVENTS;
    // added to whatever the parent's watch has: a user's watch on it keeps all its events
    private static final int PARENT_MASK = Inotify.IN_DELETE | Inotify.IN_ONLYDIR | Inotify.IN_MASK_ADD;
    private static final int CHILD_CHANGES = Inotify.IN_CREATE | Inotify.IN_DELETE
            | Inotify.IN_MOVED_FROM | Inotify.IN_MOVED_TO;
    /** The notes a look at a written file can tell: its size grew, its link count moved. */
    static final int LOOK_NOTES = NOTE_EXTEND | NOTE_LINK | NOTE_DELETE;

    /** One watched file: its inotify watch, its knlist, the knotes' watches on it and what it looked like when last seen. */
    static final class Vnode {
        final KnList knlist = KnList.create();
        final int wd;
        final List<Watch> users = new ArrayList<>();   // the descriptors to look at the file through
        long dev;        // which file: every user's descriptor named it at attach
        long ino;
        boolean dir;
        Vnode parent;    // a directory's parent, whose IN_DELETE tells of its rmdir
        final List<Vnode> subdirs = new ArrayList<>();   // watched directories whose parent this is
        boolean ignored; // the kernel dropped the watch (the file is gone)
        long size;
        int nlink;
        long mtime;
        long ctime;
        // written since the last look (no knote wanted LOOK_NOTES): size and times are old, the link count is not
        volatile boolean stale;
        int pending;     // notes found and not yet handed to the knlist

        Vnode(int wd) {
            this.wd = wd;
        }
    }

    /**
     * The vnodes by watch descriptor: open addressing on the wd, so that taking
     * an event boxes nothing (inotify hands out wds in increasing order, never
     * reusing one soon, so a table indexed by wd would only grow).
     */
    static final class ByWd {
        private Vnode[] table = new Vnode[16];
        private int size;

        int capacity() {
            return table.length;
        }

        /** The vnode in slot {@code i}, or null. */
        Vnode at(int i) {
            return table[i];
        }

        private int home(int wd) {
            return (wd ^ (wd >>> 16)) & (table.length - 1);
        }

        Vnode get(int wd) {
            int mask = table.length - 1;
            Vnode v;
            for (int i = home(wd); (v = table[i]) != null; i = (i + 1) & mask) {
                if (v.wd == wd) {
                    return v;
                }
            }
            return null;
        }

        Vnode getOrAdd(int wd) {
            Vnode v = get(wd);
            if (v == null) {
                v = new Vnode(wd);
                if (2 * (size + 1) > table.length) {
                    Vnode[] old = table;
                    table = new Vnode[2 * old.length];
                    for (Vnode o : old) {
                        if (o != null) {
                            insert(o);
                        }
                    }
                }
                insert(v);
                size++;
            }
            return v;
        }

        private void insert(Vnode v) {
            int mask = table.length - 1;
            int i = home(v.wd);
            while (table[i] != null) {
                i = (i + 1) & mask;
            }
            table[i] = v;
        }

        /** Removes {@code v} if it is the one its wd maps to, moving back those it displaced. */
        void remove(Vnode v) {
            int mask = table.length - 1;
            int i = home(v.wd);
            while (table[i] != v) {
                if (table[i] == null) {
                    return;
                }
                i = (i + 1) & mask;
            }
            for (int j = (i + 1) & mask; table[j] != null; j = (j + 1) & mask) {
                int h = home(table[j].wd);
                // table[j] may fill the hole at i unless its home lies cyclically in (i, j]
                if (i <= j ? h <= i || h > j : h <= i && h > j) {
                    table[i] = table[j];
                    i = j;
                }
            }
            table[i] = null;
            size--;
        }
    }

    /** One knote's watch on a vnode: the descriptor that named the file at attach. */
    static final class Watch {
        final Vnode vnode;
        final int fd;
        private final Channel channel;   // from Fd.of: while it is open, its number names the file
        private final Knote vnodeKnote;  // an EVFILT_VNODE knote, whose fflags say whether writes are looked at

        private Watch(Vnode vnode, int fd, Channel channel, Knote vnodeKnote) {
            this.vnode = vnode;
            this.fd = fd;
            this.channel = channel;
            this.vnodeKnote = vnodeKnote;
        }

        /** Whether the number still names the file it named at attach (knote_fdclose otherwise). */
        boolean isCurrent() {
            return channel != null ? channel.isOpen() : Stat.names(fd, vnode.dev, vnode.ino);
        }

        /** statx of the file through this descriptor into {@code stx}; false if the number no longer names it. */
        private boolean look(Stat.Buffer stx) {
            return (channel == null || channel.isOpen()) && stx.fstatx(fd)
                    && stx.dev() == vnode.dev && stx.ino() == vnode.ino;
        }
    }

    private int ifd = -1;
    private final ByWd byWd = new ByWd();
    // both used under this object's lock
    private final Inotify.Events events = new Inotify.Events();
    private final Stat.Buffer stx = new Stat.Buffer();
    // vnodes whose pending notes are not yet handed to their knlist, in the order they changed
    private final ArrayDeque<Vnode> changed = new ArrayDeque<>();

    private InotifySource() {}

    @Override
    public synchronized int fd() {
        return ifd;
    }

    /** Watches the file of an EVFILT_VNODE knote: its Watch, or the errno code why not. */
    Acquired<Watch> watch(Knote kn) {
        return watch((int) kn.ident(), kn.channel(), kn);
    }

    /**
     * Watches the file open as {@code fd} for one knote, whose number Fd.of
     * handed out for {@code channel} (or null): its Watch, or the errno code
     * why not.
     */
    Acquired<Watch> watch(int fd, Channel channel) {
        return watch(fd, channel, null);
    }

    private synchronized Acquired<Watch> watch(int fd, Channel channel, Knote vnodeKnote) {
        if (ifd < 0) {
            ifd = Inotify.init1(Inotify.IN_NONBLOCK | Inotify.IN_CLOEXEC);
            if (ifd < 0) {
                return Acquired.failed(initError());
            }
        }
        int wd = Inotify.addWatch(ifd, "/proc/self/fd/" + fd, WATCH_MASK);
        if (wd < 0) {
            return Acquired.failed(addWatchError());
        }
        Vnode v = byWd.getOrAdd(wd);
        if (!look(v)) {
            // a new vnode, a parent's until now, or one whose users all closed their descriptors
            if (!stx.fstatx(fd)) {
                unwatchIfUnused(v);
                return Acquired.failed(Errno.EBADF.code());
            }
            v.dev = stx.dev();
            v.ino = stx.ino();
            v.dir = stx.type() == Stat.S_IFDIR;
            snapshot(v);
        } else if (v.stale) {
            snapshot(v);   // the new knote compares from now on; the others wanted nothing the old one told
        }
        Watch w = new Watch(v, fd, channel, vnodeKnote);
        v.users.add(w);
        if (v.dir && v.parent == null) {
            watchParent(v, fd);
        }
        return Acquired.of(w);
    }

    /**
     * Renews a stale snapshot for a knote that now subscribes to LOOK_NOTES
     * (an EV_ADD changed its fflags), so that it compares from now on.
     */
    synchronized void refresh(Vnode v) {
        if (v.stale && look(v)) {
            snapshot(v);
        }
    }

    synchronized void release(Watch w) {
        Vnode v = w.vnode;
        v.users.remove(w);
        unwatchIfUnused(v);
    }

    /** What kevent answers for a failed inotify_init1. */
    private static int initError() {
        Errno e = NativeError.last();
        return switch (e) {
            case ENFILE, ENOMEM -> e.code();
            case null, default -> Errno.EMFILE.code();   // EMFILE: this process's descriptors or the user's instances
        };
    }

    /** What kevent answers for a failed inotify_add_watch. */
    private static int addWatchError() {
        Errno e = NativeError.last();
        return switch (e) {
            case EBADF, ENOENT -> Errno.EBADF.code();   // the descriptor is gone from /proc/self/fd
            case ENOSPC, ENOMEM, EACCES -> e.code();    // the user's watch limit; no read permission on the file
            case null, default -> Errno.EINVAL.code();
        };
    }

    /** Has {@code v}'s parent directory (seen through {@code fd}, which names {@code v}) report v's removal. */
    private void watchParent(Vnode v, int fd) {
        int pwd = Inotify.addWatch(ifd, "/proc/self/fd/" + fd + "/..", PARENT_MASK);
        if (pwd < 0 || pwd == v.wd) {
            return;   // no permission to watch the parent (best effort), or the root
        }
        Vnode p = byWd.getOrAdd(pwd);
        p.subdirs.add(v);
        v.parent = p;
    }

    /** The watch goes once neither a knote nor a watched subdirectory needs it. */
    private void unwatchIfUnused(Vnode v) {
        if (!v.users.isEmpty() || !v.subdirs.isEmpty()) {
            return;
        }
        if (!v.ignored) {
            Inotify.rmWatch(ifd, v.wd);
        }
        byWd.remove(v);
        if (v.parent != null) {
            v.parent.subdirs.remove(v);
            unwatchIfUnused(v.parent);
            v.parent = null;
        }
    }

    /**
     * Reads the queue, then hands each changed vnode's notes to its knlist
     * without the lock (knote takes the list lock, then the kq lock); a drain
     * in another thread may hand some of them.
     */
    @Override
    public void drain() {
        boolean read = false;
        for (;;) {
            Vnode v;
            int notes;
            boolean last;
            synchronized (this) {
                if (!read) {
                    readQueue();
                    read = true;
                }
                v = changed.pollFirst();
                if (v == null) {
                    return;
                }
                notes = v.pending;
                v.pending = 0;
                last = changed.isEmpty();   // a drain that adds after this hands what it added itself
            }
            v.knlist.knote(notes);
            if (last) {
                return;
            }
        }
    }

    /**
     * Takes every queued event: one read, unless it filled the buffer. No read
     * to see EAGAIN: an event queued after it makes the edge-triggered watch
     * report again.
     */
    private void readQueue() {
        while (events.read(ifd)) {
            while (events.next()) {
                take(events.wd(), events.mask(), events.aboutEntry());
            }
            if (events.emptied()) {
                return;
            }
        }
    }

    /** One inotify event: what it means in NOTE_* for its vnode. */
    private void take(int wd, int mask, boolean aboutChild) {
        if ((mask & Inotify.IN_Q_OVERFLOW) != 0) {
            recoverFromOverflow();
            return;
        }
        Vnode v = byWd.get(wd);
        if (v == null) {
            return;
        }
        int notes = 0;
        if (aboutChild) {
            // a directory's entries: FreeBSD reports these on the directory, nothing else of its children
            if ((mask & CHILD_CHANGES) != 0) {
                notes = NOTE_WRITE;
                if ((mask & Inotify.IN_ISDIR) != 0) {
                    notes |= NOTE_LINK;
                    relink(v);   // the subdirectory's ".." moved the link count: not news for later
                }
            }
            if ((mask & (Inotify.IN_DELETE | Inotify.IN_ISDIR)) == (Inotify.IN_DELETE | Inotify.IN_ISDIR)) {
                for (Vnode sub : v.subdirs) {
                    post(sub, removed(sub));
                }
            }
        } else {
            if ((mask & (Inotify.IN_MODIFY | Inotify.IN_ATTRIB)) == Inotify.IN_MODIFY && !wantsLook(v)) {
                notes |= NOTE_WRITE;   // no statx: no knote on v would use what it tells
                v.stale = true;
            } else if ((mask & (Inotify.IN_MODIFY | Inotify.IN_ATTRIB)) != 0) {
                notes |= compare(v, ((mask & Inotify.IN_MODIFY) != 0 ? SEEN_MODIFY : 0)
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
                if (v.parent != null) {
                    notes |= reparent(v);
                }
            }
            if ((mask & Inotify.IN_UNMOUNT) != 0) {
                notes |= NOTE_REVOKE;
            }
        }
        if ((mask & Inotify.IN_IGNORED) != 0) {
            v.ignored = true;
            byWd.remove(v);
        }
        post(v, notes);
    }

    /**
     * A watched directory moved, perhaps to another parent: the new parent is
     * the one to hear of its removal. Returns NOTE_DELETE if it was removed
     * before that parent was watched.
     */
    private int reparent(Vnode v) {
        Vnode old = v.parent;
        old.subdirs.remove(v);
        v.parent = null;
        for (Watch u : v.users) {
            if (u.look(stx)) {
                watchParent(v, u.fd);
                break;
            }
        }
        unwatchIfUnused(old);
        return removed(v);
    }

    /**
     * The queue overflowed and events were lost: look at every watched file for
     * what changed (since its last look: a stale one's writes may have been
     * reported already).
     */
    private void recoverFromOverflow() {
        for (int i = 0; i < byWd.capacity(); i++) {
            Vnode v = byWd.at(i);
            if (v != null) {
                post(v, compare(v, SEEN_NOTHING));
            }
        }
    }

    /**
     * Whether an EVFILT_VNODE knote on {@code v} subscribes to a note a look at
     * a write can tell. Its fflags are read without its list lock: one that
     * gains such a note meanwhile renews the snapshot itself (refresh).
     */
    private static boolean wantsLook(Vnode v) {
        for (int i = 0; i < v.users.size(); i++) {
            Knote kn = v.users.get(i).vnodeKnote;
            if (kn != null && (kn.sfflags() & LOOK_NOTES) != 0) {
                return true;
            }
        }
        return false;
    }

    private void post(Vnode v, int notes) {
        if (notes != 0) {
            if (v.pending == 0) {
                changed.add(v);
            }
            v.pending |= notes;
        }
    }

    /** statx of {@code v} into {@link #stx} through a descriptor that still names it; false if none does. */
    private boolean look(Vnode v) {
        for (Watch u : v.users) {
            if (u.look(stx)) {
                return true;
            }
        }
        return false;
    }

    /** A subdirectory of {@code v} came or went: {@code v}'s link count is renewed. */
    private void relink(Vnode v) {
        if (look(v)) {
            v.nlink = stx.nlink();
        }
    }

    /** A directory was removed from {@code sub}'s parent: NOTE_DELETE if it was {@code sub} (no link is left). */
    private int removed(Vnode sub) {
        if (sub.nlink == 0 || !look(sub) || stx.nlink() != 0) {
            return 0;
        }
        sub.nlink = 0;
        return NOTE_DELETE;
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
     * The file is looked at through any descriptor that still names it.
     */
    private int compare(Vnode v, int seen) {
        if (!look(v)) {
            return (seen & SEEN_MODIFY) != 0 ? NOTE_WRITE : 0;
        }
        long size = stx.size();
        int nlink = stx.nlink();
        long mtime = stx.mtime();
        long ctime = stx.ctime();
        int notes = 0;
        if ((seen & SEEN_MODIFY) != 0 || (seen & SEEN_NOTHING) != 0 && (size != v.size || mtime != v.mtime)) {
            notes |= NOTE_WRITE;
            if (size > v.size) {
                notes |= NOTE_EXTEND;
            }
        }
        if (nlink != v.nlink) {
            notes |= nlink == 0 ? NOTE_DELETE : NOTE_LINK;
        } else if ((seen & SEEN_ATTRIB) != 0 || (seen & SEEN_NOTHING) != 0 && notes == 0 && ctime != v.ctime) {
            notes |= NOTE_ATTRIB;
        }
        snapshot(v);
        return notes;
    }

    /** Keeps what {@link #stx} says of {@code v}. */
    private void snapshot(Vnode v) {
        v.size = stx.size();
        v.nlink = stx.nlink();
        v.mtime = stx.mtime();
        v.ctime = stx.ctime();
        v.stale = false;
    }
}
