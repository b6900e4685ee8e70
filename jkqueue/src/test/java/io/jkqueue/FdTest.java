package io.jkqueue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channel;
import java.nio.channels.Channels;
import java.nio.channels.DatagramChannel;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static io.jkqueue.KEvent.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Fd.of: the descriptor of every JDK channel that has one, and a clear failure for one that has none. */
class FdTest {
    @Test
    void everyKindOfChannelGivesItsOwnDescriptorThatAKqueueAccepts(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("f");
        Files.write(file, new byte[3]);
        List<Channel> channels = new ArrayList<>();
        try (KQueue kq = KQueue.open()) {
            ServerSocketChannel tcpServer = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
            channels.add(tcpServer);
            channels.add(SocketChannel.open(tcpServer.getLocalAddress()));
            ServerSocketChannel unixServer = ServerSocketChannel.open(StandardProtocolFamily.UNIX)
                    .bind(UnixDomainSocketAddress.of(dir.resolve("s")));
            channels.add(unixServer);
            channels.add(SocketChannel.open(unixServer.getLocalAddress()));
            channels.add(DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", 0)));
            Pipe pipe = Pipe.open();
            channels.add(pipe.source());
            channels.add(pipe.sink());
            channels.add(FileChannel.open(file));
            Set<Integer> seen = new HashSet<>();
            for (Channel ch : channels) {
                int fd = Fd.of(ch);
                assertThat(fd).as("%s", ch).isNotNegative();
                assertThat(seen.add(fd)).as("%s has a descriptor of its own", ch).isTrue();
                // the descriptor is the channel's: EVFILT_WRITE accepts it (every one of these can be written or is a file)
                kq.kevent(new KEvent[] {KEvent.of(fd, ch instanceof Pipe.SourceChannel ? EVFILT_READ : EVFILT_WRITE,
                        EV_ADD, 0, 0, ch)}, null, Duration.ZERO);
            }
        } finally {
            for (Channel ch : channels) {
                ch.close();
            }
        }
    }

    @Test
    void aChannelWithoutADescriptorIsRefusedClearly() {
        Channel ch = Channels.newChannel(new ByteArrayInputStream(new byte[1]));
        assertThatThrownBy(() -> Fd.of(ch)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no file descriptor");
    }

    @Test
    void aClosedChannelIsRefused() throws IOException {
        Pipe pipe = Pipe.open();
        pipe.sink().close();
        assertThatThrownBy(() -> Fd.of(pipe.sink())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("closed");
        pipe.source().close();
    }

    @Test
    void aFileDescriptorGivesItsNumberAndAnInvalidOneMinusOne(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("f");
        Files.write(file, new byte[1]);
        try (FileInputStream in = new FileInputStream(file.toFile())) {
            assertThat(Fd.of(in.getFD())).isEqualTo(Fd.of(in.getChannel()));
        }
        assertThat(Fd.of(new FileDescriptor())).isEqualTo(-1);
    }

    @Test
    void withoutTheOpensEveryUseNamesTheFlags(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("f"), "");
        String opens = "; run with --add-opens java.base/sun.nio.ch=ALL-UNNAMED --add-opens java.base/java.io=ALL-UNNAMED"
                + " (or =io.jkqueue on the module path)";
        String fdField = "java.lang.IllegalStateException: cannot read FileDescriptor.fd" + opens;
        // sun.nio.ch open, java.io not: a FileChannel's reader is made, and reads FileDescriptor.fd
        assertThat(ChildJvm.run(ChildJvm.javaCommand(List.of("--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED"),
                NoOpensChild.class, file.toString()))).containsExactly(fdField, fdField, fdField, fdField);
        String channel = "java.lang.IllegalStateException: cannot read the descriptor of sun.nio.ch.FileChannelImpl"
                + opens;
        assertThat(ChildJvm.run(ChildJvm.javaCommand(NoOpensChild.class, file.toString())))
                .containsExactly(fdField, fdField, channel, channel);
    }

    /** Fd.of of a FileDescriptor twice, then of a FileChannel twice; prints what each threw. */
    public static final class NoOpensChild {
        public static void main(String[] args) throws IOException {
            try (FileInputStream in = new FileInputStream(args[0]); FileChannel ch = FileChannel.open(Path.of(args[0]))) {
                FileDescriptor fd = in.getFD();
                for (Runnable use : List.<Runnable>of(() -> Fd.of(fd), () -> Fd.of(fd),
                        () -> Fd.of(ch), () -> Fd.of(ch))) {
                    try {
                        use.run();
                        System.out.println("no exception");
                    } catch (Throwable t) {
                        System.out.println(t.getClass().getName() + ": " + t.getMessage());
                    }
                }
            }
        }
    }
}
