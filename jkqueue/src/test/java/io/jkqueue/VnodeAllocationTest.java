package io.jkqueue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.jkqueue.KEvent.*;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bytes allocated by a write to a watched file and the kevent that reports
 * it (the inotify drain runs in the kevent call): none once compiled.
 */
@ExtendWith(KqExtension.class)
class VnodeAllocationTest {
    private static final int WRITES = 20_000;

    @TempDir
    Path dir;
    private final KQueue kq;
    private final List<FileChannel> open = new ArrayList<>();

    VnodeAllocationTest(KQueue kq) {
        this.kq = kq;
    }

    @AfterEach
    void closeChannels() throws IOException {
        for (FileChannel ch : open) {
            ch.close();
        }
    }

    private int watch(Path p, int fflags) throws IOException {
        FileChannel ch = FileChannel.open(p, READ);
        open.add(ch);
        int fd = Fd.of(ch);
        kq.kevent(new KEvent[] {KEvent.of(fd, EVFILT_VNODE, EV_ADD, fflags, 0, null)}, null, null);
        return fd;
    }

    @Test
    void aWriteAndItsNoteWriteAllocateNothing() throws Exception {
        assertNothingAllocatedPerWrite(0);
    }

    @Test
    void nothingEitherWithMoreWatchesThanSmallIntegersCached() throws Exception {
        assertNothingAllocatedPerWrite(200);   // the watched file's watch descriptor is past 127
    }

    private void assertNothingAllocatedPerWrite(int others) throws Exception {
        for (int i = 0; i < others; i++) {
            watch(Files.write(dir.resolve("other" + i), new byte[1]), NOTE_WRITE);
        }
        Path f = Files.write(dir.resolve("f"), new byte[8]);
        watch(f, NOTE_WRITE);
        FileChannel writer = FileChannel.open(f, WRITE);
        open.add(writer);
        ByteBuffer data = ByteBuffer.allocateDirect(8);
        KEventList events = new KEventList(1);
        long best = AllocationRounds.fewestBytesPerOp("a write and its NOTE_WRITE, " + others + " other watches",
                WRITES, 0, AllocationRounds::thisThread, () -> {
                    int missed = 0;
                    for (int i = 0; i < WRITES; i++) {
                        writer.write(data.clear(), 0);
                        int n = kq.kevent(null, events, Kq.WAIT.toNanos());
                        missed += n == 1 && events.fflags(0) == NOTE_WRITE ? 0 : 1;
                    }
                    assertThat(missed).as("writes without their NOTE_WRITE").isZero();
                });
        assertThat(best).as("bytes allocated per write and kevent in the best round after the first").isZero();
    }
}
