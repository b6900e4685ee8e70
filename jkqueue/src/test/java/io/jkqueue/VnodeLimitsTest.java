package io.jkqueue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

import static io.jkqueue.KEvent.EVFILT_VNODE;
import static io.jkqueue.KEvent.EV_ADD;
import static io.jkqueue.KEvent.NOTE_WRITE;
import static io.jkqueue.Kq.WAIT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * EVFILT_VNODE at the kernel's inotify limits: each limit is set to 0 for a
 * child JVM in a user namespace of its own (the limits are per user
 * namespace, and one's owner may lower them), so nothing else is affected.
 */
class VnodeLimitsTest {
    @TempDir
    Path dir;

    /** Registers EVFILT_VNODE on the file named by args[0] and prints "ok" or the errno. */
    public static final class Child {
        public static void main(String[] args) throws IOException {
            try (KQueue kq = KQueue.open(); FileChannel ch = FileChannel.open(Path.of(args[0]), StandardOpenOption.READ)) {
                kq.kevent(new KEvent[] {KEvent.of(Fd.of(ch), EVFILT_VNODE, EV_ADD, NOTE_WRITE, 0, null)}, null, null);
                System.out.println("ok");
            } catch (KQueueException e) {
                System.out.println(e.errno());
            }
        }
    }

    /** The child's answer with /proc/sys/user/{@code limit} at 0 in its user namespace. */
    private String childWith(String limit) throws Exception {
        Path f = Files.writeString(dir.resolve("f"), "abc");
        Process probe = new ProcessBuilder("unshare", "-Ur", "true").redirectErrorStream(true).start();
        assumeTrue(probe.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS) && probe.exitValue() == 0,
                "user namespaces are not available here (unshare -Ur failed)");
        String java = ProcessHandle.current().info().command().orElseThrow();
        String command = "echo 0 > /proc/sys/user/" + limit + " && exec \"$0\" \"$@\"";
        Process child = new ProcessBuilder("unshare", "-Ur", "sh", "-c", command, java,
                "--enable-native-access=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
                "--add-opens", "java.base/java.io=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Child.class.getName(), f.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(child.exitValue()).isZero();
            return new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void noInotifyWatchLeftIsEnospc() throws Exception {
        assertThat(childWith("max_inotify_watches")).isEqualTo("ENOSPC");
    }

    @Test
    void noInotifyInstanceLeftIsEmfile() throws Exception {
        assertThat(childWith("max_inotify_instances")).isEqualTo("EMFILE");
    }
}
