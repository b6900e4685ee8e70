package io.jkqueue;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Bytes allocated per operation once the JIT has compiled the path under
 * test: escape analysis removes what the interpreter and C1's code allocate,
 * and on a loaded machine (the suite runs test classes in parallel) C2 may
 * not have compiled the path within a few rounds.
 */
final class AllocationRounds {
    private static final int MIN_ROUNDS = 6;
    private static final long PATIENCE_NANOS = Duration.ofSeconds(30).toNanos();

    private AllocationRounds() {}

    /** One round's operations; a round checks their results itself. */
    interface Round {
        void run() throws Exception;
    }

    /** The bytes this thread has allocated so far. */
    static long thisThread() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    /**
     * Runs rounds of {@code ops} operations and returns the fewest bytes per
     * operation ({@code allocated}'s count) of a round after the first. It
     * stops at the first such round at or under {@code target}; otherwise it
     * runs six rounds, and more while 30 s last, so that only an allocation
     * the compiled path keeps making stays above the target.
     */
    static long fewestBytesPerOp(String what, int ops, long target, LongSupplier allocated, Round round)
            throws Exception {
        long patience = System.nanoTime() + PATIENCE_NANOS;
        long best = Long.MAX_VALUE;
        for (int n = 0; best > target && (n < MIN_ROUNDS || System.nanoTime() - patience < 0); n++) {
            long before = allocated.getAsLong();
            round.run();
            long perOp = (allocated.getAsLong() - before) / ops;
            System.out.println(what + ": " + perOp + " bytes per operation (round " + n + ")");
            if (n > 0) {
                best = Math.min(best, perOp);
            }
        }
        return best;
    }
}
