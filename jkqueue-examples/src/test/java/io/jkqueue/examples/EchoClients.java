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

    private static byte[] message(int conn, int round) {
        return ("conn " + conn + " round " + round + "\n").getBytes(StandardCharsets.US_ASCII);
    }
}
