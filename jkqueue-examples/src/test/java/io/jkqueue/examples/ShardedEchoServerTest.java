package io.jkqueue.examples;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;

/** The sharded echo example: connections dealt to two workers' kqueues. */
class ShardedEchoServerTest {
    private static final int CONNECTIONS = 1_000;
    private static final int ROUNDS = 3;

    @Test
    void echoesEveryMessageOnEveryConnection() throws Exception {
        try (ShardedEchoServer server = new ShardedEchoServer(new InetSocketAddress("127.0.0.1", 0), 2)) {
            EchoClients.echoRounds(new InetSocketAddress("127.0.0.1", server.port()), CONNECTIONS, ROUNDS);
        }
    }

    @Test
    void closedConnectionsAreDropped() throws Exception {
        try (ShardedEchoServer server = new ShardedEchoServer(new InetSocketAddress("127.0.0.1", 0), 2)) {
            EchoClients.shortConnections(new InetSocketAddress("127.0.0.1", server.port()), 200);
        }
    }

    @Test
    void aMessageManyBuffersLongComesBackWhole() throws Exception {
        try (ShardedEchoServer server = new ShardedEchoServer(new InetSocketAddress("127.0.0.1", 0), 2)) {
            EchoClients.bulkEcho(new InetSocketAddress("127.0.0.1", server.port()), 4 << 20);
        }
    }
}
