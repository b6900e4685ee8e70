package io.jkqueue;

import static io.jkqueue.KEvent.*;
import static io.jkqueue.Kq.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a descriptor closed without EV_DELETE leaves behind: nothing, once a kevent call has looked. */
class ClosedDescriptorsTest {

    @Test
    void closedWatchedFilesGiveBackTheirInotifyWatches(@TempDir Path dir) throws Exception {
        int files = 300;
        int before = inotifyWatches();
        List<FileChannel> channels = new ArrayList<>();
        try (KQueue kq = KQueue.open()) {
            KEventList changes = new KEventList(files);
            for (int i = 0; i < files; i++) {
                FileChannel ch = FileChannel.open(Files.createFile(dir.resolve("f" + i)));
                channels.add(ch);
                changes.add(Fd.of(ch), EVFILT_VNODE, EV_ADD, NOTE_WRITE | NOTE_ATTRIB | NOTE_DELETE, 0, null);
            }
            kq.kevent(changes, null, 0);
            assertThat(inotifyWatches()).isEqualTo(before + files);
            for (FileChannel ch : channels) {
                ch.close();
            }
            long deadline = System.nanoTime() + 2 * WAIT.toNanos();
            while (inotifyWatches() > before && System.nanoTime() < deadline) {
                assertThat(waitFor(kq, 8, Duration.ofSeconds(2))).as("nothing for closed descriptors").isEmpty();
            }
            assertThat(inotifyWatches()).as("inotify watches left").isEqualTo(before);
        } finally {
            for (FileChannel ch : channels) {
                ch.close();
            }
        }
    }

    /** The watches of every inotify instance of this process (/proc/self/fdinfo). */
    private static int inotifyWatches() throws IOException {
        int n = 0;
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    if (!Files.readSymbolicLink(fd).toString().equals("anon_inode:inotify")) {
                        continue;
                    }
                    n += (int) Files.readAllLines(Path.of("/proc/self/fdinfo", fd.getFileName().toString())).stream()
                            .filter(l -> l.startsWith("inotify wd:")).count();
                } catch (IOException closedMeanwhile) {
                    // not ours to count
                }
            }
        }
        return n;
    }
}
