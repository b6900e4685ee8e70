package io.jkqueue;

import static io.jkqueue.KEvent.*;
import static io.jkqueue.Kq.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A kqueue watched by another kqueue: kqueue_kqfilter / filt_kqueue (KN_KQUEUE knotes) of the seed. */
@ExtendWith(KqExtension.class)
class NestedKqueueTest {
    private final KQueue outer;
    private final KQueue inner;

    NestedKqueueTest(KQueue outer, KQueue inner) {
        this.outer = outer;
        this.inner = inner;
    }

    private KEvent watchInner(int flags) {
        return ev(inner.fd(), EVFILT_READ, EV_ADD | flags, 0, 0, "inner");
    }

    @Test
    void firesWhileTheInnerHasPendingEventsWithTheirCount() throws Exception {
        apply(inner, user(1, EV_ADD | EV_CLEAR), user(2, EV_ADD), user(3, EV_ADD | EV_CLEAR));
        apply(outer, watchInner(0));
        assertNoEvents(outer);
        apply(inner, trigger(1), trigger(2), trigger(3));
        KEvent e = one(outer);
        assertThat(e.ident()).isEqualTo(inner.fd());
        assertThat(e.filter()).isEqualTo(EVFILT_READ);
        assertThat(e.data()).isEqualTo(3);
        assertThat(e.udata()).isEqualTo("inner");
        // level-triggered: still reported while the inner has events
        assertThat(one(outer).data()).isEqualTo(3);

        // drain the inner: the EV_CLEAR knotes go, the level-triggered one stays queued
        assertThat(poll(inner)).hasSize(3);
        e = one(outer);
        assertThat(e.data()).isEqualTo(1);
        apply(inner, user(2, EV_DELETE));
        assertNoEvents(outer);
    }

    @Test
    void anOutsidePollerSeesTheDescriptorReadableExactlyWhileEventsAreQueued() throws Exception {
        java.lang.foreign.MemorySegment buf = io.jkqueue.linux.Libc.scratch();
        apply(inner, user(1, EV_ADD | EV_CLEAR), trigger(1));   // queued before anyone asked for fd()
        int fd = inner.fd();
        assertThat(io.jkqueue.linux.Poll.now(fd, io.jkqueue.linux.Poll.POLLIN, buf) & io.jkqueue.linux.Poll.POLLIN)
                .as("readable with an event queued").isNotZero();
        assertThat(poll(inner)).hasSize(1);
        assertThat(io.jkqueue.linux.Poll.now(fd, io.jkqueue.linux.Poll.POLLIN, buf) & io.jkqueue.linux.Poll.POLLIN)
                .as("not readable once taken").isZero();
        apply(inner, trigger(1));
        assertThat(io.jkqueue.linux.Poll.now(fd, io.jkqueue.linux.Poll.POLLIN, buf) & io.jkqueue.linux.Poll.POLLIN)
                .as("readable again").isNotZero();
    }

    @Test
    void anInnerLevelDescriptorKnoteKeepsTheOuterReadyWhileItsDescriptorIs() throws Exception {
        java.nio.channels.Pipe p = java.nio.channels.Pipe.open();
        try (var src = p.source(); var sink = p.sink()) {
            // a plain level knote in the inner: its descriptor entry is level-triggered
            apply(inner, ev(Fd.of(src), EVFILT_READ, EV_ADD));
            apply(outer, watchInner(0));
            sink.write(java.nio.ByteBuffer.allocate(2));
            assertThat(waitFor(outer, 4, WAIT)).extracting(KEvent::data).containsExactly(1L);
            // the inner hands its event out; the byte stays unread, so the level knote stays queued (kq_count 1)
            assertThat(poll(inner)).extracting(KEvent::data).containsExactly(2L);
            assertThat(one(outer).data()).isEqualTo(1);
            assertThat(one(outer).data()).isEqualTo(1);
            src.read(java.nio.ByteBuffer.allocate(2));
            assertThat(poll(inner)).isEmpty();
            assertNoEvents(outer);
        }
    }

    @Test
    void alreadyPendingEventsFireAtAdd() throws Exception {
        apply(inner, user(1, EV_ADD), trigger(1));
        apply(outer, watchInner(EV_CLEAR));
        KEvent e = one(outer);
        assertThat(e.data()).isEqualTo(1);
        assertThat(e.flags()).isEqualTo(EV_CLEAR);
    }

    @Test
    void aTriggerOnTheInnerWakesABlockedOuter() throws Exception {
        apply(inner, user(1, EV_ADD | EV_CLEAR));
        apply(outer, watchInner(EV_CLEAR));
        Thread t = new Thread(() -> {
            try {
                apply(inner, trigger(1));
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        t.start();
        KEvent e = one(outer);
        t.join(WAIT);
        assertThat(e.ident()).isEqualTo(inner.fd());
        assertThat(e.data()).isEqualTo(1);
    }

    @Test
    void anInnerTimerFiresTheOuterWithoutAnyCallOnTheInner() throws Exception {
        apply(inner, timer(7, EV_ADD | EV_ONESHOT, 0, 50));
        apply(outer, watchInner(0));
        KEvent e = one(outer);
        assertThat(e.ident()).isEqualTo(inner.fd());
        assertThat(e.data()).isGreaterThanOrEqualTo(1);
        assertThat(poll(inner)).extracting(KEvent::ident).containsExactly(7L);
    }

    @Test
    void watchingItselfIsEinval() {
        assertThat(applyFails(outer, ev(outer.fd(), EVFILT_READ, EV_ADD))).isEqualTo(Errno.EINVAL);
    }

    @Test
    void otherFiltersOnAKqueueDescriptorAreEinval() {
        assertThat(applyFails(outer, ev(inner.fd(), EVFILT_WRITE, EV_ADD))).isEqualTo(Errno.EINVAL);
        assertThat(applyFails(outer, ev(inner.fd(), EVFILT_EMPTY, EV_ADD))).isEqualTo(Errno.EINVAL);
        assertThat(applyFails(outer, ev(inner.fd(), EVFILT_VNODE, EV_ADD, NOTE_WRITE, 0, null))).isEqualTo(Errno.EINVAL);
    }

    @Test
    void aCycleNeitherDeadlocksNorRecursesForever() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            KQueue a = outer;
            KQueue b = inner;
            apply(a, ev(b.fd(), EVFILT_READ, EV_ADD));
            apply(b, ev(a.fd(), EVFILT_READ, EV_ADD));
            apply(a, user(1, EV_ADD | EV_CLEAR), trigger(1));
            apply(b, user(2, EV_ADD | EV_CLEAR), trigger(2));
            Set<Long> fromA = new HashSet<>();
            Set<Long> fromB = new HashSet<>();
            for (int i = 0; i < 5; i++) {
                for (KEvent e : waitFor(a, 8, Duration.ofMillis(500))) {
                    fromA.add(e.ident());
                }
                for (KEvent e : waitFor(b, 8, Duration.ofMillis(500))) {
                    fromB.add(e.ident());
                }
            }
            assertThat(fromA).contains(1L);
            assertThat(fromB).contains(2L);
            // each one saw the other's pending events while they were pending
            assertThat(fromA).contains((long) b.fd());
            assertThat(fromB).contains((long) a.fd());
            // triggers from threads on both while both are being scanned
            Thread t = new Thread(() -> {
                try {
                    for (int i = 0; i < 2000; i++) {
                        apply(a, trigger(1));
                        apply(b, trigger(2));
                    }
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            t.start();
            while (t.isAlive()) {
                waitFor(a, 8, Duration.ofMillis(10));
                waitFor(b, 8, Duration.ofMillis(10));
            }
            t.join();
            // both still work
            apply(a, user(3, EV_ADD | EV_CLEAR), trigger(3));
            boolean seen = false;
            for (int i = 0; i < 20 && !seen; i++) {
                seen = waitFor(a, 8, Duration.ofMillis(500)).stream().anyMatch(e -> e.ident() == 3);
            }
            assertThat(seen).isTrue();
            apply(a, ev(b.fd(), EVFILT_READ, EV_DELETE));
            apply(b, ev(a.fd(), EVFILT_READ, EV_DELETE));
        });
    }

    @Test
    void closingTheInnerRemovesTheOutersKnote() throws Exception {
        apply(inner, user(1, EV_ADD), trigger(1));
        apply(outer, watchInner(0));
        assertThat(one(outer).ident()).isEqualTo(inner.fd());
        int fd = inner.fd();
        inner.close();
        List<KEvent> got = waitFor(outer, 4, Duration.ofMillis(300));
        assertThat(got).as("no event for a closed kqueue").isEmpty();
        // the knote is gone with the file: its descriptor is now invalid (EBADF), or, if the
        // number was reused meanwhile, the new file has no knote (ENOENT)
        assertThat(applyFails(outer, ev(fd, EVFILT_READ, EV_DELETE))).isIn(Errno.EBADF, Errno.ENOENT);
    }

    @Test
    void closingTheOuterLeavesTheInnerWorking() throws Exception {
        apply(outer, watchInner(0));
        outer.close();
        apply(inner, user(1, EV_ADD | EV_CLEAR), trigger(1));
        assertThat(one(inner).ident()).isEqualTo(1);
    }

    @Test
    void twoOutersWatchOneInner(KQueue second) throws Exception {
        apply(outer, watchInner(0));
        apply(second, watchInner(0));
        apply(inner, user(1, EV_ADD), trigger(1));
        assertThat(one(outer).data()).isEqualTo(1);
        assertThat(one(second).data()).isEqualTo(1);
    }

    @Test
    void threeLevelsDeep(KQueue top) throws Exception {
        apply(top, ev(outer.fd(), EVFILT_READ, EV_ADD));
        apply(outer, watchInner(0));
        apply(inner, user(1, EV_ADD | EV_CLEAR), trigger(1));
        KEvent e = one(top);
        assertThat(e.ident()).isEqualTo(outer.fd());
        assertThat(e.data()).isEqualTo(1);
    }

    @Test
    void readOnAClosedKqueueDescriptorIsEbadf() throws Exception {
        KQueue k = KQueue.open();
        int fd = k.fd();
        k.close();
        assertThat(applyFails(outer, ev(fd, EVFILT_READ, EV_ADD))).isIn(Errno.EBADF);
    }
}
