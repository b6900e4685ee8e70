package io.jkqueue.examples;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** The virtual-thread echo example: 1,000 connections, each its own parked virtual thread, and idle timeouts. */
class VirtualEchoServerTest {
    private static final int CONNECTIONS = 1_000;

    @Test
    void echoesOnEveryConnectionWithAThreadEach() throws Exception {
        try (VirtualEchoServer server = new VirtualEchoServer(new InetSocketAddress("127.0.0.1", 0), 60_000)) {
            InetSocketAddress addr = new InetSocketAddress("127.0.0.1", server.port());
            SocketChannel[] clients = new SocketChannel[CONNECTIONS];
            try {
                for (int i = 0; i < CONNECTIONS; i++) {
                    clients[i] = SocketChannel.open(addr);
                }
                for (int round = 0; round < 2; round++) {
                    for (int i = 0; i < CONNECTIONS; i++) {
                        clients[i].write(ByteBuffer.wrap(message(i, round)));
                    }
                    ByteBuffer in = ByteBuffer.allocate(64);
                    for (int i = 0; i < CONNECTIONS; i++) {
                        byte[] expected = message(i, round);
                        in.clear().limit(expected.length);
                        while (in.hasRemaining()) {
                            assertThat(clients[i].read(in)).isNotNegative();
                        }
                        assertThat(new String(in.array(), 0, expected.length, StandardCharsets.US_ASCII))
                                .isEqualTo(new String(expected, StandardCharsets.US_ASCII));
                    }
                }
            } finally {
                for (SocketChannel c : clients) {
                    if (c != null) {
                        c.close();
                    }
                }
            }
            assertThat(server.idleClosed()).isZero();
        }
    }

    @Test
    void anIdleConnectionIsClosedByItsTimerAndAnActiveOneIsNot() throws Exception {
        try (VirtualEchoServer server = new VirtualEchoServer(new InetSocketAddress("127.0.0.1", 0), 300);
             SocketChannel idle = SocketChannel.open(new InetSocketAddress("127.0.0.1", server.port()))) {
            // nothing sent: the server's timer ends the connection, which the client reads as end of stream
            assertThat(idle.read(ByteBuffer.allocate(1))).isEqualTo(-1);
            assertThat(server.idleClosed()).isEqualTo(1);
        }
    }

    private static byte[] message(int conn, int round) {
        return ("conn " + conn + " round " + round + "\n").getBytes(StandardCharsets.US_ASCII);
    }
}
