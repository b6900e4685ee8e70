package io.jkqueue.linux;

import io.jkqueue.Fd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import static java.nio.file.StandardOpenOption.READ;
import static org.assertj.core.api.Assertions.assertThat;

/** The struct layouts read the fields the kernel fills: each against what the JDK or the test itself knows. */
class StructLayoutsTest {

    @Test
    void statxGivesWhatTheJdkSeesOfTheFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("f");
        Files.write(file, new byte[123]);
        Files.setLastModifiedTime(file, FileTime.from(1_700_000_000_123_456_789L, TimeUnit.NANOSECONDS));
        Files.createLink(dir.resolve("g"), file);
        try (FileChannel ch = FileChannel.open(file, READ)) {
            int fd = Fd.of(ch);
            Stat.Buffer stx = new Stat.Buffer();
            assertThat(stx.fstatx(fd)).isTrue();
            assertThat(stx.type()).isEqualTo(Stat.S_IFREG);
            assertThat(stx.size()).isEqualTo(123);
            assertThat(stx.nlink()).isEqualTo(2);
            assertThat(stx.ino()).isEqualTo(((Number) Files.getAttribute(file, "unix:ino")).longValue());
            assertThat(stx.mtime()).isEqualTo(1_700_000_000_123_456_789L);
            assertThat(stx.ctime()).isEqualTo(((FileTime) Files.getAttribute(file, "unix:ctime")).to(TimeUnit.NANOSECONDS));
            assertThat(Stat.names(fd, stx.dev(), stx.ino())).isTrue();
            assertThat(Stat.names(fd, stx.dev(), stx.ino() + 1)).isFalse();
            assertThat(stx.fstatx(Integer.MAX_VALUE)).isFalse();
        }
        try (FileChannel ch = FileChannel.open(dir, READ)) {
            Stat.Buffer stx = new Stat.Buffer();
            assertThat(stx.fstatx(Fd.of(ch))).isTrue();
            assertThat(stx.type()).isEqualTo(Stat.S_IFDIR);
        }
    }

    @Test
    void ioctlAndPollSeeTheBytesInAPipe() throws IOException {
        Pipe pipe = Pipe.open();
        try (Pipe.SourceChannel source = pipe.source(); Pipe.SinkChannel sink = pipe.sink()) {
            int fd = Fd.of(source);
            assertThat(Ioctl.fionread(fd)).isZero();
            assertThat(Poll.now(fd, Poll.POLLIN) & Poll.POLLIN).isZero();
            sink.write(ByteBuffer.wrap(new byte[5]));
            assertThat(Ioctl.fionread(fd)).isEqualTo(5);
            assertThat(Poll.now(fd, Poll.POLLIN) & Poll.POLLIN).isEqualTo(Poll.POLLIN);
        }
        assertThat(Ioctl.fionread(-1)).isEqualTo(-1);
        assertThat(Ioctl.outq(-1)).isEqualTo(-1);
    }

    @Test
    void tcpInfoGivesTheAcceptQueueAndTheBytesAcknowledged() throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open()
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8)) {
            int listener = Fd.of(server);
            assertThat(Sockets.intOption(listener, Sockets.SOL_SOCKET, Sockets.SO_ACCEPTCONN)).isEqualTo(1);
            assertThat(Sockets.intOption(listener, Sockets.SOL_SOCKET, Sockets.SO_PROTOCOL))
                    .isEqualTo(Sockets.IPPROTO_TCP);
            try (SocketChannel a = SocketChannel.open(server.getLocalAddress());
                    SocketChannel b = SocketChannel.open(server.getLocalAddress())) {
                awaitValue(() -> Sockets.tcpAcceptQueue(listener), 2);
                try (SocketChannel peer = server.accept()) {
                    awaitValue(() -> Sockets.tcpAcceptQueue(listener), 1);
                    int fd = Fd.of(a);
                    long before = Sockets.tcpBytesAcked(fd);   // Linux counts the SYN
                    assertThat(before).isNotNegative();
                    a.write(ByteBuffer.wrap(new byte[1000]));
                    awaitValue(() -> Sockets.tcpBytesAcked(fd), before + 1000);   // acknowledged, though unread
                    awaitValue(() -> Ioctl.outq(fd), 0);
                    assertThat(Ioctl.fionread(Fd.of(peer))).isEqualTo(1000);
                }
            }
        }
        assertThat(Sockets.tcpBytesAcked(-1)).isEqualTo(-1);
    }

    /** Polls {@code value} until it gives {@code expected}, for at most five seconds. */
    private static void awaitValue(LongSupplier value, long expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (value.getAsLong() != expected && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertThat(value.getAsLong()).isEqualTo(expected);
    }
}
