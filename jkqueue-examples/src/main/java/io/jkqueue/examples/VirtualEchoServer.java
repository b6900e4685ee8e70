package io.jkqueue.examples;

import io.jkqueue.Fd;
import io.jkqueue.KEventList;
import io.jkqueue.KQueue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicInteger;

import static io.jkqueue.KEvent.EVFILT_READ;
import static io.jkqueue.KEvent.EVFILT_TIMER;
import static io.jkqueue.KEvent.EV_ADD;
import static io.jkqueue.KEvent.EV_EOF;
import static io.jkqueue.KEvent.EV_ONESHOT;

/**
 * A TCP echo server with one virtual thread per connection, written as
 * straight-line code: each connection's thread waits in one kevent on its
 * own kqueue for two things at once, its socket turning readable
 * (EVFILT_READ) and an idle timeout (EVFILT_TIMER, re-armed by every
 * message), and parks while it waits, so thousands of connections need only
 * the JVM's few carrier threads.
 *
 * <p>Usage: {@code VirtualEchoServer [port] [idle-ms]} (defaults 7777 and 10000).
 */
public final class VirtualEchoServer implements AutoCloseable {
    private static final int IDLE_TIMER = 1;

    private final ServerSocketChannel server;
    private final long idleMillis;
    private final Thread acceptor;
    private final AtomicInteger idleClosed = new AtomicInteger();

    public VirtualEchoServer(InetSocketAddress address, long idleMillis) throws IOException {
        this.idleMillis = idleMillis;
        server = ServerSocketChannel.open();
        server.bind(address, 1024);
        acceptor = Thread.ofVirtual().name("echo-acceptor").start(this::acceptLoop);
    }

    public int port() throws IOException {
        return ((InetSocketAddress) server.getLocalAddress()).getPort();
    }

    /** Connections closed because they were idle for longer than the timeout. */
    public int idleClosed() {
        return idleClosed.get();
    }

    private void acceptLoop() {
        try {
            for (;;) {
                SocketChannel ch = server.accept();   // a blocking accept parks the virtual thread
                Thread.ofVirtual().start(() -> serve(ch));
            }
        } catch (IOException closed) {
            // the server is shutting down
        }
    }

    /** One connection, from its first byte to its end or its idle timeout. */
    private void serve(SocketChannel ch) {
        ByteBuffer buf = ByteBuffer.allocate(16 * 1024);
        try (ch; KQueue kq = KQueue.open()) {
            ch.configureBlocking(false);
            KEventList changes = new KEventList(2);
            changes.add(Fd.of(ch), EVFILT_READ, EV_ADD, 0, 0, null);
            changes.add(IDLE_TIMER, EVFILT_TIMER, EV_ADD | EV_ONESHOT, 0, idleMillis, null);
            KEventList events = new KEventList(2);
            for (;;) {
                kq.kevent(changes, events, -1);   // parks until the socket is readable or the connection idled
                changes.clear();
                for (int i = 0; i < events.size(); i++) {
                    if (events.filter(i) == EVFILT_TIMER) {
                        idleClosed.incrementAndGet();
                        return;
                    }
                    if (!echo(ch, events.data(i), buf) || (events.flags(i) & EV_EOF) != 0) {
                        return;
                    }
                    // re-adding the timer starts its period afresh (filt_timertouch)
                    changes.add(IDLE_TIMER, EVFILT_TIMER, EV_ADD | EV_ONESHOT, 0, idleMillis, null);
                }
            }
        } catch (IOException e) {
            // the connection failed: it is closed on the way out
        }
    }

    /** Echoes the {@code readable} bytes the event reported; false when the peer is gone. */
    private static boolean echo(SocketChannel ch, long readable, ByteBuffer buf) throws IOException {
        while (readable > 0) {
            buf.clear().limit((int) Math.min(readable, buf.capacity()));
            int n = ch.read(buf);
            if (n < 0) {
                return false;
            }
            readable -= n;
            buf.flip();
            while (buf.hasRemaining()) {
                if (ch.write(buf) == 0) {
                    Thread.yield();   // the peer is slow to read: let other connections run meanwhile
                }
            }
        }
        return true;
    }

    @Override
    public void close() throws IOException {
        server.close();
        acceptor.interrupt();
    }

    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 7777;
        long idle = args.length > 1 ? Long.parseLong(args[1]) : 10_000;
        try (VirtualEchoServer s = new VirtualEchoServer(new InetSocketAddress(port), idle)) {
            System.out.println("virtual-thread echo server on port " + s.port() + ", idle timeout " + idle + " ms");
            Thread.currentThread().join();
        }
    }
}
