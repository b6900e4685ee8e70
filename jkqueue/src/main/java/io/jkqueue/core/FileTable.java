package io.jkqueue.core;

import java.lang.ref.WeakReference;
import java.nio.channels.Channel;
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
}
