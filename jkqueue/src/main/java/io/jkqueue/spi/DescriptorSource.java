package io.jkqueue.spi;

/**
 * An event source behind a descriptor that has to be read to learn what
 * happened (an inotify or netlink socket, shared by many knotes). Every
 * kqueue holding a knote on it keeps the descriptor in its epoll set and
 * calls {@link #drain()} when it turns readable; drain reads everything
 * there is (the descriptor is non-blocking and watched edge-triggered) and
 * calls {@link KnList#knote(long)} on the lists concerned. It runs with no
 * kqueue lock held, possibly in several threads at once.
 */
public interface DescriptorSource {
    /**
     * The descriptor the kqueues holding its knotes watch.
     *
     * @return its number (non-blocking)
     */
    int fd();

    /** Reads everything the descriptor has and calls {@link KnList#knote(long)} for it. */
    void drain();
}
