package io.jkqueue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.jkqueue.KEvent.*;
import static io.jkqueue.Kq.WAIT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** EVFILT_PROC NOTE_EXIT on real child processes (tests/sys/kqueue proc.c). */
@ExtendWith(KqExtension.class)
class ProcFilterTest {

    private static KEvent waitExit(KQueue kq) throws IOException {
        KEvent[] out = new KEvent[1];
        assertThat(kq.kevent(null, out, WAIT)).isEqualTo(1);
        return out[0];
    }

    @Test
    void exitStatusOfAProcessBuilderChildDespiteTheJdkReaper(KQueue kq) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", "read x; exit 7").start();
        kq.kevent(new KEvent[] {KEvent.of(p.pid(), EVFILT_PROC, EV_ADD, NOTE_EXIT, 0, p)}, null, null);
        assertThat(kq.kevent(null, new KEvent[1], Duration.ZERO)).isZero();
        p.getOutputStream().close();
        KEvent ev = waitExit(kq);
        assertThat(ev.ident()).isEqualTo(p.pid());
        assertThat(ev.fflags() & NOTE_EXIT).isEqualTo(NOTE_EXIT);
        assertThat(ev.flags() & (EV_EOF | EV_ONESHOT)).isEqualTo(EV_EOF | EV_ONESHOT);
        assertThat(ev.data()).as("wait(2) status of exit(7)").isEqualTo(7 << 8);
        assertThat(ev.udata()).isSameAs(p);
        assertThat(p.waitFor()).isEqualTo(7); // the JDK still reaps it and sees the same
        // oneshot: the knote is gone
        assertThatThrownBy(() -> kq.kevent(new KEvent[] {KEvent.of(p.pid(), EVFILT_PROC, EV_DELETE)}, null, null))
                .isInstanceOfSatisfying(KQueueException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT));
    }

    @Test
    void killedBySignalGivesTheSignalStatus(KQueue kq) throws Exception {
        Process p = new ProcessBuilder("sleep", "60").start();
        kq.kevent(new KEvent[] {KEvent.of(p.pid(), EVFILT_PROC, EV_ADD, NOTE_EXIT, 0, null)}, null, null);
        p.destroyForcibly(); // SIGKILL
        assertThat(waitExit(kq).data()).isEqualTo(9);
        p.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    @Test
    void aProcessThatExitedBeforeRegistrationIsReportedAtOnce(KQueue kq) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", "exit 3").start();
        long pid = p.pid();
        // registered while the child may be running, a zombie, or reaped by the JDK already
        try {
            kq.kevent(new KEvent[] {KEvent.of(pid, EVFILT_PROC, EV_ADD, NOTE_EXIT, 0, null)}, null, null);
        } catch (KQueueException e) {
            assertThat(e.errno()).isEqualTo(Errno.ESRCH); // reaped before we looked: gone, as FreeBSD says
            return;
        }
        KEvent ev = waitExit(kq);
        assertThat(ev.fflags() & NOTE_EXIT).isEqualTo(NOTE_EXIT);
        assertThat(ev.data()).isEqualTo(3 << 8);
    }

    /**
     * A process whose parent never reaps it, exiting after the registration:
     * only the zombie's /proc stat line holds its status. Its name holds
     * ") R 1 (", so that a parse from the first parenthesis would read the
     * wrong state and fields.
     */
    @Test
    void theStatusOfAZombieItsParentNeverReaps(KQueue kq, @TempDir Path dir) throws Exception {
        Path shell = Files.copy(Path.of("/bin/sh"), dir.resolve("s) R 1 (x"), StandardCopyOption.COPY_ATTRIBUTES);
        Path go = dir.resolve("go");
        // the outer shell becomes sleep, which never reaps the odd-named shell it started
        Process p = new ProcessBuilder("sh", "-c", "\"$0\" -c 'until grep -qx sleep /proc/$PPID/comm; do sleep 0.01; done; "
                + "until [ -e \"$0\" ]; do sleep 0.01; done; exit 7' \"$1\" & echo $!; exec sleep 60",
                shell.toString(), go.toString()).start();
        try {
            long pid = Long.parseLong(new BufferedReader(new InputStreamReader(p.getInputStream())).readLine());
            kq.kevent(new KEvent[] {KEvent.of(pid, EVFILT_PROC, EV_ADD, NOTE_EXIT, 0, null)}, null, null);
            assertThat(kq.kevent(null, new KEvent[1], Duration.ZERO)).as("still running").isZero();
            Files.createFile(go);
            KEvent ev = waitExit(kq);
            assertThat(ev.fflags() & NOTE_EXIT).isEqualTo(NOTE_EXIT);
            assertThat(ev.data()).as("wait(2) status of exit(7)").isEqualTo(7 << 8);
            assertThat(Files.readString(Path.of("/proc/" + pid + "/stat"))).as("not reaped").contains("(x) Z ");
        } finally {
            p.destroyForcibly().waitFor();
        }
    }

    /**
     * The JDK's reaper takes each status while the knote looks for it: a look
     * in the moment between the reaper's wait taking the zombie's status and
     * the kernel recording it for the pidfd finds neither, and must look again
     * rather than report the status unknown. Busy threads make that moment
     * longer by taking the reaper's CPU.
     */
    @Test
    void theStatusIsKeptWhileTheJdkReaperIsReaping(KQueue kq) throws Exception {
        AtomicBoolean done = new AtomicBoolean();
        List<Thread> busy = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            busy.add(Thread.ofPlatform().daemon().start(() -> {
                while (!done.get()) {
                    Thread.onSpinWait();
                }
            }));
        }
        try {
            int watched = 0;
            for (int i = 0; i < 150; i++) {
                Process p = new ProcessBuilder("sh", "-c", "exit 3").start();
                try {
                    kq.kevent(new KEvent[] {KEvent.of(p.pid(), EVFILT_PROC, EV_ADD, NOTE_EXIT, 0, null)}, null, null);
                } catch (KQueueException e) {
                    assertThat(e.errno()).isEqualTo(Errno.ESRCH);   // reaped before it was looked at
                    continue;
                }
                watched++;
                assertThat(waitExit(kq).data()).as("status of exit 3, child %d", i).isEqualTo(3 << 8);
            }
            assertThat(watched).as("children watched before the JDK reaped them").isPositive();
        } finally {
            done.set(true);
            for (Thread t : busy) {
                t.join();
            }
        }
    }

    @Test
    void execOfTheWatchedProcess(KQueue kq) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", "read x; exec sh -c 'exit 6'").start();
        kq.kevent(new KEvent[] {KEvent.of(p.pid(), EVFILT_PROC, EV_ADD, NOTE_EXEC | NOTE_EXIT, 0, null)}, null, null);
        p.getOutputStream().close();
        int seen = 0;
        KEvent[] out = new KEvent[4];
        while ((seen & NOTE_EXIT) == 0) {
            int n = kq.kevent(null, out, WAIT);
            assertThat(n).isPositive();
            for (int i = 0; i < n; i++) {
                assertThat(out[i].ident()).isEqualTo(p.pid());
                seen |= out[i].fflags();
                if ((out[i].fflags() & NOTE_EXIT) != 0) {
                    assertThat(out[i].data()).isEqualTo(6 << 8);
                }
            }
        }
        assertThat(seen & NOTE_EXEC).isEqualTo(NOTE_EXEC);
    }

    @Test
    void trackFollowsAChildThatForksAndExecs(KQueue kq) throws Exception {
        // the parent forks a child that waits a little, then execs something that exits 4
        Process p = new ProcessBuilder("sh", "-c", "read x; sh -c 'sleep 1; exec sh -c \"exit 4\"'; exit 5").start();
        long parent = p.pid();
        kq.kevent(new KEvent[] {KEvent.of(parent, EVFILT_PROC, EV_ADD,
                NOTE_EXIT | NOTE_FORK | NOTE_EXEC | NOTE_TRACK, 0, "tracked")}, null, null);
        p.getOutputStream().close();
        java.util.Map<Long, Integer> fflags = new java.util.HashMap<>();
        java.util.Map<Long, Long> childOf = new java.util.HashMap<>();
        java.util.Map<Long, Long> exitStatus = new java.util.HashMap<>();
        KEvent[] out = new KEvent[16];
        while (!exitStatus.containsKey(parent)) {
            int n = kq.kevent(null, out, WAIT);
            assertThat(n).as("events so far %s", fflags).isPositive();
            for (int i = 0; i < n; i++) {
                KEvent e = out[i];
                assertThat(e.filter()).isEqualTo(EVFILT_PROC);
                assertThat(e.udata()).isEqualTo("tracked");
                assertThat(e.flags() & EV_ERROR).isZero();
                fflags.merge(e.ident(), e.fflags(), (a, b) -> a | b);
                if ((e.fflags() & NOTE_CHILD) != 0) {
                    childOf.put(e.ident(), e.data());
                }
                if ((e.fflags() & NOTE_EXIT) != 0) {
                    exitStatus.put(e.ident(), e.data());
                }
            }
        }
        assertThat(fflags.get(parent) & (NOTE_FORK | NOTE_EXIT)).isEqualTo(NOTE_FORK | NOTE_EXIT);
        assertThat(exitStatus.get(parent)).isEqualTo(5L << 8);
        // the child: reported as NOTE_CHILD of the parent, then its exec and its exit(4)
        long child = childOf.entrySet().stream().filter(c -> c.getValue() == parent).findFirst().orElseThrow().getKey();
        assertThat(fflags.get(child) & (NOTE_EXEC | NOTE_TRACKERR)).isEqualTo(NOTE_EXEC);
        assertThat(exitStatus.get(child)).isEqualTo(4L << 8);
    }

    @Test
    void oneProcessWatchedByTwoKqueuesReportsItsExitInBoth(KQueue a, KQueue b) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", "read x; exit 9").start();
        a.kevent(new KEvent[] {KEvent.of(p.pid(), EVFILT_PROC, EV_ADD, NOTE_EXIT, 0, null)}, null, null);
        b.kevent(new KEvent[] {KEvent.of(p.pid(), EVFILT_PROC, EV_ADD, NOTE_EXIT, 0, null)}, null, null);
        // deleting one watch leaves the other
        b.kevent(new KEvent[] {KEvent.of(p.pid(), EVFILT_PROC, EV_DELETE)}, null, null);
        b.kevent(new KEvent[] {KEvent.of(p.pid(), EVFILT_PROC, EV_ADD, NOTE_EXIT, 0, null)}, null, null);
        p.getOutputStream().close();
        assertThat(waitExit(a).data()).isEqualTo(9 << 8);
        assertThat(waitExit(b).data()).isEqualTo(9 << 8);
    }

    @Test
    void noSuchProcessIsEsrch(KQueue kq) throws IOException {
        assertThatThrownBy(() -> kq.kevent(new KEvent[] {KEvent.of(0x3fffffff, EVFILT_PROC, EV_ADD, NOTE_EXIT, 0, null)}, null, null))
                .isInstanceOfSatisfying(KQueueException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ESRCH));
    }

    @Test
    void withoutNoteExitTheExitIsDroppedSilently(KQueue kq) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", "read x").start();
        kq.kevent(new KEvent[] {KEvent.of(p.pid(), EVFILT_PROC, EV_ADD, 0, 0, null)}, null, null);
        p.getOutputStream().close();
        p.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS);
        // EV_DROP: nothing is reported, and the knote is gone once the exit was seen
        assertThat(kq.kevent(null, new KEvent[1], Duration.ofMillis(200))).isZero();
        assertThatThrownBy(() -> kq.kevent(new KEvent[] {KEvent.of(p.pid(), EVFILT_PROC, EV_DELETE)}, null, null))
                .isInstanceOfSatisfying(KQueueException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT));
    }

    @Test
    void aReapedProcessIsEsrchWhileAnotherKqueueStillWatchesIt(KQueue kq1, KQueue kq2) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", "read x; exit 3").start();
        long pid = p.pid();
        Kq.apply(kq1, KEvent.of(pid, EVFILT_PROC, EV_ADD | EV_DISABLE, NOTE_EXIT, 0, null));
        p.getOutputStream().close();
        assertThat(p.waitFor()).isEqualTo(3); // exited and reaped by the JDK: the number names no process
        assertThat(Kq.applyFails(kq2, KEvent.of(pid, EVFILT_PROC, EV_ADD, NOTE_EXIT, 0, null)))
                .as("FreeBSD's filt_procattach for a pid that names no process").isEqualTo(Errno.ESRCH);
        // the knote that watched it all along still has its exit (a change sets kn_sfflags: NOTE_EXIT again)
        Kq.apply(kq1, KEvent.of(pid, EVFILT_PROC, EV_ENABLE, NOTE_EXIT, 0, null));
        KEvent ev = waitExit(kq1);
        assertThat(ev.fflags() & NOTE_EXIT).isEqualTo(NOTE_EXIT);
        assertThat(ev.data()).isEqualTo(3 << 8);
    }

    /** Skips unless this process may listen to process events (CAP_NET_ADMIN), as CI's root may. */
    @Test
    void forksAskedForByALaterEvAddAreReported(KQueue kq) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", "read x; /bin/true; read y").start();
        try {
            assumeProcessEvents(kq, p.pid());
            Kq.apply(kq, KEvent.of(p.pid(), EVFILT_PROC, EV_ADD, NOTE_EXIT, 0, null));
            // seed: an EV_ADD of an existing knote stores the new fflags, and its forks are heard from then on
            Kq.apply(kq, KEvent.of(p.pid(), EVFILT_PROC, EV_ADD, NOTE_EXIT | NOTE_FORK, 0, null));
            p.getOutputStream().write('\n');
            p.getOutputStream().flush();
            KEvent fork = Kq.one(kq);
            assertThat(fork.fflags() & NOTE_FORK).as("fflags %x", fork.fflags()).isEqualTo(NOTE_FORK);
        } finally {
            p.destroyForcibly().waitFor();
        }
    }

    private static void assumeProcessEvents(KQueue kq, long pid) throws IOException {
        try {
            Kq.apply(kq, KEvent.of(pid, EVFILT_PROC, EV_ADD, NOTE_FORK, 0, null));
        } catch (KQueueException e) {
            assumeTrue(e.errno() != Errno.EPERM, "NOTE_FORK needs CAP_NET_ADMIN, which this process lacks");
            throw e;
        }
        Kq.apply(kq, KEvent.of(pid, EVFILT_PROC, EV_DELETE));
    }

    /** Collects the fflags a knote on {@code pid} reports up to and including its NOTE_EXIT. */
    private static int fflagsUntilExit(KQueue kq, long pid) throws IOException {
        int seen = 0;
        KEvent[] out = new KEvent[8];
        while ((seen & NOTE_EXIT) == 0) {
            int n = kq.kevent(null, out, WAIT);
            assertThat(n).as("events so far: fflags %x", seen).isPositive();
            for (int i = 0; i < n; i++) {
                assertThat(out[i].ident()).isEqualTo(pid);
                seen |= out[i].fflags();
            }
        }
        return seen;
    }

    @Test
    void aForkBeforeTheKnoteWasAddedIsNotReported(KQueue kq1, KQueue kq2) throws Exception {
        Process other = new ProcessBuilder("sh", "-c", "read x").start();
        // a fork watcher comes and goes: nothing may stay subscribed behind it
        assumeProcessEvents(kq1, other.pid());
        other.getOutputStream().close();
        // the process forks (/bin/true is not a shell builtin) before anyone watches it
        Process p = new ProcessBuilder("sh", "-c", "/bin/true; echo forked; read x").start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream()));
        assertThat(out.readLine()).isEqualTo("forked");
        Kq.apply(kq2, KEvent.of(p.pid(), EVFILT_PROC, EV_ADD, NOTE_FORK | NOTE_EXIT, 0, null));
        p.getOutputStream().close();
        assertThat(fflagsUntilExit(kq2, p.pid()) & (NOTE_FORK | NOTE_TRACKERR))
                .as("no fork after the knote was added, and nothing lost").isZero();
    }

    @Test
    void aForkOrExecBeforeTheKnoteWasAddedIsNotReportedWhileAnotherKnoteKeepsTheEventsComing(KQueue kq1, KQueue kq2)
            throws Exception {
        Process other = new ProcessBuilder("sh", "-c", "read x").start();
        try {
            assumeProcessEvents(kq1, other.pid());
            // kq1 keeps the connector listening, and nobody collects from it meanwhile
            Kq.apply(kq1, KEvent.of(other.pid(), EVFILT_PROC, EV_ADD, NOTE_FORK, 0, null));
            // p is exec'd (from the JVM's spawn) and forks before anyone watches it
            Process p = new ProcessBuilder("sh", "-c", "/bin/true; echo forked; read x").start();
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream()));
            assertThat(out.readLine()).isEqualTo("forked");
            Kq.apply(kq2, KEvent.of(p.pid(), EVFILT_PROC, EV_ADD, NOTE_FORK | NOTE_EXEC | NOTE_EXIT, 0, null));
            p.getOutputStream().close();
            assertThat(fflagsUntilExit(kq2, p.pid()) & (NOTE_FORK | NOTE_EXEC | NOTE_TRACKERR))
                    .as("no fork or exec after the knote was added, and nothing lost").isZero();
        } finally {
            other.destroyForcibly().waitFor();
        }
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void aBurstOfProcessesWhileNobodyCollectsLosesNoEvent(KQueue kq1) throws Exception {
        Process other = new ProcessBuilder("sh", "-c", "read x").start();
        try {
            assumeProcessEvents(kq1, other.pid());
            Kq.apply(kq1, KEvent.of(other.pid(), EVFILT_PROC, EV_ADD, NOTE_FORK | NOTE_EXEC, 0, null));
            // 1,500 processes elsewhere (a fork, an exec and an exit each) queue 4,500 messages unread
            Process many = new ProcessBuilder("sh", "-c", "i=0; while [ $i -lt 1500 ]; do /bin/true; i=$((i+1)); done")
                    .start();
            assertThat(many.waitFor(120, TimeUnit.SECONDS)).isTrue();
            KEvent[] out = new KEvent[4];
            for (int look = 0; look < 2; look++) {   // the first look drains, the second sees what that queued
                assertThat(kq1.kevent(null, out, Duration.ZERO)).as("events for a process that did nothing (NOTE_TRACKERR: "
                        + "the kernel dropped messages)").isZero();
            }
        } finally {
            other.destroyForcibly().waitFor();
        }
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)   // 3,000 processes may take the 120 s they are given
    void processesElsewhereBeforeTheKnoteWasAddedCostItNoTrackError(KQueue kq1, KQueue kq2) throws Exception {
        Process other = new ProcessBuilder("sh", "-c", "read x").start();
        assumeProcessEvents(kq1, other.pid());
        other.getOutputStream().close();
        // 3,000 processes (each a fork, an exec and an exit) while nobody watches forks or execs
        Process many = new ProcessBuilder("sh", "-c", "i=0; while [ $i -lt 3000 ]; do /bin/true; i=$((i+1)); done")
                .start();
        assertThat(many.waitFor(120, TimeUnit.SECONDS)).isTrue();
        Process p = new ProcessBuilder("sh", "-c", "read x").start();
        Kq.apply(kq2, KEvent.of(p.pid(), EVFILT_PROC, EV_ADD, NOTE_FORK | NOTE_EXEC | NOTE_EXIT, 0, null));
        p.getOutputStream().close();
        assertThat(fflagsUntilExit(kq2, p.pid()) & NOTE_TRACKERR)
                .as("no events of this knote's time were lost").isZero();
    }

    @Test
    void theEventsSocketClosesWithItsLastKnoteAndServesEveryKqueueWhenReopened(KQueue kq1, KQueue kq2) throws Exception {
        Process x = new ProcessBuilder("sh", "-c", "read x").start();
        int before = Kq.openFds();
        assumeProcessEvents(kq1, x.pid());
        Kq.apply(kq1, KEvent.of(x.pid(), EVFILT_PROC, EV_ADD, NOTE_FORK, 0, null));
        Kq.apply(kq2, KEvent.of(x.pid(), EVFILT_PROC, EV_ADD, NOTE_EXEC, 0, null));
        Kq.apply(kq1, KEvent.of(x.pid(), EVFILT_PROC, EV_DELETE));
        Kq.apply(kq2, KEvent.of(x.pid(), EVFILT_PROC, EV_DELETE));
        assertThat(Kq.awaitOpenFds(before)).as("the pidfd and the connector's socket are closed").isEqualTo(before);
        x.getOutputStream().close();
        // reopened (perhaps under the same number) for knotes in both kqueues
        Process p = new ProcessBuilder("sh", "-c", "read x; /bin/true; exit 0").start();
        Kq.apply(kq1, KEvent.of(p.pid(), EVFILT_PROC, EV_ADD, NOTE_FORK | NOTE_EXIT, 0, null));
        Kq.apply(kq2, KEvent.of(p.pid(), EVFILT_PROC, EV_ADD, NOTE_FORK | NOTE_EXIT, 0, null));
        p.getOutputStream().close();
        assertThat(fflagsUntilExit(kq1, p.pid()) & (NOTE_FORK | NOTE_TRACKERR)).isEqualTo(NOTE_FORK);
        assertThat(fflagsUntilExit(kq2, p.pid()) & (NOTE_FORK | NOTE_TRACKERR)).isEqualTo(NOTE_FORK);
    }
}
