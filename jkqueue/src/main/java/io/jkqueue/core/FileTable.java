package io.jkqueue.core;

import java.lang.ref.WeakReference;
import java.nio.channels.Channel;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The JVM's side of fget: which channel a descriptor number belongs to, for
 * the numbers Fd.of handed out. While such a channel is open its number names
 * its file, so the number needs no statx to be known valid and current.
 * Indexed by number (descriptors are small): a lookup allocates nothing.
 */
public final class FileTable {
    private FileTable() {}

    private static volatile AtomicReferenceArray<WeakReference<Channel>> table = new AtomicReferenceArray<>(1024);
    /** Numbers Fd.close is closing (from its knote_fdclose to the end of its close(2)), with how many closers each. */
    private static final ConcurrentHashMap<Integer, Integer> CLOSING = new ConcurrentHashMap<>();

    /** Fd.of: {@code fd} is the descriptor of {@code ch}. */
    public static void remember(int fd, Channel ch) {
        AtomicReferenceArray<WeakReference<Channel>> t = table;
        if (fd < t.length()) {
            WeakReference<Channel> ref = t.get(fd);
            if (ref != null && ref.get() == ch) {
                return;   // asked again for the same channel
            }
        }
        rememberSlow(fd, ch);
    }

    private static synchronized void rememberSlow(int fd, Channel ch) {
        AtomicReferenceArray<WeakReference<Channel>> t = table;
        if (fd >= t.length()) {
            // a reader of the old table misses the new entry, and falls back to statx
            AtomicReferenceArray<WeakReference<Channel>> grown =
                    new AtomicReferenceArray<>(Math.max(fd + 1, 2 * t.length()));
            for (int i = 0; i < t.length(); i++) {
                grown.set(i, t.get(i));
            }
            table = t = grown;
        }
        t.set(fd, new WeakReference<>(ch));
    }

    /** The open channel whose descriptor {@code fd} is, or null if none is known. */
    public static Channel channel(int fd) {
        AtomicReferenceArray<WeakReference<Channel>> t = table;
        WeakReference<Channel> ref = fd >= 0 && fd < t.length() ? t.get(fd) : null;
        Channel ch = ref == null ? null : ref.get();
        return ch != null && ch.isOpen() ? ch : null;
    }

    /** Fd.close is closing {@code fd}: fget finds no file (fdclose clears the table slot before knote_fdclose). */
    static void closing(int fd) {
        CLOSING.merge(fd, 1, Integer::sum);
    }

    /** The close(2) after {@link KqueueImpl#fdcloseAll} returned: the number may name a new file. */
    public static void closed(int fd) {
        CLOSING.computeIfPresent(fd, (n, closers) -> closers == 1 ? null : closers - 1);
    }

    /**
     * Whether Fd.close is closing {@code fd}. Read with a kq lock held, after
     * fdcloseAll marked it or before it dropped that kqueue's knotes.
     */
    static boolean isClosing(int fd) {
        return !CLOSING.isEmpty() && CLOSING.containsKey(fd);
    }
}
