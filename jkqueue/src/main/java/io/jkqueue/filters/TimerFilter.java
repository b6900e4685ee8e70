package io.jkqueue.filters;

import io.jkqueue.Errno;
import io.jkqueue.KEventList;
import io.jkqueue.spi.FilterOps;
import io.jkqueue.spi.Knote;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;

import static io.jkqueue.KEvent.EV_ADD;
import static io.jkqueue.KEvent.EV_CLEAR;
import static io.jkqueue.KEvent.EV_ERROR;
import static io.jkqueue.KEvent.EV_ONESHOT;
import static io.jkqueue.KEvent.NOTE_ABSTIME;
import static io.jkqueue.KEvent.NOTE_MSECONDS;
import static io.jkqueue.KEvent.NOTE_NSECONDS;
import static io.jkqueue.KEvent.NOTE_SECONDS;
import static io.jkqueue.KEvent.NOTE_USECONDS;

/**
 * EVFILT_TIMER (filt_timer*). A timer is a callout on its kqueue's callwheel,
 * linked through its knote: no descriptor, thread or extra object per timer.
 * kn_hookid holds the period in nanoseconds (0 for an absolute timer);
 * kn_data counts expirations.
 */
final class TimerFilter implements FilterOps {
    private static final int NOTE_TIMER_PRECMASK = NOTE_SECONDS | NOTE_MSECONDS | NOTE_USECONDS | NOTE_NSECONDS;

    /** kern.kq_calloutmax, per JVM. */
    private static final int KQ_CALLOUTMAX = Integer.getInteger("jkqueue.kq_calloutmax", 4096);
    private static final AtomicInteger KQ_NCALLOUTS = new AtomicInteger();

    private static final Knote.Callout EXPIRE = TimerFilter::expire;
    /** Two clock reads this close were not preempted between them. */
    private static final long CLOCK_PAIR_GAP = 20_000;

    @Override
    public boolean isFd() {
        return false;
    }

    /** filt_timerattach. */
    @Override
    public int attach(Knote kn) {
        long to = validate(kn);
        if (to < 0) {
            return Errno.EINVAL.code();
        }
        int n;
        do {
            n = KQ_NCALLOUTS.get();
            if (n >= KQ_CALLOUTMAX) {
                return Errno.ENOMEM.code();
            }
        } while (!KQ_NCALLOUTS.compareAndSet(n, n + 1));
        if ((kn.sfflags() & NOTE_ABSTIME) == 0) {
            kn.setFlags(kn.flags() | EV_CLEAR);   // automatically set
        }
        kn.markAttached();
        start(kn, to);
        return 0;
    }

    /** filt_timerdetach. */
    @Override
    public void detach(Knote kn) {
        kn.calloutStop();
        KQ_NCALLOUTS.decrementAndGet();
        kn.markDetached();
    }

    /** filt_timer. */
    @Override
    public boolean event(Knote kn, long hint) {
        return kn.data() != 0;
    }

    @Override
    public boolean hasTouch() {
        return true;
    }

    /** filt_timertouch. */
    @Override
    public void touch(Knote kn, KEventList kev, int i, int type) {
        switch (type) {
            case EVENT_REGISTER -> {
                if ((kev.flags(i) & EV_ADD) == 0) {
                    return;
                }
                // Re-added with new parameters: what happened under the old ones is thrown away.
                kn.calloutStop();
                kn.deactivate();
                kn.setData(0);
                kn.setSfflags(kev.fflags(i));
                kn.setSdata(kev.data(i));
                long to = validate(kn);
                if (to < 0) {
                    kn.setFlags(kn.flags() | EV_ERROR);
                    kn.setData(Errno.EINVAL.code());
                } else {
                    start(kn, to);
                }
            }
            case EVENT_PROCESS -> {
                kn.copyOut(kev, i);
                if ((kn.flags() & EV_CLEAR) != 0) {
                    kn.setData(0);
                    kn.setFflags(0);
                }
            }
            default -> throw new IllegalArgumentException("touch type " + type);
        }
    }

    /**
     * filt_timervalidate: the relative period, or for NOTE_ABSTIME the
     * deadline on System.nanoTime()'s clock, in nanoseconds; -1 for EINVAL.
     */
    private static long validate(Knote kn) {
        if (kn.sdata() < 0) {
            return -1;
        }
        if (kn.sdata() == 0 && (kn.flags() & EV_ONESHOT) == 0) {
            kn.setSdata(1);
        }
        if ((kn.sfflags() & ~(NOTE_TIMER_PRECMASK | NOTE_ABSTIME)) != 0) {
            return -1;
        }
        long to = toNanos(kn.sdata(), kn.sfflags());
        if (to < 0) {
            return -1;
        }
        if ((kn.sfflags() & NOTE_ABSTIME) != 0) {
            // data is wall-clock time; as the seed subtracts the boot time, we move it onto the monotonic clock
            long bootWall = wallAtNanoTimeZero();
            to = to == Long.MAX_VALUE ? Long.MAX_VALUE : to - bootWall;
            if (to < 0) {
                return -1;
            }
        }
        return to;
    }

    /**
     * The wall-clock time, in nanoseconds since the epoch, at which
     * System.nanoTime() read 0 (the seed's boottime): the wall clock read
     * between two reads of the monotonic one, taking the closest of three
     * tries, so that a thread preempted between the reads does not move an
     * absolute timer by the time it lost.
     */
    private static long wallAtNanoTimeZero() {
        long bootWall = 0;
        long gap = Long.MAX_VALUE;
        for (int i = 0; i < 3 && gap > CLOCK_PAIR_GAP; i++) {
            long before = System.nanoTime();
            Instant now = Instant.now();
            long after = System.nanoTime();
            if (after - before < gap) {
                gap = after - before;
                long wall = saturatedAdd(Math.multiplyExact(now.getEpochSecond(), 1_000_000_000L), now.getNano());
                bootWall = wall - (before + gap / 2);
            }
        }
        return bootWall;
    }

    /** timer2sbintime, in nanoseconds, saturating; -1 when several units are given. */
    private static long toNanos(long data, int fflags) {
        long unit = switch (fflags & NOTE_TIMER_PRECMASK) {
            case NOTE_SECONDS -> 1_000_000_000L;
            case NOTE_MSECONDS, 0 -> 1_000_000L;
            case NOTE_USECONDS -> 1_000L;
            case NOTE_NSECONDS -> 1L;
            default -> -1L;
        };
        if (unit < 0) {
            return -1;
        }
        return data > Long.MAX_VALUE / unit ? Long.MAX_VALUE : data * unit;
    }

    /** filt_timerstart. */
    private static void start(Knote kn, long to) {
        if ((kn.sfflags() & NOTE_ABSTIME) != 0) {
            kn.setHookId(0);
            kn.calloutReset(to, EXPIRE);
        } else {
            kn.setHookId(to);
            kn.calloutReset(saturatedAdd(kn.uptime(), to), EXPIRE);
        }
    }

    /**
     * filt_timerexpire: counts the expirations due by now (more than one when
     * nobody looked for a while), activates and re-arms a periodic timer.
     */
    private static void expire(Knote kn, long deadline) {
        long period = kn.hookId();
        if ((kn.flags() & EV_ONESHOT) != 0 || period == 0) {
            kn.setData(kn.data() + 1);
            kn.activate();
            return;
        }
        long missed = Math.max(0, System.nanoTime() - deadline) / period;
        kn.setData(kn.data() + 1 + missed);
        kn.activate();
        kn.calloutReset(saturatedAdd(deadline, (missed + 1) * period), EXPIRE);
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }
}
