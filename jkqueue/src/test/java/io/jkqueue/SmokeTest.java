package io.jkqueue;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static io.jkqueue.KEvent.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SmokeTest {
    @Test
    void userTriggerTimerNestedCloseInterrupt() throws Exception {
        try (KQueue kq = KQueue.open()) {
            KEvent[] out = new KEvent[8];
            assertThat(kq.kevent(new KEvent[] {KEvent.of(1, EVFILT_USER, EV_ADD | EV_CLEAR)}, out, Duration.ZERO)).isZero();
            assertThat(kq.kevent(new KEvent[] {KEvent.of(1, EVFILT_USER, 0, NOTE_TRIGGER, 0, "u")}, out, Duration.ZERO)).isEqualTo(1);
            assertThat(out[0].ident()).isEqualTo(1);
            assertThat(out[0].udata()).isEqualTo("u");
            assertThat(kq.kevent(null, out, Duration.ZERO)).isZero();

            assertThat(kq.kevent(new KEvent[] {KEvent.of(7, EVFILT_TIMER, EV_ADD, 0, 20, null)}, out, Duration.ofSeconds(5))).isEqualTo(1);
            assertThat(out[0].filter()).isEqualTo(EVFILT_TIMER);
            assertThat(out[0].data()).isGreaterThanOrEqualTo(1);
            kq.kevent(new KEvent[] {KEvent.of(7, EVFILT_TIMER, EV_DELETE)}, null, null);

            try (KQueue outer = KQueue.open()) {
                outer.kevent(new KEvent[] {KEvent.of(kq.fd(), EVFILT_READ, EV_ADD)}, null, null);
                kq.kevent(new KEvent[] {KEvent.of(9, EVFILT_TIMER, EV_ADD | EV_ONESHOT, 0, 30, null)}, null, null);
                assertThat(outer.kevent(null, out, Duration.ofSeconds(5))).isEqualTo(1);
                assertThat(out[0].ident()).isEqualTo(kq.fd());
                assertThat(out[0].data()).isEqualTo(1);
            }

            assertThat(kq.kevent(null, out, Duration.ZERO)).isEqualTo(1); // the inner's oneshot timer
            Thread t = new Thread(() -> {
                try {
                    kq.kevent(null, new KEvent[1], null);
                } catch (Exception e) {
                    e.printStackTrace();
                    out[0] = KEvent.of(((KQueueException) e).errno().code(), 0, 0);
                }
            });
            t.start();
            Thread.sleep(100);
            t.interrupt();
            t.join(5000);
            assertThat(out[0].ident()).isEqualTo(Errno.EINTR.code());
            t = new Thread(() -> {
                try {
                    kq.kevent(null, new KEvent[1], null);
                } catch (Exception e) {
                    out[1] = KEvent.of(((KQueueException) e).errno().code(), 0, 0);
                }
            });
            t.start();
            Thread.sleep(100);
            kq.close();
            t.join(5000);
            assertThat(out[1].ident()).isEqualTo(Errno.EBADF.code());
            assertThatThrownBy(() -> kq.kevent(null, out, Duration.ZERO)).isInstanceOf(KQueueException.class);
        }
    }
}
