package io.jkqueue.examples;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** The echo example under 1,000 concurrent loopback connections. */
class EchoServerTest {
    private static final int CONNECTIONS = 1_000;
    private static final int ROUNDS = 3;

    @Test
    void echoesEveryMessageOnEveryConnection() throws Exception {
        try (EchoServer server = new EchoServer(new InetSocketAddress("127.0.0.1", 0), 2)) {
            InetSocketAddress addr = new InetSocketAddress("127.0.0.1", server.port());
            SocketChannel[] clients = new SocketChannel[CONNECTIONS];
            try {
                for (int i = 0; i < CONNECTIONS; i++) {
                    clients[i] = SocketChannel.open(addr);
                }
                ByteBuffer in = ByteBuffer.allocate(64);
                for (int round = 0; round < ROUNDS; round++) {
                    for (int i = 0; i < CONNECTIONS; i++) {
                        clients[i].write(ByteBuffer.wrap(message(i, round)));
                    }
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
        }
    }

    private static byte[] message(int conn, int round) {
        return ("conn " + conn + " round " + round + "\n").getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void closedConnectionsAreDropped() throws IOException {
        try (EchoServer server = new EchoServer(new InetSocketAddress("127.0.0.1", 0), 2)) {
            InetSocketAddress addr = new InetSocketAddress("127.0.0.1", server.port());
            for (int i = 0; i < 200; i++) {
                try (SocketChannel c = SocketChannel.open(addr)) {
                    c.write(ByteBuffer.wrap(new byte[] {'x'}));
                    ByteBuffer b = ByteBuffer.allocate(1);
                    while (b.hasRemaining()) {
                        assertThat(c.read(b)).isNotNegative();
                    }
                }
            }
        }
    }
}
