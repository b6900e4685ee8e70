package io.jkqueue;

import static io.jkqueue.KEvent.*;
import static io.jkqueue.Kq.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.jkqueue.spi.FilterOps;
import io.jkqueue.spi.Filters;
import io.jkqueue.spi.KnList;
import io.jkqueue.spi.Knote;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A Java object as an event source through io.jkqueue.spi: kqueue_add_filteropts /
 * kqueue_del_filteropts, filterops attach/detach/event and knlist/knote() of the seed.
 */
class SpiFilterTest {
    private static final int FILTER = -20;
    private static final long THROW = 666;

    /** An event source: anything that happens adds its hint to the knote's data. */
    static final class Source {
        final KnList knotes = KnList.create();

        void happened(long hint) {
            knotes.knote(hint);
        }
    }

    /** The filter: ident names a Source; f_event accumulates hints in data, sets fflags bit 0. */
    static final class SourceFilter implements FilterOps {
        final Map<Long, Source> sources = new ConcurrentHashMap<>();
        final AtomicInteger attached = new AtomicInteger();
        final AtomicInteger detached = new AtomicInteger();
        volatile int attachErrno;
        volatile boolean throwOnScan;
        volatile boolean throwOnAttach;
        volatile boolean watchIdentInAttach;
        volatile Callable<?> inAttach;   // run by attach first

        @Override
        public boolean isFd() {
            return false;
        }

        @Override
        public int attach(Knote kn) {
            if (inAttach != null) {
                try {
                    inAttach.call();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
            if (throwOnAttach) {
                throw new IllegalStateException("attach failed on purpose");
            }
            if (attachErrno != 0) {
                return attachErrno;
            }
            if (watchIdentInAttach) {
                return kn.channel() == null ? kn.watchFd(Knote.WATCH_READ) : Errno.EEXIST.code();
            }
            Source s = sources.get(kn.ident());
            if (s == null) {
                return Errno.ESRCH.code();
            }
            kn.setHook(s);
            s.knotes.add(kn);
            attached.incrementAndGet();
            return 0;
        }

        @Override
        public void detach(Knote kn) {
            ((Source) kn.hook()).knotes.remove(kn);
            detached.incrementAndGet();
        }

        @Override
        public boolean event(Knote kn, long hint) {
            if (hint == THROW || (hint == 0 && throwOnScan)) {
                throw new IllegalStateException("event failed on purpose");
            }
            if (hint != 0) {
                kn.setData(kn.data() + hint);
                kn.setFflags(kn.fflags() | 1);
            }
            return kn.data() != 0;
        }
    }

    private SourceFilter ops;
    private KQueue kq;

    @BeforeEach
    void setUp() throws Exception {
        ops = new SourceFilter();
        Filters.add(FILTER, ops);
        kq = KQueue.open();
    }

    @AfterEach
    void tearDown() {
        kq.close();
        try {
            Filters.delete(FILTER);
        } catch (KQueueException e) {
            // the test removed it already
        }
    }

    private Source source(long ident) {
        Source s = new Source();
        ops.sources.put(ident, s);
        return s;
    }

    @Test
    void aSourceFiresItsKnotes() throws Exception {
        Source s = source(1);
        apply(kq, ev(1, FILTER, EV_ADD | EV_CLEAR, 0, 0, "x"));
        assertThat(ops.attached).hasValue(1);
        assertThat(s.knotes.isEmpty()).isFalse();
        assertNoEvents(kq);
        s.happened(5);
        s.happened(7);
        KEvent e = one(kq);
        assertThat(e.ident()).isEqualTo(1);
        assertThat(e.filter()).isEqualTo(FILTER);
        assertThat(e.flags()).isEqualTo(EV_CLEAR);
        assertThat(e.data()).isEqualTo(12);
        assertThat(e.fflags()).isEqualTo(1);
        assertThat(e.udata()).isEqualTo("x");
        assertNoEvents(kq); // EV_CLEAR reset data, so f_event says no
        s.happened(1);
        assertThat(one(kq).data()).isEqualTo(1);
        apply(kq, ev(1, FILTER, EV_DELETE));
        assertThat(ops.detached).hasValue(1);
        assertThat(s.knotes.isEmpty()).isTrue();
        s.happened(3);
        assertNoEvents(kq);
    }

    @Test
    void withoutClearTheConditionIsReportedAgain() throws Exception {
        Source s = source(2);
        apply(kq, ev(2, FILTER, EV_ADD));
        s.happened(4);
        assertThat(one(kq).data()).isEqualTo(4);
        assertThat(one(kq).data()).isEqualTo(4);
    }

    @Test
    void oneSourceSeveralKqueues() throws Exception {
        Source s = source(3);
        try (KQueue other = KQueue.open()) {
            apply(kq, ev(3, FILTER, EV_ADD | EV_CLEAR));
            apply(other, ev(3, FILTER, EV_ADD | EV_CLEAR));
            s.happened(2);
            assertThat(one(kq).data()).isEqualTo(2);
            assertThat(one(other).data()).isEqualTo(2);
        }
        assertThat(ops.detached).as("closing a kqueue detaches its knotes").hasValue(1);
    }

    /**
     * A kevent made from inside a filter's attach, nested in a change list
     * that already read the clock for a timer, reads it again for its own
     * timers (Knote.uptime): its timer's delay counts from the nested call.
     */
    @Test
    void aTimerAddedByAKeventInsideAttachCountsFromThatCall() throws Exception {
        source(13);
        AtomicLong nestedStart = new AtomicLong();
        ops.inAttach = () -> {
            ops.inAttach = null;
            Thread.sleep(150);
            nestedStart.set(System.nanoTime());
            return kq.kevent(new KEvent[] {timer(15, EV_ADD | EV_ONESHOT, 0, 100)}, null, Duration.ZERO);
        };
        apply(kq, timer(14, EV_ADD | EV_ONESHOT, 0, 3_600_000), ev(13, FILTER, EV_ADD));
        assertThat(one(kq).ident()).isEqualTo(15);
        assertThat(System.nanoTime() - nestedStart.get()).as("ns from the nested call to its timer")
                .isGreaterThanOrEqualTo(100_000_000L);
    }

    @Test
    void knoteFromAnotherThreadWakesABlockedKevent() throws Exception {
        Source s = source(4);
        apply(kq, ev(4, FILTER, EV_ADD | EV_CLEAR));
        Background<Void> source = onceThisThreadBlocks(() -> s.happened(9));
        KEvent[] out = new KEvent[1];
        int n = kq.kevent(null, out, null);
        source.get();
        assertThat(n).isEqualTo(1);
        assertThat(out[0].data()).isEqualTo(9);
    }

    @Test
    void disabledAndDispatchWorkForJavaFilters() throws Exception {
        Source s = source(5);
        apply(kq, ev(5, FILTER, EV_ADD | EV_CLEAR | EV_DISPATCH));
        s.happened(1);
        assertThat(one(kq).flags()).isEqualTo(EV_CLEAR | EV_DISPATCH);
        s.happened(1);
        assertNoEvents(kq);
        apply(kq, ev(5, FILTER, EV_ENABLE));
        assertThat(one(kq).data()).isEqualTo(1);
    }

    @Test
    void deleteIsEbusyWhileKnotesExist() throws Exception {
        source(6);
        apply(kq, ev(6, FILTER, EV_ADD));
        assertThat(catchThrowableOfType(KQueueException.class, () -> Filters.delete(FILTER)).errno())
                .isEqualTo(Errno.EBUSY);
        apply(kq, ev(6, FILTER, EV_DELETE));
        Filters.delete(FILTER);
        // seed: a removed slot holds null_filtops (attach: ENXIO); the seed's table ends at -13, so
        // for the Java-only slots an empty slot may also be an unknown filter (EINVAL, SPEC §2)
        assertThat(applyFails(kq, ev(6, FILTER, EV_ADD))).isIn(Errno.ENXIO, Errno.EINVAL);
        // and the number can be taken again
        Filters.add(FILTER, ops);
        apply(kq, ev(6, FILTER, EV_ADD));
    }

    @Test
    void closingTheKqueueReleasesTheFilter() throws Exception {
        source(7);
        apply(kq, ev(7, FILTER, EV_ADD));
        kq.close();
        assertThat(ops.detached).hasValue(1);
        Filters.delete(FILTER);
    }

    @Test
    void addTwiceIsEexist() {
        assertThat(catchThrowableOfType(KQueueException.class, () -> Filters.add(FILTER, new SourceFilter())).errno())
                .isEqualTo(Errno.EEXIST);
        assertThat(catchThrowableOfType(KQueueException.class, () -> Filters.add(EVFILT_USER, new SourceFilter())).errno())
                .isEqualTo(Errno.EEXIST);
        assertThat(catchThrowableOfType(KQueueException.class, () -> Filters.add(EVFILT_TIMER, new SourceFilter())).errno())
                .isEqualTo(Errno.EEXIST);
    }

    @Test
    void outOfRangeNumbersAreEinval() {
        for (int f : new int[] {0, 1, 100, Filters.MIN_FILTER - 1, Integer.MIN_VALUE}) {
            assertThat(catchThrowableOfType(KQueueException.class, () -> Filters.add(f, new SourceFilter())).errno())
                    .as("add %d", f).isEqualTo(Errno.EINVAL);
            assertThat(catchThrowableOfType(KQueueException.class, () -> Filters.delete(f)).errno())
                    .as("delete %d", f).isEqualTo(Errno.EINVAL);
        }
        assertThat(Filters.MIN_FILTER).isLessThanOrEqualTo(-64);
    }

    @Test
    void deletingAFilterThatIsNotInstalledIsEinval() {
        assertThat(catchThrowableOfType(KQueueException.class, () -> Filters.delete(-21)).errno())
                .isEqualTo(Errno.EINVAL);
    }

    @Test
    void aJavaFilterCanUseTheLowestNumber() throws Exception {
        SourceFilter low = new SourceFilter();
        Filters.add(Filters.MIN_FILTER, low);
        try {
            Source s = new Source();
            low.sources.put(1L, s);
            apply(kq, ev(1, Filters.MIN_FILTER, EV_ADD | EV_CLEAR));
            s.happened(3);
            KEvent e = one(kq);
            assertThat(e.filter()).isEqualTo(Filters.MIN_FILTER);
            assertThat(e.data()).isEqualTo(3);
            apply(kq, ev(1, Filters.MIN_FILTER, EV_DELETE));
        } finally {
            Filters.delete(Filters.MIN_FILTER);
        }
    }

    @Test
    void attachErrorFailsTheChangeAndLeavesNoKnote() throws Exception {
        ops.attachErrno = Errno.EPERM.code();
        assertThat(applyFails(kq, ev(8, FILTER, EV_ADD))).isEqualTo(Errno.EPERM);
        ops.attachErrno = 0;
        assertThat(applyFails(kq, ev(8, FILTER, EV_ADD))).as("no source 8").isEqualTo(Errno.ESRCH);
        assertThat(applyFails(kq, ev(8, FILTER, EV_DELETE))).isEqualTo(Errno.ENOENT);
        assertThat(ops.detached).as("f_detach is not called for a knote whose attach failed").hasValue(0);
        Filters.delete(FILTER); // no reference was leaked
    }

    @Test
    void onlyADescriptorFiltersKnoteMayWatchItsIdentAsADescriptor() throws Exception {
        ops.watchIdentInAttach = true;
        java.nio.channels.Pipe p = java.nio.channels.Pipe.open();
        try {
            int fd = Fd.of(p.source());   // a real descriptor number: still not this filter's to watch
            assertThat(applyFails(kq, ev(fd, FILTER, EV_ADD))).isEqualTo(Errno.EINVAL);
            assertThat(applyFails(kq, ev(fd, FILTER, EV_DELETE))).isEqualTo(Errno.ENOENT);
        } finally {
            p.source().close();
            p.sink().close();
        }
    }

    @Test
    void anAttachErrorKeventCannotReportIsEinvalAndLeavesNoKnote() throws Exception {
        ops.attachErrno = 9999;   // no errno has this number
        assertThat(applyFails(kq, ev(8, FILTER, EV_ADD))).isEqualTo(Errno.EINVAL);
        KEvent[] out = new KEvent[1];
        assertThat(kq.kevent(new KEvent[] {ev(8, FILTER, EV_ADD)}, out, Duration.ZERO)).isEqualTo(1);
        assertThat(out[0].flags()).isEqualTo(EV_ERROR);
        assertThat(out[0].data()).isEqualTo(Errno.EINVAL.code());
        assertThat(applyFails(kq, ev(8, FILTER, EV_DELETE))).isEqualTo(Errno.ENOENT);
        Filters.delete(FILTER); // no reference was leaked
    }

    @Test
    void anEventThatThrowsInKnoteDoesNotCorruptTheKqueue() throws Exception {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            Source s = source(9);
            apply(kq, ev(9, FILTER, EV_ADD | EV_CLEAR));
            Thread t = new Thread(() -> {
                try {
                    s.happened(THROW);
                } catch (RuntimeException expected) {
                    // the source may see its filter's exception
                }
            });
            t.start();
            t.join(WAIT);
            assertThat(t.isAlive()).isFalse();
            assertStillWorks(s, 9);
        });
    }

    @Test
    void anEventThatThrowsDuringAScanDoesNotCorruptTheKqueue() throws Exception {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            Source s = source(10);
            apply(kq, ev(10, FILTER, EV_ADD | EV_CLEAR));
            s.happened(2); // queued
            ops.throwOnScan = true;
            catchThrowable(() -> kq.kevent(null, new KEvent[4], Duration.ZERO)); // may throw or not
            catchThrowable(() -> kq.kevent(null, new KEvent[4], Duration.ZERO));
            ops.throwOnScan = false;
            assertStillWorks(s, 10);
        });
    }

    @Test
    void anEventThatThrowsDuringRegisterDoesNotCorruptTheKqueue() throws Exception {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            Source s = source(11);
            ops.throwOnScan = true; // f_event(kn, 0) also runs at the end of EV_ADD
            catchThrowable(() -> kq.kevent(new KEvent[] {ev(11, FILTER, EV_ADD | EV_CLEAR)}, null, Duration.ZERO));
            ops.throwOnScan = false;
            // whatever happened to that change, the knote can be (re)added now
            apply(kq, ev(11, FILTER, EV_ADD | EV_CLEAR));
            assertStillWorks(s, 11);
        });
    }

    @Test
    void anAttachThatThrowsDoesNotCorruptTheKqueue() throws Exception {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            Source s = source(12);
            ops.throwOnAttach = true;
            catchThrowable(() -> kq.kevent(new KEvent[] {ev(12, FILTER, EV_ADD | EV_CLEAR)}, null, Duration.ZERO));
            ops.throwOnAttach = false;
            assertThat(applyFails(kq, ev(12, FILTER, EV_DELETE))).as("no half-made knote").isEqualTo(Errno.ENOENT);
            apply(kq, ev(12, FILTER, EV_ADD | EV_CLEAR));
            assertStillWorks(s, 12);
        });
    }

    /** Other knotes work, the SPI knote still fires and can be deleted, the kqueue closes, the filter goes. */
    private void assertStillWorks(Source s, long ident) throws Exception {
        apply(kq, user(1000, EV_ADD | EV_CLEAR), trigger(1000));
        boolean userSeen = false;
        for (int i = 0; i < 5 && !userSeen; i++) {
            userSeen = waitFor(kq, 8, WAIT).stream().anyMatch(e -> e.ident() == 1000 && e.filter() == EVFILT_USER);
        }
        assertThat(userSeen).isTrue();
        s.happened(3);
        boolean spiSeen = false;
        for (int i = 0; i < 5 && !spiSeen; i++) {
            spiSeen = waitFor(kq, 8, WAIT).stream().anyMatch(e -> e.ident() == ident && e.filter() == FILTER);
        }
        assertThat(spiSeen).isTrue();
        apply(kq, ev(ident, FILTER, EV_DELETE));
        kq.close();
        Filters.delete(FILTER); // no reference was leaked
        try (KQueue fresh = KQueue.open()) {
            apply(fresh, user(1, EV_ADD | EV_CLEAR), trigger(1));
            assertThat(one(fresh).ident()).isEqualTo(1);
        }
    }

    @Test
    void knlistClearReportsAFiredKnoteOnceWithEofAndDeletesIt() throws Exception {
        Source s = source(13);
        apply(kq, ev(13, FILTER, EV_ADD | EV_CLEAR));
        s.happened(4);
        s.knotes.clear(); // the source goes away
        assertThat(s.knotes.isEmpty()).isTrue();
        KEvent e = one(kq);
        assertThat(e.ident()).isEqualTo(13);
        assertThat(e.flags() & (EV_EOF | EV_ONESHOT)).isEqualTo(EV_EOF | EV_ONESHOT);
        assertThat(e.data()).isEqualTo(4);
        assertNoEvents(kq);
        assertThat(applyFails(kq, ev(13, FILTER, EV_DELETE))).isEqualTo(Errno.ENOENT);
        Filters.delete(FILTER);
    }

    @Test
    void manyThreadsFiringManySources() throws Exception {
        int n = 32;
        Source[] sources = new Source[n];
        for (int i = 0; i < n; i++) {
            sources[i] = source(100 + i);
            apply(kq, ev(100 + i, FILTER, EV_ADD | EV_CLEAR));
        }
        int perThread = 2000;
        Thread[] ts = new Thread[4];
        for (int t = 0; t < ts.length; t++) {
            int base = t;
            ts[t] = new Thread(() -> {
                for (int i = 0; i < perThread; i++) {
                    sources[(base + i) % n].happened(1);
                }
            });
            ts[t].start();
        }
        long total = 0;
        long want = (long) perThread * ts.length;
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (total < want && System.nanoTime() < deadline) {
            for (KEvent e : waitFor(kq, 64, Duration.ofMillis(200))) {
                total += e.data();
            }
        }
        for (Thread t : ts) {
            t.join(WAIT);
        }
        assertThat(total).as("every hint is counted exactly once").isEqualTo(want);
        assertNoEvents(kq);
    }
}
