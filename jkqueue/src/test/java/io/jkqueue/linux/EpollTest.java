package io.jkqueue.linux;

import static org.assertj.core.api.Assertions.assertThat;

import io.jkqueue.ChildJvm;

import java.lang.management.ManagementFactory;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The epoll_wait the scans look and wait with: the ready entries, the errno
 * of a failure (asked again with errno captured), and no allocation even
 * where the JIT's escape analysis does not run.
 */
class EpollTest {

    @Test
    void aPollReportsAReadyDescriptor() {
        int ep = Epoll.create1(Epoll.EPOLL_CLOEXEC);
        int efd = EventFd.create(0, EventFd.EFD_CLOEXEC | EventFd.EFD_NONBLOCK);
        try {
            assertThat(Epoll.ctl(ep, Epoll.EPOLL_CTL_ADD, efd, Epoll.EPOLLIN, 42)).isZero();
            Epoll.Events events = new Epoll.Events(4);
            assertThat(events.epollWait(ep, 0)).isZero();
            EventFd.signal(efd);
            assertThat(events.epollWait(ep, 0)).isEqualTo(1);
            assertThat(events.data(0)).isEqualTo(42);
            assertThat(events.events(0) & Epoll.EPOLLIN).isEqualTo(Epoll.EPOLLIN);
        } finally {
            Libc.close(efd);
            Libc.close(ep);
        }
    }

    @Test
    void aFailedPollSetsErrno() {
        Epoll.Events events = new Epoll.Events(4);
        int efd = EventFd.create(0, EventFd.EFD_CLOEXEC);
        try {
            assertThat(events.epollWait(efd, 0)).as("not an epoll descriptor").isEqualTo(-1);
            assertThat(Libc.errno()).isEqualTo(LinuxErrno.EINVAL);
        } finally {
            Libc.close(efd);
        }
        assertThat(events.epollWait(efd, 0)).as("closed").isEqualTo(-1);
        assertThat(Libc.errno()).isEqualTo(LinuxErrno.EBADF);
    }

    @Test
    void aFailedWaitSetsErrno() {
        Epoll.Events events = new Epoll.Events(4);
        int efd = EventFd.create(0, EventFd.EFD_CLOEXEC);
        try {
            for (long timeout : new long[] {1_000_000, 1_500_000, -1}) {
                assertThat(events.epollWait(efd, timeout)).as("not an epoll descriptor, timeout %d ns", timeout)
                        .isEqualTo(-1);
                assertThat(Libc.errno()).isEqualTo(LinuxErrno.EINVAL);
            }
        } finally {
            Libc.close(efd);
        }
        assertThat(events.epollWait(efd, 1_000_000)).as("closed").isEqualTo(-1);
        assertThat(Libc.errno()).isEqualTo(LinuxErrno.EBADF);
    }

    @Test
    void aPollAllocatesNothingWithoutEscapeAnalysis() throws Exception {
        List<String> out = ChildJvm.run(ChildJvm.javaCommand(List.of("-XX:-DoEscapeAnalysis"), PollAllocation.class));
        assertThat(out).as("bytes allocated by 100,000 polls, after warm-up").containsExactly("0");
    }

    /** Polls an epoll set holding a ready eventfd, and prints what 100,000 polls allocated. */
    public static final class PollAllocation {
        public static void main(String[] args) {
            int ep = Epoll.create1(Epoll.EPOLL_CLOEXEC);
            int efd = EventFd.create(1, EventFd.EFD_CLOEXEC | EventFd.EFD_NONBLOCK);
            Epoll.ctl(ep, Epoll.EPOLL_CTL_ADD, efd, Epoll.EPOLLIN, 7);
            Epoll.Events events = new Epoll.Events(4);
            var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long best = Long.MAX_VALUE;
            for (int round = 0; round < 5; round++) {
                long before = threads.getCurrentThreadAllocatedBytes();
                int ready = 0;
                for (int i = 0; i < 100_000; i++) {
                    ready += events.epollWait(ep, 0);
                }
                long bytes = threads.getCurrentThreadAllocatedBytes() - before;
                if (ready != 100_000) {
                    throw new AssertionError("polls that missed the ready eventfd: " + (100_000 - ready));
                }
                if (round > 0) {
                    best = Math.min(best, bytes);
                }
            }
            System.out.println(best);
        }
    }
}
