package io.jkqueue;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.jkqueue.KEvent.EVFILT_READ;
import static io.jkqueue.KEvent.EV_ADD;
import static io.jkqueue.KEvent.EV_CLEAR;
import static io.jkqueue.KEvent.EV_EOF;
import static org.assertj.core.api.Assertions.assertThat;

/** 10,000 concurrently registered loopback connections, their clients in a child process. */
class ManyConnectionsTest {
    private static final int N = 10_000;

    @Test
    void everyConnectionIsReportedOnceWithItsByteAndItsEof() throws Exception {
        List<SocketChannel> accepted = new ArrayList<>(N);
        try (KQueue kq = KQueue.open(); ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress("127.0.0.1", 0), N);
            int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
            String java = ProcessHandle.current().info().command().orElseThrow();
            Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                    LoopbackClients.class.getName(), String.valueOf(port), String.valueOf(N))
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try {
                KEventList changes = new KEventList(N);
                int maxFd = 0;
                while (accepted.size() < N) {
                    SocketChannel s = server.accept();
                    accepted.add(s);
                    int fd = Fd.of(s);
                    maxFd = Math.max(maxFd, fd);
                    changes.add(fd, EVFILT_READ, EV_ADD | EV_CLEAR, 0, 0, s);
                }
                assertThat(kq.kevent(changes, null, 0)).isZero();
                BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream()));
                assertThat(out.readLine()).isEqualTo("connected " + N);

                BitSet seen = new BitSet(maxFd + 1);
                KEventList events = new KEventList(1024);
                while (seen.cardinality() < N) {
                    int n = kq.kevent(null, events, TimeUnit.SECONDS.toNanos(30));
                    assertThat(n).as("events after %d of %d", seen.cardinality(), N).isPositive();
                    for (int i = 0; i < n; i++) {
                        int fd = (int) events.ident(i);
                        assertThat(seen.get(fd)).as("fd %d reported twice", fd).isFalse();
                        assertThat(events.data(i)).isEqualTo(1);
                        seen.set(fd);
                    }
                }
                // EV_CLEAR: nothing more until something changes
                assertThat(kq.kevent(null, events, 0)).isZero();

                child.getOutputStream().close();   // the child closes every connection
                BitSet eof = new BitSet(maxFd + 1);
                while (eof.cardinality() < N) {
                    int n = kq.kevent(null, events, TimeUnit.SECONDS.toNanos(30));
                    assertThat(n).as("EOFs after %d of %d", eof.cardinality(), N).isPositive();
                    for (int i = 0; i < n; i++) {
                        if ((events.flags(i) & EV_EOF) != 0) {
                            eof.set((int) events.ident(i));
                        }
                    }
                }
                assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
            } finally {
                child.destroyForcibly();
            }
        } finally {
            for (SocketChannel s : accepted) {
                s.close();
            }
        }
    }
}
