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
import static io.jkqueue.KEvent.EV_DISPATCH;
import static io.jkqueue.KEvent.EV_ENABLE;
import static io.jkqueue.KEvent.EV_EOF;
import static io.jkqueue.KEvent.EV_ERROR;

/**
 * A TCP echo server: every worker thread waits on the same kqueue; EV_DISPATCH
 * hands each readable connection to exactly one of them, which echoes what
 * the connection has and re-enables the knote in the same call that waits
 * for its next batch. The listening socket is a knote too.
 *
 * <p>Usage: {@code EchoServer [port] [workers]} (defaults 7777 and the number of CPUs).
 */
public final class EchoServer implements AutoCloseable {
    private static final int BATCH = 1024;   // events a worker takes per call: a busy server has hundreds ready at once

    private final KQueue kq;
    private final ServerSocketChannel server;
    private final int listenFd;
    private final Thread[] workers;

    public EchoServer(InetSocketAddress address, int nworkers) throws IOException {
        kq = KQueue.open();
        server = ServerSocketChannel.open();
        server.bind(address, 1024);
        server.configureBlocking(false);
        listenFd = Fd.of(server);
        KEventList add = new KEventList(1);
        add.add(listenFd, EVFILT_READ, EV_ADD | EV_DISPATCH, 0, 0, server);
        kq.kevent(add, null, 0);
        workers = new Thread[nworkers];
        for (int i = 0; i < nworkers; i++) {
            workers[i] = Thread.ofPlatform().name("echo-worker-" + i).daemon().start(this::work);
        }
    }

    public int port() throws IOException {
        return ((InetSocketAddress) server.getLocalAddress()).getPort();
    }

    private void work() {
        KEventList events = new KEventList(BATCH);
        KEventList changes = new KEventList(BATCH);
        List<SocketChannel> closing = new ArrayList<>();
        ByteBuffer buf = ByteBuffer.allocateDirect(16 * 1024);
        try {
            for (;;) {
                // one call hands back the last batch's connections and waits for the next batch
                int n = kq.kevent(changes, events, -1);
                changes.clear();
                for (int i = 0; i < n; i++) {
                    if ((events.flags(i) & EV_ERROR) != 0) {
                        continue;   // a change that failed (the call then returns only those)
                    }
                    if (events.ident(i) == listenFd) {
                        accept(changes);
                    } else {
                        SocketChannel ch = (SocketChannel) events.udata(i);
                        if (!echo(ch, events.flags(i), buf)) {
                            changes.add(events.ident(i), EVFILT_READ, EV_DELETE, 0, 0, null);
                            closing.add(ch);
                        } else {
                            changes.add(events.ident(i), EVFILT_READ, EV_ENABLE, 0, 0, ch);
                        }
                    }
                }
                if (!closing.isEmpty()) {
                    kq.kevent(changes, null, 0);   // delete before close: the number may be reused at once
                    changes.clear();
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

    private void accept(KEventList changes) throws IOException {
        SocketChannel ch;
        while ((ch = server.accept()) != null) {
            ch.configureBlocking(false);
            changes.add(Fd.of(ch), EVFILT_READ, EV_ADD | EV_DISPATCH, 0, 0, ch);
        }
        changes.add(listenFd, EVFILT_READ, EV_ENABLE, 0, 0, server);
    }

    /**
     * Echoes what the connection has, reading until a read comes back short
     * (bytes that come after it are reported again when the knote is
     * re-enabled). It does not read the event's {@code data}: on Linux that
     * costs an ioctl, made only when a program asks. Returns false when the
     * connection is finished.
     */
    static boolean echo(SocketChannel ch, int flags, ByteBuffer buf) {
        try {
            int n;
            do {
                n = ch.read(buf.clear());
                if (n < 0) {
                    return false;
                }
                buf.flip();
                while (buf.hasRemaining()) {
                    if (ch.write(buf) == 0) {
                        Thread.onSpinWait(); // the peer is slow to read: an echo server may wait
                    }
                }
            } while (n == buf.capacity());
            return (flags & EV_EOF) == 0;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() throws IOException {
        kq.close();
        server.close();
    }

    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 7777;
        int nworkers = args.length > 1 ? Integer.parseInt(args[1]) : Runtime.getRuntime().availableProcessors();
        try (EchoServer s = new EchoServer(new InetSocketAddress(port), nworkers)) {
            System.out.println("echo server on port " + s.port() + " with " + nworkers + " workers; Ctrl-C stops it");
            Thread.currentThread().join();
        }
    }
}
