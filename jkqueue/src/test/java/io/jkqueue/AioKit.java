package io.jkqueue;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;

import static io.jkqueue.Kq.WAIT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/** Helpers of the AIO tests: waiting for a job, and the direct memory the process holds. */
final class AioKit {
    private AioKit() {}

    /** Waits (up to {@link Kq#WAIT}) until the job of {@code cb} is no longer in progress; returns aio_error. */
    static int awaitDone(AioCb cb) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        int e;
        while ((e = Aio.error(cb)) == Errno.EINPROGRESS.code()) {
            if (System.nanoTime() > deadline) {
                fail("%s still in progress after %s", cb, WAIT);
            }
            Thread.sleep(1);
        }
        return e;
    }

    /** Waits for the job and returns its aio_return value, which must be a success. */
    static long awaitReturn(AioCb cb) throws Exception {
        assertThat(awaitDone(cb)).as("aio_error of %s", cb).isZero();
        return Aio.returnValue(cb);
    }

    /** Bytes of direct buffers (the "direct" BufferPoolMXBean). */
    static long directBytes() {
        return ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(b -> b.getName().equals("direct")).findFirst().orElseThrow().getMemoryUsed();
    }

    /** The errno of the KQueueException that {@code r} must throw. */
    static Errno errnoOf(ThrowingRunnable r) {
        try {
            r.run();
        } catch (KQueueException e) {
            return e.errno();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        return fail("no KQueueException");
    }

    @FunctionalInterface
    interface ThrowingRunnable {
        void run() throws Exception;
    }
}
