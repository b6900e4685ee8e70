package io.jkqueue.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;

import static io.jkqueue.linux.Libc.C_INT;
import static io.jkqueue.linux.Libc.PTR;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/** sigaction(2), pthread_sigmask(3) and raise(3): literal bindings, no policy. */
public final class Signals {
    private Signals() {}

    public static final long SIG_DFL = 0;
    public static final long SIG_IGN = 1;
    /** What {@link #handler} answers when sigaction fails. */
    public static final long SIG_ERR = -1;

    private static final int SIG_UNBLOCK = 1;

    /** glibc's sigset_t: 1024 bits. */
    private static final MemoryLayout SIGSET = MemoryLayout.sequenceLayout(16, JAVA_LONG);
    /** glibc's struct sigaction on 64-bit ABIs. */
    private static final StructLayout SIGACTION = MemoryLayout.structLayout(
            JAVA_LONG.withName("sa_handler"), SIGSET.withName("sa_mask"), JAVA_INT.withName("sa_flags"),
            MemoryLayout.paddingLayout(4), JAVA_LONG.withName("sa_restorer"));
    private static final long SA_HANDLER = SIGACTION.byteOffset(groupElement("sa_handler"));

    private static final MethodHandle SIGACTION_CALL = Libc.bind("sigaction",
            FunctionDescriptor.of(C_INT, C_INT, PTR, PTR));
    // neither can fail for a valid signal number, so nobody reads their result or errno
    private static final MethodHandle PTHREAD_SIGMASK = Libc.bindWithoutErrno("pthread_sigmask",
            FunctionDescriptor.ofVoid(C_INT, PTR, PTR));
    private static final MethodHandle RAISE = Libc.bindWithoutErrno("raise", FunctionDescriptor.ofVoid(C_INT));

    /** A signal's action as sigaction reads and installs it: handler, mask and flags. */
    public static final class Action {
        private final MemorySegment sa = Arena.ofAuto().allocate(SIGACTION);

        private Action() {}

        /** The action {@code sig} has now; null (errno set) for a number that is no signal. */
        public static Action of(int sig) {
            Action a = new Action();
            return sigaction(sig, MemorySegment.NULL, a.sa) == 0 ? a : null;
        }

        /** Installs this action for {@code sig} again. */
        public void install(int sig) {
            sigaction(sig, sa, MemorySegment.NULL);
        }

        /** The sa_handler: {@link #SIG_DFL}, {@link #SIG_IGN} or a function's address. */
        public long handler() {
            return sa.get(JAVA_LONG, SA_HANDLER);
        }
    }

    /** The sa_handler of {@code sig}'s action now ({@link #SIG_DFL}, {@link #SIG_IGN}, a function), or {@link #SIG_ERR}. */
    public static long handler(int sig) {
        MemorySegment sa = Libc.scratch().asSlice(0, SIGACTION);
        return sigaction(sig, MemorySegment.NULL, sa) == 0 ? sa.get(JAVA_LONG, SA_HANDLER) : SIG_ERR;
    }

    /** Sets {@code sig}'s action to plain {@link #SIG_DFL} or {@link #SIG_IGN}: no flags, an empty mask. */
    public static void setDisposition(int sig, long disposition) {
        MemorySegment sa = Libc.scratch().asSlice(0, SIGACTION);
        sa.fill((byte) 0);
        sa.set(JAVA_LONG, SA_HANDLER, disposition);
        sigaction(sig, sa, MemorySegment.NULL);
    }

    private static int sigaction(int sig, MemorySegment act, MemorySegment oldact) {
        try {
            return (int) SIGACTION_CALL.invokeExact(Libc.state(), sig, act, oldact);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** pthread_sigmask(SIG_UNBLOCK, {sig}): the calling thread accepts {@code sig}. */
    public static void unblock(int sig) {
        MemorySegment set = Libc.scratch().asSlice(0, SIGSET);
        set.fill((byte) 0);
        set.set(JAVA_LONG, (sig - 1) / 64 * JAVA_LONG.byteSize(), 1L << ((sig - 1) % 64));
        try {
            PTHREAD_SIGMASK.invokeExact(SIG_UNBLOCK, set, MemorySegment.NULL);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * raise(3): sends {@code sig} to the calling thread, which takes it before
     * this returns unless it blocks it.
     */
    public static void raise(int sig) {
        try {
            RAISE.invokeExact(sig);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
