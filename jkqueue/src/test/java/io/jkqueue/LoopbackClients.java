package io.jkqueue;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * A child process for the many-connections test: connects N sockets to the
 * given port, writes one byte on each, then holds them until its stdin closes.
 * It lives in another process so that both ends of 10,000 connections do not
 * have to fit under one process's descriptor limit.
 */
public final class LoopbackClients {
    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        int n = Integer.parseInt(args[1]);
        SocketChannel[] clients = new SocketChannel[n];
        InetSocketAddress addr = new InetSocketAddress("127.0.0.1", port);
        for (int i = 0; i < n; i++) {
            clients[i] = SocketChannel.open(addr);
        }
        for (SocketChannel c : clients) {
            c.write(ByteBuffer.wrap(new byte[] {1}));
        }
        System.out.println("connected " + n);
        System.out.flush();
        while (System.in.read() >= 0) {
            // hold the connections until the parent closes our stdin
        }
        for (SocketChannel c : clients) {
            c.close();
        }
    }
}
