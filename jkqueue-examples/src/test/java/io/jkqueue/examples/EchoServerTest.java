package io.jkqueue.examples;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;

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
    void closedConnectionsAreDropped() throws Exception {
        try (EchoServer server = new EchoServer(new InetSocketAddress("127.0.0.1", 0), 2)) {
            EchoClients.shortConnections(new InetSocketAddress("127.0.0.1", server.port()), 200);
        }
    }

    @Test
    void aMessageManyBuffersLongComesBackWhole() throws Exception {
        try (EchoServer server = new EchoServer(new InetSocketAddress("127.0.0.1", 0), 2)) {
            EchoClients.bulkEcho(new InetSocketAddress("127.0.0.1", server.port()), 4 << 20);
        }
    }
}
