package io.jkqueue.core;

import java.lang.ref.WeakReference;
import java.nio.channels.Channel;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The JVM's side of fget: which channel a descriptor number belongs to, for
 * the numbers Fd.of handed out. While such a channel is open its number names
 * its file, so the number needs no statx to be known valid and current.
 */
public final class FileTable {
    private FileTable() {}

    private static final ConcurrentHashMap<Integer, WeakReference<Channel>> CHANNELS = new ConcurrentHashMap<>();

    /** Fd.of: {@code fd} is the descriptor of {@code ch}. */
    public static void remember(int fd, Channel ch) {
        CHANNELS.put(fd, new WeakReference<>(ch));
    }

    /** The open channel whose descriptor {@code fd} is, or null if none is known. */
    public static Channel channel(int fd) {
        WeakReference<Channel> ref = CHANNELS.get(fd);
        Channel ch = ref == null ? null : ref.get();
        return ch != null && ch.isOpen() ? ch : null;
    }
}
