package io.jkqueue.examples;

import io.jkqueue.Fd;
import io.jkqueue.KEventList;
import io.jkqueue.KQueue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;

import static io.jkqueue.KEvent.EVFILT_READ;
import static io.jkqueue.KEvent.EV_ADD;
import static io.jkqueue.KEvent.EV_DELETE;
import static io.jkqueue.KEvent.EV_EOF;

/**
 * A TCP echo server whose workers share nothing: each owns a kqueue and the
 * connections dealt to it, watched level-triggered, so a worker's call needs
 * no change to hand a connection back. The first worker also accepts, and
 * deals each new connection to the next worker's kqueue in turn (kevent on
 * another thread's kqueue is safe). Beside {@link EchoServer}, whose workers
 * share one kqueue and take connections as they come, this trades balance
 * between the workers for no contention between them.
 *
 * <p>Usage: {@code ShardedEchoServer [port] [workers]} (defaults 7777 and the number of CPUs).
 */
public final class ShardedEchoServer implements AutoCloseable {
    private static final int BATCH = 1024;   // events a worker takes per call: a busy server has hundreds ready at once

    private final KQueue[] kqs;
    private final ServerSocketChannel server;
    private final int listenFd;
    private final KEventList dealt = new KEventList(1);   // the acceptor's change to a worker's kqueue
    private int nextWorker;                                // the acceptor's

    public ShardedEchoServer(InetSocketAddress address, int nworkers) throws IOException {
        kqs = new KQueue[nworkers];
        server = ServerSocketChannel.open();
        try {
            for (int i = 0; i < nworkers; i++) {
                kqs[i] = KQueue.open();
            }
            server.bind(address, 1024);
            server.configureBlocking(false);
            listenFd = Fd.of(server);
            KEventList add = new KEventList(1);
            add.add(listenFd, EVFILT_READ, EV_ADD, 0, 0, server);
            kqs[0].kevent(add, null, 0);
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
        for (int i = 0; i < nworkers; i++) {
            KQueue kq = kqs[i];
            Thread.ofPlatform().name("echo-worker-" + i).daemon().start(() -> work(kq));
        }
    }

    public int port() throws IOException {
        return ((InetSocketAddress) server.getLocalAddress()).getPort();
    }

    private void work(KQueue kq) {
        KEventList events = new KEventList(BATCH);
        KEventList deletes = new KEventList(BATCH);
        List<SocketChannel> closing = new ArrayList<>();
        ByteBuffer buf = ByteBuffer.allocateDirect(16 * 1024);
        try {
            for (;;) {
                int n = kq.kevent(null, events, -1);
                for (int i = 0; i < n; i++) {   // no changes in the call, so no EV_ERROR entries
                    if (events.ident(i) == listenFd) {
                        accept();
                    } else {
                        SocketChannel ch = (SocketChannel) events.udata(i);
                        if (!EchoServer.echo(ch, events.flags(i), buf)) {
                            deletes.add(events.ident(i), EVFILT_READ, EV_DELETE, 0, 0, null);
                            closing.add(ch);
                        }
                    }
                }
                if (!closing.isEmpty()) {
                    kq.kevent(deletes, null, 0);   // delete before close: the number may be reused at once
                    deletes.clear();
                    for (SocketChannel ch : closing) {
                        ch.close();
                    }
                    closing.clear();
                }
            }
        } catch (IOException closed) {
            // the kqueue was closed: the server is shutting down
        }
    }

    /** Accepts what is pending and deals each connection to the next worker's kqueue; the first worker's. */
    private void accept() throws IOException {
        SocketChannel ch;
        while ((ch = server.accept()) != null) {
            ch.configureBlocking(false);
            dealt.clear();
            dealt.add(Fd.of(ch), EVFILT_READ, EV_ADD, 0, 0, ch);
            kqs[nextWorker].kevent(dealt, null, 0);
            nextWorker = (nextWorker + 1) % kqs.length;
        }
    }

    @Override
    public void close() throws IOException {
        for (KQueue kq : kqs) {
            if (kq != null) {
                kq.close();
            }
        }
        server.close();
    }

    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 7777;
        int nworkers = args.length > 1 ? Integer.parseInt(args[1]) : Runtime.getRuntime().availableProcessors();
        try (ShardedEchoServer s = new ShardedEchoServer(new InetSocketAddress(port), nworkers)) {
            System.out.println("echo server on port " + s.port() + " with " + nworkers + " workers; Ctrl-C stops it");
            Thread.currentThread().join();
        }
    }
}
