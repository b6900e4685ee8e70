package io.jkqueue.examples;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

import static org.assertj.core.api.Assertions.assertThat;

/** The virtual-thread echo example: 1,000 connections, each its own parked virtual thread, and idle timeouts. */
class VirtualEchoServerTest {
    private static final int CONNECTIONS = 1_000;

    @Test
    void echoesOnEveryConnectionWithAThreadEach() throws Exception {
        try (VirtualEchoServer server = new VirtualEchoServer(new InetSocketAddress("127.0.0.1", 0), 60_000)) {
            EchoClients.echoRounds(new InetSocketAddress("127.0.0.1", server.port()), CONNECTIONS, 2);
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
}
