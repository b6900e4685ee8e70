package io.jkqueue.examples;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** Loopback clients of an echo example: each connection sends a line per round and reads it back. */
final class EchoClients {
    private EchoClients() {}

    /** Opens {@code connections} connections to {@code addr} and checks {@code rounds} echoes on each. */
    static void echoRounds(InetSocketAddress addr, int connections, int rounds) throws Exception {
        SocketChannel[] clients = new SocketChannel[connections];
        try {
            for (int i = 0; i < connections; i++) {
                clients[i] = SocketChannel.open(addr);
            }
            ByteBuffer in = ByteBuffer.allocate(64);
            for (int round = 0; round < rounds; round++) {
                for (int i = 0; i < connections; i++) {
                    clients[i].write(ByteBuffer.wrap(message(i, round)));
                }
                for (int i = 0; i < connections; i++) {
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

    /**
     * Sends {@code size} random bytes on one connection while reading the echo
     * back (a writer alone would fill both socket buffers and stall), and
     * checks that every byte came back in order.
     */
    static void bulkEcho(InetSocketAddress addr, int size) throws Exception {
        byte[] sent = new byte[size];
        new java.util.Random(size).nextBytes(sent);
        try (SocketChannel c = SocketChannel.open(addr)) {
            Thread writer = Thread.ofPlatform().start(() -> {
                try {
                    ByteBuffer out = ByteBuffer.wrap(sent);
                    while (out.hasRemaining()) {
                        c.write(out);
                    }
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            ByteBuffer in = ByteBuffer.allocate(size);
            while (in.hasRemaining()) {
                assertThat(c.read(in)).as("echoed %d of %d bytes", in.position(), size).isNotNegative();
            }
            writer.join();
            assertThat(in.array()).isEqualTo(sent);
        }
    }

    /** Opens, uses once and closes {@code times} connections one after another. */
    static void shortConnections(InetSocketAddress addr, int times) throws Exception {
        for (int i = 0; i < times; i++) {
            try (SocketChannel c = SocketChannel.open(addr)) {
                c.write(ByteBuffer.wrap(new byte[] {'x'}));
                ByteBuffer b = ByteBuffer.allocate(1);
                while (b.hasRemaining()) {
                    assertThat(c.read(b)).isNotNegative();
                }
                assertThat(b.get(0)).isEqualTo((byte) 'x');
            }
        }
    }

    private static byte[] message(int conn, int round) {
        return ("conn " + conn + " round " + round + "\n").getBytes(StandardCharsets.US_ASCII);
    }
}
