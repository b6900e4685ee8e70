package io.jkqueue;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.jkqueue.KEvent.*;
import static io.jkqueue.Kq.WAIT;
import static io.jkqueue.ChildJvm.isRoot;
import static io.jkqueue.ChildJvm.javaCommand;
import static io.jkqueue.ChildJvm.run;
import static io.jkqueue.ChildJvm.with;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * EVFILT_PROC where the process has to be set apart: a pid reused in a
 * private pid namespace, a full descriptor table, no CAP_NET_ADMIN. Each
 * runs in a child JVM that prints its findings; the child uses jkqueue alone.
 */
class ProcFilterIsolationTest {

    /** "ok", or the errno of an EV_ADD of (pid, fflags), which is deleted again. */
    static String outcome(KQueue kq, long pid, int fflags) throws IOException {
        try {
            kq.kevent(new KEvent[] {KEvent.of(pid, EVFILT_PROC, EV_ADD, fflags, 0, null)}, null, null);
        } catch (KQueueException e) {
            return e.errno().name();
        }
        kq.kevent(new KEvent[] {KEvent.of(pid, EVFILT_PROC, EV_DELETE)}, null, null);
        return "ok";
    }

    /** The command prefix that runs a command as pid 1 of a new pid namespace; skips where there is none. */
    private static List<String> unsharePid() throws Exception {
        assumeTrue(isRoot(), "a private pid namespace (unshare --pid) needs root");
        List<String> unshare = List.of("unshare", "--pid", "--fork", "--mount-proc");
        boolean works;
        try {
            works = new ProcessBuilder(with(unshare, List.of("true"))).start().waitFor() == 0;
        } catch (IOException noUnshare) {
            works = false;
        }
        assumeTrue(works, "unshare(1) cannot make a pid namespace here");
        return unshare;
    }

    @Test
    void aReusedPidIsAnotherProcess() throws Exception {
        List<String> said = run(with(unsharePid(), javaCommand(PidReuseChild.class)));
        if (said.getLast().equals("exit statuses kept")) {
            assertThat(said).containsExactly(
                    "B has A's pid",
                    "B at once: 0",
                    "B exit: 1 status 1280",
                    "A exit: 1 status 768",
                    "exit statuses kept");
        } else {
            // before Linux 6.15, and without the connector in a pid namespace, an exit reaped before it was looked
            // at has no status: never another process's
            assertThat(said.subList(0, 2)).containsExactly("B has A's pid", "B at once: 0");
            assertThat(said.get(2)).isIn("B exit: 1 status 1280", "B exit: 1 status -1");
            assertThat(said.subList(3, 5)).containsExactly("A exit: 1 status -1", "exit statuses not kept");
        }
    }

    /**
     * In a fresh pid namespace: A exits 3 and is reaped while kq1 still
     * watches it (disabled); B then gets A's number; kq2's knote on B must
     * wait for B's own exit, and kq1 still reports A's. Last, whether the
     * kernel keeps exit statuses for pidfds (Linux 6.15).
     */
    public static final class PidReuseChild {
        public static void main(String[] args) throws Exception {
            try (KQueue kq1 = KQueue.open(); KQueue kq2 = KQueue.open()) {
                Process a = new ProcessBuilder("sh", "-c", "read x; exit 3").start();
                long pid = a.pid();
                kq1.kevent(new KEvent[] {KEvent.of(pid, EVFILT_PROC, EV_ADD | EV_DISABLE, NOTE_EXIT, 0, "A")}, null, null);
                a.getOutputStream().close();
                a.waitFor();
                Process b = startWithPid(pid);
                System.out.println(b.pid() == pid ? "B has A's pid" : "B got pid " + b.pid() + ", not " + pid);
                kq2.kevent(new KEvent[] {KEvent.of(pid, EVFILT_PROC, EV_ADD, NOTE_EXIT, 0, "B")}, null, null);
                KEvent[] out = new KEvent[1];
                System.out.println("B at once: " + kq2.kevent(null, out, Duration.ZERO));
                b.getOutputStream().close();
                int n = kq2.kevent(null, out, WAIT);
                System.out.println("B exit: " + n + " status " + (n == 1 ? out[0].data() : -1));
                kq1.kevent(new KEvent[] {KEvent.of(pid, EVFILT_PROC, EV_ENABLE, NOTE_EXIT, 0, "A")}, null, null);
                n = kq1.kevent(null, out, WAIT);
                System.out.println("A exit: " + n + " status " + (n == 1 ? out[0].data() : -1));
            }
            System.out.println(io.jkqueue.linux.Kernel.Feature.PIDFD_GET_INFO.present() ? "exit statuses kept"
                    : "exit statuses not kept");
        }

        /** A process that waits for its input, given {@code pid} by setting the namespace's last pid before it. */
        private static Process startWithPid(long pid) throws Exception {
            Process p = null;
            for (int attempt = 0; attempt < 100; attempt++) {
                Files.writeString(Path.of("/proc/sys/kernel/ns_last_pid"), Long.toString(pid - 1));
                p = new ProcessBuilder("sh", "-c", "read x; exit 5").start();
                if (p.pid() == pid) {
                    return p;
                }
                p.destroyForcibly().waitFor();   // a thread of the JVM took the number first: again
            }
            return p;
        }
    }

    @Test
    void anExitReapedByItsParentBeforeItWasLookedAtKeepsItsStatus() throws Exception {
        assumeTrue(isRoot(), "the process-events connector needs CAP_NET_ADMIN before Linux 6.6");
        // the kernel's record (Linux 6.15) or the connector's exit message
        assertThat(run(javaCommand(ReapedByItsParentChild.class))).containsExactly("reaped 3", "exit status 768");
        // the connector's message, as on a kernel that keeps no status
        assertThat(run(javaCommand(List.of("-Djkqueue.kernel.disable=PIDFD_GET_INFO"), ReapedByItsParentChild.class)))
                .containsExactly("reaped 3", "exit status 768");
    }

    @Test
    void anExitNothingRecordedHasAnUnknownStatusNotZero() throws Exception {
        // a kernel that keeps no status, in a pid namespace, where the connector does not serve: the exit was
        // reaped before anyone looked at it, so nothing can tell its status
        assertThat(run(with(unsharePid(),
                javaCommand(List.of("-Djkqueue.kernel.disable=PIDFD_GET_INFO"), ReapedByItsParentChild.class))))
                .containsExactly("reaped 3", "exit status -1");
    }

    /**
     * Watches, disabled, a grandchild that exits 3 and is reaped by its own
     * parent, a shell, before the knote is enabled and its kqueue looked at.
     */
    public static final class ReapedByItsParentChild {
        public static void main(String[] args) throws Exception {
            // the grandchild reads the shell's input through fd 3 (a background command's input is /dev/null)
            Process sh = new ProcessBuilder("sh", "-c",
                    "exec 3<&0; sh -c 'read x <&3; exit 3' & echo $!; wait $!; echo reaped $?; read y <&3").start();
            BufferedReader out = new BufferedReader(new InputStreamReader(sh.getInputStream()));
            long grandchild = Long.parseLong(out.readLine());
            try (KQueue kq = KQueue.open()) {
                kq.kevent(new KEvent[] {KEvent.of(grandchild, EVFILT_PROC, EV_ADD | EV_DISABLE, NOTE_EXIT, 0, null)},
                        null, null);
                sh.getOutputStream().write("go\n".getBytes(StandardCharsets.UTF_8));
                sh.getOutputStream().flush();
                System.out.println(out.readLine());
                kq.kevent(new KEvent[] {KEvent.of(grandchild, EVFILT_PROC, EV_ENABLE, NOTE_EXIT, 0, null)}, null, null);
                KEvent[] ev = new KEvent[1];
                int n = kq.kevent(null, ev, WAIT);
                System.out.println(n == 1 ? "exit status " + ev[0].data() : n + " events");
            } finally {
                sh.getOutputStream().close();
                sh.waitFor();
            }
        }
    }

    @Test
    void lostProcessEventsAreNoErrorForAKnoteThatWatchesOnlyAnExit() throws Exception {
        assumeTrue(isRoot(), "the process-events connector needs CAP_NET_ADMIN before Linux 6.6");
        assertThat(run(javaCommand(List.of("-Djkqueue.kernel.disable=PIDFD_GET_INFO", "-Djkqueue.procevents.rcvbuf=65536"),
                LostEventsChild.class)))
                .containsExactly(
                        "exit knote after the flood: 0 events",
                        "fork knote after the flood: NOTE_TRACKERR",
                        "exit: NOTE_EXIT status 1024");
    }

    /**
     * As on a kernel that keeps no exit status: an exit-only knote holds the
     * connector too. 2,000 processes overflow its socket (made small for
     * this) while nobody reads it; the fork knote learns that events were lost, the exit knote does
     * not (it lost nothing it asked for), and still gets the status of an
     * exit after that.
     */
    public static final class LostEventsChild {
        public static void main(String[] args) throws Exception {
            Process idle = new ProcessBuilder("sh", "-c", "read x").start();
            Process p = new ProcessBuilder("sh", "-c", "read x; exit 4").start();
            try (KQueue kq1 = KQueue.open(); KQueue kq2 = KQueue.open()) {
                kq1.kevent(new KEvent[] {KEvent.of(p.pid(), EVFILT_PROC, EV_ADD, NOTE_EXIT, 0, null)}, null, null);
                kq2.kevent(new KEvent[] {KEvent.of(idle.pid(), EVFILT_PROC, EV_ADD, NOTE_FORK, 0, null)}, null, null);
                Process flood = new ProcessBuilder("sh", "-c",
                        "i=0; while [ $i -lt 2000 ]; do /bin/true; i=$((i+1)); done").start();
                flood.waitFor();
                KEvent[] ev = new KEvent[1];
                System.out.println("exit knote after the flood: " + kq1.kevent(null, ev, Duration.ZERO) + " events");
                int n = kq2.kevent(null, ev, Duration.ZERO);
                System.out.println("fork knote after the flood: "
                        + (n == 1 && ev[0].fflags() == NOTE_TRACKERR ? "NOTE_TRACKERR" : n + " events"));
                p.getOutputStream().close();
                n = kq1.kevent(null, ev, WAIT);
                System.out.println(n == 1 && ev[0].fflags() == NOTE_EXIT ? "exit: NOTE_EXIT status " + ev[0].data()
                        : "exit: " + n + " events");
            } finally {
                idle.destroyForcibly().waitFor();
                p.destroyForcibly().waitFor();
            }
        }
    }

    @Test
    void outsideTheInitialPidNamespaceForksAndExecsAreEperm() throws Exception {
        // the kernel ignores a listener there: its events carry the initial namespace's pids
        assertThat(run(with(unsharePid(), javaCommand(NamespaceChild.class))))
                .containsExactly("NOTE_FORK EPERM, NOTE_EXEC EPERM, NOTE_EXIT ok");
    }

    public static final class NamespaceChild {
        public static void main(String[] args) throws Exception {
            Process p = new ProcessBuilder("sh", "-c", "read x").start();
            long pid = p.pid();
            try (KQueue kq = KQueue.open()) {
                System.out.println("NOTE_FORK " + outcome(kq, pid, NOTE_FORK) + ", NOTE_EXEC " + outcome(kq, pid, NOTE_EXEC)
                        + ", NOTE_EXIT " + outcome(kq, pid, NOTE_EXIT));
            }
            p.getOutputStream().close();
            p.waitFor();
        }
    }

    @Test
    void aFullDescriptorTableIsEmfile() throws Exception {
        assertThat(run(with(List.of("sh", "-c", "ulimit -n 64 && exec \"$@\"", "sh"), javaCommand(FullTableChild.class))))
                .containsExactly(
                        "warm: ok ESRCH",
                        "no descriptor left: NOTE_EXIT EMFILE, NOTE_FORK EMFILE",
                        "one descriptor left: NOTE_FORK EMFILE, NOTE_EXIT ok");
    }

    /**
     * Fills its descriptor table (limited to 64) while a child runs, and
     * registers the child: pidfd_open fails, then with one descriptor free
     * the pidfd fits and the connector's socket does not.
     */
    public static final class FullTableChild {
        public static void main(String[] args) throws Exception {
            Process p = new ProcessBuilder("sh", "-c", "read x").start();
            long pid = p.pid();
            String[] seen = new String[4];
            try (KQueue kq = KQueue.open()) {
                // everything below runs once before the table is full, so that no class is left to load
                seen[0] = outcome(kq, pid, NOTE_EXIT);
                seen[1] = outcome(kq, 0x3fffffff, NOTE_EXIT);
                System.out.println("warm: " + seen[0] + " " + seen[1]);
                Class.forName("io.jkqueue.linux.Netlink");
                List<FileInputStream> fill = new ArrayList<>();
                try {
                    for (;;) {
                        fill.add(new FileInputStream("/dev/null"));
                    }
                } catch (IOException full) {
                    // EMFILE: the table is full
                }
                seen[0] = outcome(kq, pid, NOTE_EXIT);
                seen[1] = outcome(kq, pid, NOTE_EXIT | NOTE_FORK);
                fill.removeLast().close();
                seen[2] = outcome(kq, pid, NOTE_EXIT | NOTE_FORK);
                seen[3] = outcome(kq, pid, NOTE_EXIT);
                for (FileInputStream f : fill) {
                    f.close();
                }
            }
            System.out.println("no descriptor left: NOTE_EXIT " + seen[0] + ", NOTE_FORK " + seen[1]);
            System.out.println("one descriptor left: NOTE_FORK " + seen[2] + ", NOTE_EXIT " + seen[3]);
            p.getOutputStream().close();
            p.waitFor();
        }
    }

    @Test
    void withoutCapNetAdminForksAreEpermOrReported() throws Exception {
        assumeTrue(isRoot(), "running a child as nobody (setpriv --reuid) needs root");
        List<String> nobody = List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups");
        List<String> said = run(with(nobody, javaCommand(UnprivilegedChild.class)));
        assertThat(said).hasSize(2);
        assertThat(said.get(0)).isEqualTo("NOTE_EXIT ok, no such process ESRCH");
        // the connector refuses listeners without CAP_NET_ADMIN before Linux 6.6 and accepts them since:
        // never an accepted knote that hears nothing
        assertThat(said.get(1)).isIn("NOTE_FORK EPERM", "NOTE_FORK reported");
    }

    /** As nobody: a pidfd needs no privilege; the connector answers EPERM, or works. */
    public static final class UnprivilegedChild {
        public static void main(String[] args) throws Exception {
            Process p = new ProcessBuilder("sh", "-c", "read x; /bin/true; exit 0").start();
            long pid = p.pid();
            try (KQueue kq = KQueue.open()) {
                System.out.println("NOTE_EXIT " + outcome(kq, pid, NOTE_EXIT)
                        + ", no such process " + outcome(kq, 0x3fffffff, NOTE_FORK));
                try {
                    kq.kevent(new KEvent[] {KEvent.of(pid, EVFILT_PROC, EV_ADD, NOTE_FORK | NOTE_EXIT, 0, null)}, null, null);
                } catch (KQueueException e) {
                    System.out.println("NOTE_FORK " + e.errno());
                    return;
                }
                p.getOutputStream().close();
                int seen = 0;
                KEvent[] out = new KEvent[4];
                for (int n; (seen & NOTE_EXIT) == 0 && (n = kq.kevent(null, out, WAIT)) > 0; ) {
                    for (int i = 0; i < n; i++) {
                        seen |= out[i].fflags();
                    }
                }
                System.out.println((seen & (NOTE_FORK | NOTE_EXIT)) == (NOTE_FORK | NOTE_EXIT) ? "NOTE_FORK reported"
                        : "fflags " + Integer.toHexString(seen));
            } finally {
                p.destroyForcibly().waitFor();
            }
        }
    }
}
