package io.jkqueue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.jkqueue.KEvent.*;
import static io.jkqueue.Kq.WAIT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** EVFILT_SIGNAL with real signals (tests/sys/kqueue signal.c). */
@ExtendWith(KqExtension.class)
class SignalFilterTest {
    private static final int SIGUSR1 = 10;
    private static final int SIGTERM = 15;

    @Test
    void countsDeliveriesSinceLastReportAndKeepsThePreviousHandler() throws Exception {
        Signal usr1 = new Signal("USR1");
        List<Integer> seenByPrevious = new ArrayList<>();
        SignalHandler old = Signal.handle(usr1, sig -> {
            synchronized (seenByPrevious) {
                seenByPrevious.add(sig.getNumber());
                seenByPrevious.notifyAll();
            }
        });
        try (KQueue kq = KQueue.open()) {
            kq.kevent(new KEvent[] {KEvent.of(SIGUSR1, EVFILT_SIGNAL, EV_ADD)}, null, null);
            Signal.raise(usr1);
            KEvent[] out = new KEvent[4];
            assertThat(kq.kevent(null, out, Duration.ofSeconds(10))).isEqualTo(1);
            assertThat(out[0].ident()).isEqualTo(SIGUSR1);
            assertThat(out[0].data()).isEqualTo(1);
            assertThat(out[0].flags() & EV_CLEAR).as("EV_CLEAR is implied").isEqualTo(EV_CLEAR);
            // two more: counted together
            Signal.raise(usr1);
            Signal.raise(usr1);
            waitForHandler(seenByPrevious, 3);
            assertThat(kq.kevent(null, out, Duration.ofSeconds(10))).isEqualTo(1);
            assertThat(out[0].data()).isEqualTo(2);
            assertThat(kq.kevent(null, out, Duration.ZERO)).isZero();
            // disabled: deliveries are counted, reported once enabled
            kq.kevent(new KEvent[] {KEvent.of(SIGUSR1, EVFILT_SIGNAL, EV_DISABLE)}, null, null);
            Signal.raise(usr1);
            waitForHandler(seenByPrevious, 4);
            assertThat(kq.kevent(null, out, Duration.ZERO)).isZero();
            kq.kevent(new KEvent[] {KEvent.of(SIGUSR1, EVFILT_SIGNAL, EV_ENABLE)}, null, null);
            assertThat(kq.kevent(null, out, Duration.ofSeconds(10))).isEqualTo(1);
            assertThat(out[0].data()).isEqualTo(1);
            kq.kevent(new KEvent[] {KEvent.of(SIGUSR1, EVFILT_SIGNAL, EV_DELETE)}, null, null);
        } finally {
            Signal.handle(usr1, old);
        }
        waitForHandler(seenByPrevious, 4);
        assertThat(seenByPrevious).containsOnly(SIGUSR1);
    }

    private static void waitForHandler(List<Integer> seen, int n) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        synchronized (seen) {
            while (seen.size() < n && System.nanoTime() < end) {
                seen.wait(100);
            }
            assertThat(seen).hasSize(n);
        }
    }

    @Test
    void oneshotAndTwoKqueues() throws Exception {
        Signal usr1 = new Signal("USR1");
        SignalHandler old = Signal.handle(usr1, SignalHandler.SIG_IGN);
        try (KQueue a = KQueue.open(); KQueue b = KQueue.open()) {
            a.kevent(new KEvent[] {KEvent.of(SIGUSR1, EVFILT_SIGNAL, EV_ADD | EV_ONESHOT)}, null, null);
            b.kevent(new KEvent[] {KEvent.of(SIGUSR1, EVFILT_SIGNAL, EV_ADD)}, null, null);
            Signal.raise(usr1);
            KEvent[] out = new KEvent[2];
            assertThat(a.kevent(null, out, Duration.ofSeconds(10))).isEqualTo(1);
            assertThat(b.kevent(null, out, Duration.ofSeconds(10))).isEqualTo(1);
            // the oneshot is gone; the other watch goes on
            assertThatThrownBy(() -> a.kevent(new KEvent[] {KEvent.of(SIGUSR1, EVFILT_SIGNAL, EV_DELETE)}, null, null))
                    .isInstanceOfSatisfying(KQueueException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT));
            Signal.raise(usr1);
            assertThat(b.kevent(null, out, Duration.ofSeconds(10))).isEqualTo(1);
            assertThat(out[0].data()).isEqualTo(1);
        } finally {
            Signal.handle(usr1, old);
        }
    }

    @Test
    void reservedAndUncatchableSignalsAreEinval(KQueue kq) throws Exception {
        for (int sig : new int[] {9, 19, 11, 0, 65, -1, 32, 33, 64}) {   // KILL, STOP, SEGV (the JVM's), out of range, glibc's, real-time
            assertThatThrownBy(() -> kq.kevent(new KEvent[] {KEvent.of(sig, EVFILT_SIGNAL, EV_ADD)}, null, null))
                    .as("signal %d", sig)
                    .isInstanceOfSatisfying(KQueueException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
            assertThatThrownBy(() -> Signals.ignore(sig))
                    .as("Signals.ignore(%d)", sig)
                    .isInstanceOfSatisfying(KQueueException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
        }
    }

    @Test
    void signalsTheJvmHoldsAreEinvalAndKeepTheirHandler() throws Throwable {
        // QUIT (thread dumps), ILL, BUS, FPE, SEGV (faults the JVM handles), USR2 (HotSpot's suspend/resume),
        // PIPE, XFSZ (ignored through the JVM's handler), 62 (the JDK's signal for interrupting blocking I/O)
        try (KQueue kq = KQueue.open()) {
            for (int sig : new int[] {3, 4, 7, 8, 11, 12, 13, 25, 62}) {
                long before = handlerOf(sig);
                for (int attempt = 1; attempt <= 2; attempt++) {
                    assertThatThrownBy(() -> kq.kevent(new KEvent[] {KEvent.of(sig, EVFILT_SIGNAL, EV_ADD)}, null, null))
                            .as("signal %d, attempt %d", sig, attempt)
                            .isInstanceOfSatisfying(KQueueException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
                }
                assertThatThrownBy(() -> Signals.ignore(sig))
                        .isInstanceOfSatisfying(KQueueException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
                assertThatThrownBy(() -> Signals.setDefault(sig))
                        .isInstanceOfSatisfying(KQueueException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
                assertThat(handlerOf(sig)).as("handler of signal %d", sig).isEqualTo(before);
            }
        }
    }

    /** The sa_handler sigaction(2) reports for {@code sig} (glibc's struct sigaction starts with it). */
    static long handlerOf(int sig) throws Throwable {
        Linker linker = Linker.nativeLinker();
        MethodHandle sigaction = linker.downcallHandle(linker.defaultLookup().find("sigaction").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = arena.allocate(152, 8);
            assertThat((int) sigaction.invokeExact(sig, MemorySegment.NULL, sa)).isZero();
            return sa.get(ValueLayout.JAVA_LONG, 0);
        }
    }

    /** A child JVM watching SIGTERM still ends through its shutdown hooks when it gets one. */
    public static final class TermChild {
        public static void main(String[] args) throws Exception {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> System.out.println("hook ran")));
            KQueue kq = KQueue.open();
            kq.kevent(new KEvent[] {KEvent.of(SIGTERM, EVFILT_SIGNAL, EV_ADD)}, null, null);
            System.out.println("watching");
            System.out.flush();
            KEvent[] out = new KEvent[1];
            if (kq.kevent(null, out, Duration.ofSeconds(30)) == 1) {
                System.out.println("event " + out[0].ident());
            }
            Thread.sleep(30_000);
        }
    }

    @Test
    void sigtermStillRunsShutdownHooks() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process child = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), TermChild.class.getName())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream()));
            assertThat(out.readLine()).isEqualTo("watching");
            // SIGTERM from outside (Process.destroy would close our end of its output)
            assertThat(new ProcessBuilder("kill", "-TERM", String.valueOf(child.pid())).start().waitFor()).isZero();
            assertThat(child.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            List<String> lines = out.lines().toList();
            assertThat(lines).contains("hook ran");
            assertThat(child.exitValue()).isEqualTo(143);
        } finally {
            child.destroyForcibly();
        }
    }
}
