package io.netty.channel.epoll;

import io.netty.channel.unix.FileDescriptor;

import java.io.IOException;

/**
 * Netty's native epoll at the level its EpollEventLoop works: an epoll
 * descriptor from {@link Native#newEpollCreate()}, {@link Native#epollCtlAdd},
 * and {@code Native.epollWait} into an {@link EpollEventArray} (both
 * package-private, hence this class in Netty's package; the benchmark jar is
 * used on the class path). Level-triggered (EPOLLIN without EPOLLET), like
 * the kqueue and Selector variants it is compared with.
 */
public final class NettyEpoll implements AutoCloseable {
    private final FileDescriptor epfd;
    private final EpollEventArray events;

    public NettyEpoll(int maxEvents) throws IOException {
        Epoll.ensureAvailability();
        epfd = Native.newEpollCreate();
        events = new EpollEventArray(maxEvents);
    }

    public void add(int fd) throws IOException {
        Native.epollCtlAdd(epfd.intValue(), fd, Native.EPOLLIN);
    }

    public void delete(int fd) throws IOException {
        Native.epollCtlDel(epfd.intValue(), fd);
    }

    /** epoll_wait with timeout 0; the ready descriptors are then {@link #fd(int)}. */
    public int poll() throws IOException {
        return Native.epollWait(epfd, events, 0);
    }

    public int fd(int i) {
        return events.fd(i);
    }

    @Override
    public void close() throws IOException {
        events.free();
        epfd.close();
    }
}
