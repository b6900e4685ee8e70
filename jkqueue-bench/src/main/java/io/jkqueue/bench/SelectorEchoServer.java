package io.jkqueue.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * The JDK-Selector counterpart of io.jkqueue.examples.EchoServer: each of
 * {@code nthreads} threads runs its own Selector, on which the listening
 * socket is registered too (whoever sees it ready accepts, and keeps the
 * connection); a readable connection is echoed as EchoServer does it (read
 * all, write it back, spinning if the peer is slow to read).
 */
final class SelectorEchoServer implements AutoCloseable {
    private final ServerSocketChannel server;
    private final Selector[] selectors;
    private volatile boolean closed;

    SelectorEchoServer(InetSocketAddress address, int nthreads) throws IOException {
        server = ServerSocketChannel.open();
        server.bind(address, 1024);
        server.configureBlocking(false);
        selectors = new Selector[nthreads];
        for (int i = 0; i < nthreads; i++) {
            Selector sel = Selector.open();
            server.register(sel, SelectionKey.OP_ACCEPT);
            selectors[i] = sel;
            Thread.ofPlatform().name("selector-echo-" + i).daemon().start(() -> work(sel));
        }
    }

    int port() throws IOException {
        return ((InetSocketAddress) server.getLocalAddress()).getPort();
    }

    private void work(Selector sel) {
        ByteBuffer buf = ByteBuffer.allocateDirect(16 * 1024);
        try {
            while (!closed) {
                sel.select(key -> {
                    if (key.isAcceptable()) {
                        accept(sel);
                    } else if (key.isReadable()) {
                        echo(key, buf);
                    }
                });
            }
        } catch (IOException | ClosedSelectorException e) {
            // closed: shutting down
        } finally {
            for (SelectionKey k : sel.keys()) {
                closeQuietly(k.channel());
            }
            closeQuietly(sel);
        }
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // shutting down
        }
    }

    private void accept(Selector sel) {
        try {
            SocketChannel ch;
            while ((ch = server.accept()) != null) {
                ch.configureBlocking(false);
                ch.register(sel, SelectionKey.OP_READ);
            }
        } catch (IOException e) {
            // the listening socket was closed
        }
    }

    private static void echo(SelectionKey key, ByteBuffer buf) {
        SocketChannel ch = (SocketChannel) key.channel();
        try {
            int n;
            while ((n = ch.read(buf.clear())) > 0) {
                buf.flip();
                while (buf.hasRemaining()) {
                    if (ch.write(buf) == 0) {
                        Thread.onSpinWait();
                    }
                }
            }
            if (n < 0) {
                key.cancel();
                ch.close();
            }
        } catch (IOException e) {
            key.cancel();
            closeQuietly(ch);
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        for (Selector s : selectors) {
            s.wakeup();                 // each thread closes its selector and connections
        }
    }
}
