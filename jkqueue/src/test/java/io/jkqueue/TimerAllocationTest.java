package io.jkqueue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static io.jkqueue.KEvent.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bytes allocated by a kevent that sleeps until a timer fires (the timerfd
 * armed for the callout, the wait, the softclock and the copy out): none once
 * compiled.
 */
@ExtendWith(KqExtension.class)
class TimerAllocationTest {
    private static final int SLEEPS = 2_000;

    @Test
    void aSleepUntilAPeriodicTimerFiresAllocatesNothing(KQueue kq) throws Exception {
        // 200 µs: each call finds nothing due and sleeps, unless it came late
        kq.kevent(new KEvent[] {KEvent.of(1, EVFILT_TIMER, EV_ADD, NOTE_USECONDS, 200, null)}, null, null);
        KEventList events = new KEventList(1);
        long best = AllocationRounds.fewestBytesPerOp("a sleep until a 200 µs timer fires", SLEEPS, 0,
                AllocationRounds::thisThread, () -> {
                    int missed = 0;
                    for (int i = 0; i < SLEEPS; i++) {
                        int n = kq.kevent(null, events, Kq.WAIT.toNanos());
                        missed += n == 1 && events.ident(0) == 1 && events.data(0) >= 1 ? 0 : 1;
                    }
                    assertThat(missed).as("calls without the timer's event").isZero();
                });
        assertThat(best).as("bytes allocated per sleep and kevent in the best round after the first").isZero();
    }
}
