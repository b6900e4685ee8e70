package io.jkqueue.examples;

import io.jkqueue.Fd;
import io.jkqueue.KEventList;
import io.jkqueue.KQueue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

import static io.jkqueue.KEvent.EVFILT_READ;
import static io.jkqueue.KEvent.EV_ADD;
import static io.jkqueue.KEvent.EV_DELETE;
import static io.jkqueue.KEvent.EV_DISPATCH;
import static io.jkqueue.KEvent.EV_ENABLE;
import static io.jkqueue.KEvent.EV_EOF;

/**
 * A TCP echo server: every worker thread waits on the same kqueue; EV_DISPATCH
 * hands each readable connection to exactly one of them, which echoes what it
 * can read and re-enables the knote. The listening socket is a knote too.
 *
 * <p>Usage: {@code EchoServer [port] [workers]} (defaults 7777 and the number of CPUs).
 */
public final class EchoServer implements AutoCloseable {
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
        KEventList events = new KEventList(1);
        KEventList change = new KEventList(1);
        ByteBuffer buf = ByteBuffer.allocateDirect(16 * 1024);
        try {
            for (;;) {
                if (kq.kevent(null, events, -1) == 0) {
                    continue;
                }
                change.clear();
                if (events.ident(0) == listenFd) {
                    accept(change);
                } else {
                    echo((SocketChannel) events.udata(0), (int) events.ident(0), events.flags(0), buf, change);
                }
                kq.kevent(change, null, 0);
                if (change.size() == 1 && change.flags(0) == EV_DELETE) {
                    ((SocketChannel) events.udata(0)).close(); // after EV_DELETE: the number may be reused at once
                }
            }
        } catch (IOException closed) {
            // the kqueue was closed: the server is shutting down
        }
    }

    private void accept(KEventList change) throws IOException {
        SocketChannel ch;
        while ((ch = server.accept()) != null) {
            ch.configureBlocking(false);
            change.add(Fd.of(ch), EVFILT_READ, EV_ADD | EV_DISPATCH, 0, 0, ch);
        }
        change.add(listenFd, EVFILT_READ, EV_ENABLE, 0, 0, server);
    }

    private static void echo(SocketChannel ch, int fd, int flags, ByteBuffer buf, KEventList change) {
        try {
            int n;
            while ((n = ch.read(buf.clear())) > 0) {
                buf.flip();
                while (buf.hasRemaining()) {
                    if (ch.write(buf) == 0) {
                        Thread.onSpinWait(); // the peer is slow to read: an echo server may wait
                    }
                }
            }
            if (n < 0 || (flags & EV_EOF) != 0) {
                change.add(fd, EVFILT_READ, EV_DELETE, 0, 0, null);
            } else {
                change.add(fd, EVFILT_READ, EV_ENABLE, 0, 0, ch);
            }
        } catch (IOException e) {
            change.add(fd, EVFILT_READ, EV_DELETE, 0, 0, null);
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
