package io.jkqueue.examples;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

import static org.assertj.core.api.Assertions.assertThat;

/** The echo example under 1,000 concurrent loopback connections. */
class EchoServerTest {
    private static final int CONNECTIONS = 1_000;
    private static final int ROUNDS = 3;

    @Test
    void echoesEveryMessageOnEveryConnection() throws Exception {
        try (EchoServer server = new EchoServer(new InetSocketAddress("127.0.0.1", 0), 2)) {
            EchoClients.echoRounds(new InetSocketAddress("127.0.0.1", server.port()), CONNECTIONS, ROUNDS);
        }
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
