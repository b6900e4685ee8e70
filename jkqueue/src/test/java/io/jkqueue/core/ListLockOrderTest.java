package io.jkqueue.core;

import static io.jkqueue.KEvent.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.jkqueue.Fd;
import io.jkqueue.KEventList;

import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

import io.jkqueue.filters.SystemFilters;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The scan takes a descriptor's knlist lock while it holds the kq lock only
 * when the list lock is free (knote() takes the list lock first, then the kq
 * lock): a thread inside knote() on that list never deadlocks with it.
 */
class ListLockOrderTest {
    private static final long WAIT_SECONDS = 30;

    @BeforeAll
    static void boot() {
        SystemFilters.install();
    }

    @Test
    void aScanMeetingAListLockHeldByAThreadThatWantsTheKqLockDeliversOnceItIsFree() throws Exception {
        KqueueImpl kq = KqueueImpl.open();
        Pipe p = Pipe.open();
        try {
            p.sink().write(ByteBuffer.wrap(new byte[2]));
            KEventList changes = new KEventList(1);
            int fd = Fd.of(p.source());
            changes.add(fd, EVFILT_READ, EV_ADD, 0, 0, null);
            kq.kevent(changes, null, 0);
            KEventList events = new KEventList(4);
            assertThat(kq.kevent(null, events, 0)).isEqualTo(1);
            kq.lock();
            KnListImpl list = kq.epoll.registration(fd).knlist;
            kq.unlock();

            CountDownLatch held = new CountDownLatch(1);
            FutureTask<Integer> scan = new FutureTask<>(() -> kq.kevent(null, events, 0));
            Thread scanner = new Thread(scan, "scanner");
            FutureTask<Void> holder = new FutureTask<>(() -> {
                list.lock.lock();   // as knote() does: the list lock, then the kq lock
                try {
                    held.countDown();
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
                    while (scanner.getState() != Thread.State.WAITING && System.nanoTime() < deadline) {
                        Thread.onSpinWait();   // until the scan waits for this list lock
                    }
                    kq.lock();
                    kq.unlock();
                } finally {
                    list.lock.unlock();
                }
                return null;
            });
            Thread holding = new Thread(holder, "list lock holder");
            holding.setDaemon(true);
            holding.start();
            held.await();
            scanner.setDaemon(true);
            scanner.start();
            assertThat(scan.get(WAIT_SECONDS, TimeUnit.SECONDS)).as("the ready pipe").isEqualTo(1);
            assertThat(events.data(0)).isEqualTo(2);
            holder.get(WAIT_SECONDS, TimeUnit.SECONDS);
        } finally {
            kq.close();
            p.source().close();
            p.sink().close();
        }
    }
}
