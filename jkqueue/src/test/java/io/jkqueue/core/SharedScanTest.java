package io.jkqueue.core;

import static io.jkqueue.KEvent.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.jkqueue.KEventList;
import io.jkqueue.spi.FilterOps;
import io.jkqueue.spi.Filters;
import io.jkqueue.spi.KnList;
import io.jkqueue.spi.Knote;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.jkqueue.filters.SystemFilters;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Several threads in kevent on one kqueue: a scan held up in one knote's
 * f_event never holds up another scan that has events of its own to take,
 * and a sleeper left asleep while an awake scanner worked is woken for what
 * that scanner leaves queued.
 */
class SharedScanTest {
    private static final int GATE = -23;
    private static final long WAIT_NANOS = TimeUnit.SECONDS.toNanos(30);

    /** A filter whose scan-time f_event of an armed knote waits at a gate (ident 1 only). */
    static final class GateFilter implements FilterOps {
        final KnList knotes = KnList.create();
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch open = new CountDownLatch(1);
        volatile boolean armed;

        @Override
        public boolean isFd() {
            return false;
        }

        @Override
        public int attach(Knote kn) {
            knotes.add(kn);
            return 0;
        }

        @Override
        public void detach(Knote kn) {
            knotes.remove(kn);
        }

        @Override
        public boolean event(Knote kn, long hint) {
            if (hint != 0) {
                kn.setData(hint);
            } else if (armed && kn.ident() == 1) {
                entered.countDown();
                try {
                    open.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return kn.data() != 0;
        }
    }

    private GateFilter gate;
    private KqueueImpl kq;
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @BeforeAll
    static void boot() {
        SystemFilters.install();
    }

    @BeforeEach
    void setUp() throws Exception {
        gate = new GateFilter();
        Filters.add(GATE, gate);
        kq = KqueueImpl.open();
        KEventList add = new KEventList(2);
        add.add(1, GATE, EV_ADD | EV_CLEAR, 0, 0, null);
        add.add(2, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, null);
        kq.kevent(add, null, 0);
        gate.armed = true;
    }

    @AfterEach
    void tearDown() throws Exception {
        gate.open.countDown();
        kq.close();
        threads.shutdownNow();
        Filters.delete(GATE);
    }

    private Future<KEventList> kevent(int slots) {
        return threads.submit(() -> {
            KEventList out = new KEventList(slots);
            kq.kevent(null, out, WAIT_NANOS);
            return out;
        });
    }

    private void triggerUser() throws Exception {
        KEventList trigger = new KEventList(1);
        trigger.add(2, EVFILT_USER, 0, NOTE_TRIGGER, 0, null);
        kq.kevent(trigger, null, 0);
    }

    private void awaitSleepers(int n) {
        long deadline = System.nanoTime() + WAIT_NANOS;
        for (;;) {
            kq.lock();
            int asleep = kq.wait.sleepers();
            kq.unlock();
            if (asleep == n) {
                return;
            }
            assertThat(System.nanoTime() - deadline).as("%d threads asleep in kevent", n).isNegative();
            LockSupport.parkNanos(1_000_000);
        }
    }

    @Test
    void aScanHeldUpInOneKnoteDoesNotHoldUpASecondScanWithEventsOfItsOwn() throws Exception {
        gate.knotes.knote(7);
        Future<KEventList> first = kevent(4);
        assertThat(gate.entered.await(30, TimeUnit.SECONDS)).as("the first scan reached the gate").isTrue();
        triggerUser();   // queued behind the first scan's marker: not that scan's to take
        Future<KEventList> second = kevent(4);
        KEventList got = second.get(30, TimeUnit.SECONDS);
        assertThat(first.isDone()).as("the first scan is still at the gate").isFalse();
        assertThat(got.size()).isEqualTo(1);
        assertThat(got.ident(0)).isEqualTo(2);
        assertThat(got.filter(0)).isEqualTo(EVFILT_USER);
        gate.open.countDown();
        KEventList held = first.get(30, TimeUnit.SECONDS);
        assertThat(held.size()).isEqualTo(1);
        assertThat(held.ident(0)).isEqualTo(1);
        assertThat(held.data(0)).isEqualTo(7);
    }

    @Test
    void aSleeperIsWokenForWhatAnAwakeScannerLeavesQueued() throws Exception {
        Future<KEventList> a = kevent(4);
        Future<KEventList> b = kevent(4);
        awaitSleepers(2);
        gate.knotes.knote(7);   // wakes one of them, which stops at the gate
        assertThat(gate.entered.await(30, TimeUnit.SECONDS)).as("a scan reached the gate").isTrue();
        awaitSleepers(1);
        triggerUser();   // behind the awake scanner's marker: it leaves it for the sleeper when it returns
        gate.open.countDown();
        KEventList ra = a.get(30, TimeUnit.SECONDS);
        KEventList rb = b.get(30, TimeUnit.SECONDS);
        assertThat(ra.size()).isEqualTo(1);
        assertThat(rb.size()).isEqualTo(1);
        assertThat(new long[] {ra.ident(0), rb.ident(0)}).containsExactlyInAnyOrder(1, 2);
    }
}
