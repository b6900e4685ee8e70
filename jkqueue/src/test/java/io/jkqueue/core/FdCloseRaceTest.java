package io.jkqueue.core;

import io.jkqueue.Errno;
import io.jkqueue.Fd;
import io.jkqueue.KEventList;
import io.jkqueue.KQueueException;
import io.jkqueue.filters.SystemFilters;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicReference;

import static io.jkqueue.KEvent.EVFILT_READ;
import static io.jkqueue.KEvent.EV_ADD;
import static io.jkqueue.KEvent.EV_CLEAR;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fd.close against an EV_ADD of the same number on another thread: the
 * registration either comes first and its knote goes with the close
 * (knote_fdclose), or comes after and fails with EBADF (the seed's fget
 * finds no file). No knote is ever left on the closed number.
 */
class FdCloseRaceTest {
    @BeforeAll
    static void boot() {
        SystemFilters.install();
    }

    @Test
    void noKnoteOutlivesFdCloseOfItsNumber(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("f"), "x");
        KqueueImpl kq = KqueueImpl.open();
        try {
            for (int round = 0; round < 2000; round++) {
                int fd = Fd.open(f, StandardOpenOption.READ);
                AtomicReference<Throwable> failure = new AtomicReference<>();
                Thread adder = Thread.ofPlatform().start(() -> {
                    KEventList change = new KEventList(1);
                    try {
                        for (;;) {   // EV_ADD, then the same again (a modify), until the number is closed
                            change.clear();
                            change.add(fd, EVFILT_READ, EV_ADD | EV_CLEAR, 0, 0, null);
                            kq.kevent(change, null, 0);
                        }
                    } catch (KQueueException e) {
                        if (e.errno() != Errno.EBADF) {
                            failure.set(e);
                        }
                    } catch (Throwable t) {
                        failure.set(t);
                    }
                });
                Thread.onSpinWait();
                Fd.close(fd);
                adder.join();
                assertThat(failure.get()).isNull();
                assertThat(kq.fdKnoteCount()).as("knotes left on closed number %d in round %d", fd, round).isZero();
            }
        } finally {
            kq.close();
        }
    }
}
