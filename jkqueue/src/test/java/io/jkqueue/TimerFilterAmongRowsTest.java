package io.jkqueue;

/**
 * TimerFilterTest's scenarios after 100 other timers: the kqueue has its
 * callwheel from the start (its first tick the others' deadline, a
 * millisecond off), so each scenario's timers that wait on it are folded
 * into rows, and every change and expiry meets a revived knote
 * (TimerRowsTest shows the folding itself).
 */
class TimerFilterAmongRowsTest extends TimerFilterTest {
    TimerFilterAmongRowsTest(KQueue kq) {
        super(kq);
    }

    @Override
    int background() {
        return 100;
    }
}
