package io.jkqueue.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

import static io.jkqueue.linux.Libc.C_INT;
import static io.jkqueue.linux.Libc.PTR;

/** sigaction(2), pthread_sigmask(3) and raise(3): literal bindings, no policy. */
public final class Signals {
    private Signals() {}

    public static final long SIG_DFL = 0;
    public static final long SIG_IGN = 1;

    // glibc's struct sigaction: sa_handler, a 1024-bit sa_mask, int sa_flags, sa_restorer
    private static final long SIGACTION_SIZE = 152;
    private static final long SIGSET_SIZE = 128;
    private static final int SIG_UNBLOCK = 1;

    private static final MethodHandle SIGACTION = Libc.bind("sigaction", FunctionDescriptor.of(C_INT, C_INT, PTR, PTR));
    private static final MethodHandle PTHREAD_SIGMASK = Libc.bind("pthread_sigmask",
            FunctionDescriptor.of(C_INT, C_INT, PTR, PTR));
    private static final MethodHandle RAISE = Libc.bind("raise", FunctionDescriptor.of(C_INT, C_INT));

    /** Room for one struct sigaction, freed with the segment. */
    public static MemorySegment newAction() {
        return Arena.ofAuto().allocate(SIGACTION_SIZE, 8);
    }

    /** sigaction(sig, NULL, sa): reads the action into {@code sa}; 0 or -1 (errno in {@link Libc#errno()}). */
    public static int get(int sig, MemorySegment sa) {
        return sigaction(sig, MemorySegment.NULL, sa);
    }

    /** sigaction(sig, sa, NULL): installs {@code sa}; 0 or -1 (errno in {@link Libc#errno()}). */
    public static int set(int sig, MemorySegment sa) {
        return sigaction(sig, sa, MemorySegment.NULL);
    }

    private static int sigaction(int sig, MemorySegment act, MemorySegment oldact) {
        try {
            return (int) SIGACTION.invokeExact(Libc.state(), sig, act, oldact);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** The sa_handler of {@code sa}: {@link #SIG_DFL}, {@link #SIG_IGN} or a function's address. */
    public static long handler(MemorySegment sa) {
        return sa.get(ValueLayout.JAVA_LONG, 0);
    }

    /** Makes {@code sa} plain SIG_DFL or SIG_IGN: no flags, an empty mask. */
    public static void setDisposition(MemorySegment sa, long disposition) {
        sa.fill((byte) 0);
        sa.set(ValueLayout.JAVA_LONG, 0, disposition);
    }

    /** pthread_sigmask(SIG_UNBLOCK, {sig}): the calling thread accepts {@code sig}; 0 or an errno value. */
    public static int unblock(int sig) {
        MemorySegment set = Libc.scratch().asSlice(0, SIGSET_SIZE);
        set.fill((byte) 0);
        set.set(ValueLayout.JAVA_LONG, (sig - 1) / 64 * 8L, 1L << ((sig - 1) % 64));
        try {
            return (int) PTHREAD_SIGMASK.invokeExact(Libc.state(), SIG_UNBLOCK, set, MemorySegment.NULL);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * raise(3): sends {@code sig} to the calling thread, which takes it before
     * this returns unless it blocks it; 0 or -1 (errno in {@link Libc#errno()}).
     */
    public static int raise(int sig) {
        try {
            return (int) RAISE.invokeExact(Libc.state(), sig);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
