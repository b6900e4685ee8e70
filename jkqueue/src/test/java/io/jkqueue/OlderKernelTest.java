package io.jkqueue;

import static io.jkqueue.KEvent.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * jkqueue on kernels older than it was built on: without epoll_pwait2 a
 * wait's timeout is milliseconds (and still ends on time, through the
 * timerfd) and a wait without one sleeps; below Linux 5.4, EVFILT_PROC (pidfd_open, 5.3) fails with ENOSYS
 * naming what is missing, and everything else works. Each case runs in a
 * child JVM whose system calls are those of the older kernel (OldKernel).
 */
class OlderKernelTest {

    /** The child: installs the filter for its kernel, then prints one line per finding. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            OldKernel.install(args[0]);
            Pipe p = Pipe.open();
            try (KQueue kq = KQueue.open(); var source = p.source(); var sink = p.sink()) {
                Kq.apply(kq, Kq.timer(1, EV_ADD | EV_ONESHOT, NOTE_MSECONDS, 500),
                        Kq.ev(Fd.of(p.source()), EVFILT_READ, EV_ADD | EV_CLEAR));
                // a sub-millisecond timeout ends (with nothing), then the timer and the pipe are reported
                System.out.println("poll " + kq.kevent(null, new KEvent[4], Duration.ofNanos(300_000)));
                p.sink().write(ByteBuffer.wrap(new byte[3]));
                List<KEvent> seen = new java.util.ArrayList<>();
                for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); seen.size() < 2
                        && System.nanoTime() < end; ) {
                    seen.addAll(Kq.waitFor(kq, 4, Duration.ofSeconds(10)));
                }
                System.out.println("events " + seen.stream().map(e -> e.filter() + ":" + e.data()).sorted().toList());
                System.out.println(idleWaiterCpuMillis() < 250 ? "a forever wait sleeps" : "a forever wait spins");
                try {
                    Kq.apply(kq, Kq.ev(ProcessHandle.current().pid(), EVFILT_PROC, EV_ADD, NOTE_EXIT, 0, null));
                    System.out.println("proc attached");
                } catch (KQueueException e) {
                    System.out.println("proc " + e.errno() + " " + e.getMessage());
                }
            }
        }
    }

    /** The CPU time a thread blocked in kevent with no timeout uses in a second with nothing to report. */
    static long idleWaiterCpuMillis() throws Exception {
        try (KQueue idle = KQueue.open()) {
            Thread waiter = Thread.ofPlatform().name("jkq-idle-waiter").start(() -> {
                try {
                    idle.kevent(null, new KEvent[1], null);
                } catch (IOException closed) {
                    // the close below
                }
            });
            Kq.awaitBlockedInKevent(waiter);
            long before = cpuTicks("jkq-idle-waiter");
            Thread.sleep(1000);
            return (cpuTicks("jkq-idle-waiter") - before) * 10;   // USER_HZ is 100
        }
    }

    /** utime + stime of this process's thread named {@code name}, in clock ticks (/proc/self/task/TID/stat). */
    private static long cpuTicks(String name) throws IOException {
        try (var tasks = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/task"))) {
            for (java.nio.file.Path task : tasks.toList()) {
                if (java.nio.file.Files.readString(task.resolve("comm")).strip().equals(name)) {
                    String stat = java.nio.file.Files.readString(task.resolve("stat"));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
                }
            }
        }
        throw new IllegalStateException("no thread " + name);
    }

    private static List<String> runChild(String kernel) throws IOException, InterruptedException {
        Process child = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
                "--add-opens", "java.base/java.io=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Child.class.getName(), kernel).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        List<String> lines = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        assertThat(child.waitFor(Kq.WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(child.exitValue()).as("child exit; output %s", lines).isZero();
        return lines;
    }

    @Test
    void withoutEpollPwait2TimeoutsTimersAndDescriptorsWork() throws Exception {
        List<String> lines = runChild("5.10");
        assertThat(lines).containsExactly("poll 0", "events [" + EVFILT_READ + ":3, " + EVFILT_TIMER + ":1]",
                "a forever wait sleeps", "proc attached");
    }

    @Test
    void belowLinux54EvfiltProcIsEnosysNamingPidfdOpenAndTheRestWorks() throws Exception {
        List<String> lines = runChild("4.18");
        assertThat(lines).hasSize(4);
        assertThat(lines.get(0)).isEqualTo("poll 0");
        assertThat(lines.get(1)).isEqualTo("events [" + EVFILT_READ + ":3, " + EVFILT_TIMER + ":1]");
        assertThat(lines.get(2)).isEqualTo("a forever wait sleeps");
        assertThat(lines.get(3)).startsWith("proc ENOSYS").contains("pidfd_open (Linux 5.3)")
                .contains("epoll_pwait2 (Linux 5.11)");
    }
}
