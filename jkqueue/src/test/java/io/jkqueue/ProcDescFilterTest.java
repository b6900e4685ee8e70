package io.jkqueue;

import io.jkqueue.linux.Kernel;
import io.jkqueue.linux.PidFd;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.channels.Pipe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.jkqueue.KEvent.*;
import static io.jkqueue.Kq.WAIT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** ProcessDescriptor and EVFILT_PROCDESC (sys_procdesc.c) over pidfds, on real processes. */
@ExtendWith(KqExtension.class)
class ProcDescFilterTest {

    @BeforeAll
    static void pidfdsExist() throws IOException {
        try {
            ProcessDescriptor.open(ProcessHandle.current().pid()).close();
        } catch (KQueueException e) {
            assumeTrue(e.errno() != Errno.ENOSYS, "process descriptors need pidfd_open (Linux 5.3): " + e.getMessage());
            throw e;
        }
    }

    private static KEvent procdesc(ProcessDescriptor pd, int flags, Object udata) {
        return KEvent.of(pd.fd(), EVFILT_PROCDESC, flags, NOTE_EXIT, 0, udata);
    }

    private static void assertExit(KEvent e, ProcessDescriptor pd, long status) {
        assertThat(e.ident()).isEqualTo(pd.fd());
        assertThat(e.filter()).isEqualTo(EVFILT_PROCDESC);
        assertThat(e.fflags()).isEqualTo(NOTE_EXIT);
        assertThat(e.flags() & (EV_EOF | EV_ONESHOT | EV_CLEAR)).isEqualTo(EV_EOF | EV_ONESHOT | EV_CLEAR);
        assertThat(e.data()).as("wait(2) status").isEqualTo(status);
    }

    /** The pidfds open in this process that name {@code pid}, from /proc/self/fdinfo. */
    private static List<Integer> pidfdsOf(long pid) throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fdinfo"))) {
            return fds.filter(f -> {
                try {
                    return Files.readAllLines(f).contains("Pid:\t" + pid);
                } catch (IOException closedMeanwhile) {
                    return false;
                }
            }).map(f -> Integer.parseInt(f.getFileName().toString())).toList();
        }
    }

    @Test
    void exitStatusOfAChildTheJdkReaps(KQueue kq) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", "read x; exit 7").start();
        try (ProcessDescriptor pd = ProcessDescriptor.of(p.toHandle())) {
            assertThat(pd.pid()).isEqualTo(p.pid());
            Kq.apply(kq, procdesc(pd, EV_ADD, "child"));
            Kq.assertNoEvents(kq);
            p.getOutputStream().close();
            KEvent e = Kq.one(kq);
            assertExit(e, pd, 7 << 8);
            assertThat(e.udata()).isEqualTo("child");
            assertThat(p.waitFor()).isEqualTo(7);
            assertThat(Kq.applyFails(kq, KEvent.of(pd.fd(), EVFILT_PROCDESC, EV_DELETE))).as("one shot")
                    .isEqualTo(Errno.ENOENT);
        }
    }

    @Test
    void killThroughTheDescriptorGivesTheSignalStatus(KQueue kq) throws Exception {
        Process p = new ProcessBuilder("sleep", "60").start();
        try (ProcessDescriptor pd = ProcessDescriptor.of(p.toHandle())) {
            Kq.apply(kq, procdesc(pd, EV_ADD, null));
            pd.kill(0);
            pd.kill(9);
            assertExit(Kq.one(kq), pd, 9);
            assertThat(p.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            assertThat(catchThrowableOfType(KQueueException.class, () -> pd.kill(9)).errno())
                    .as("pdkill of a reaped process").isEqualTo(Errno.ESRCH);
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void aZombieAtRegistrationIsReportedAtOnceWithItsStatus(KQueue kq) throws Exception {
        // sleep never reaps the child its shell left behind, which exits once the shell is sleep: a zombie of
        // another parent
        Process p = new ProcessBuilder("sh", "-c",
                "sh -c 'until grep -qx sleep /proc/$PPID/comm; do sleep 0.01; done; exit 5' & echo $!; exec sleep 60")
                .start();
        try {
            long zombie = Long.parseLong(new BufferedReader(new InputStreamReader(p.getInputStream())).readLine());
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!Files.readString(Path.of("/proc/" + zombie + "/stat")).contains(") Z ")) {
                assertThat(System.nanoTime()).as("%d became a zombie", zombie).isLessThan(deadline);
                Thread.sleep(5);
            }
            try (ProcessDescriptor pd = ProcessDescriptor.open(zombie)) {
                Kq.apply(kq, procdesc(pd, EV_ADD, null));
                assertExit(Kq.one(kq), pd, 5 << 8);
            }
        } finally {
            p.destroyForcibly().waitFor();
        }
    }

    @Test
    void aChildTheJdkReapedBeforeRegistrationStillReportsItsExit(KQueue kq) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", "read x; exit 3").start();
        try (ProcessDescriptor pd = ProcessDescriptor.of(p.toHandle())) {
            p.getOutputStream().close();
            assertThat(p.waitFor()).isEqualTo(3);   // reaped: its number may name another process by now
            Kq.apply(kq, procdesc(pd, EV_ADD, null));
            KEvent e = Kq.one(kq);
            // the kernel keeps the status for the pidfd since Linux 6.15; before, it is lost (README, Deviations)
            assertExit(e, pd, Kernel.Feature.PIDFD_GET_INFO.present() ? 3 << 8 : -1);
            assertThat(catchThrowableOfType(KQueueException.class, () -> pd.kill(0)).errno()).isEqualTo(Errno.ESRCH);
        }
    }

    @Test
    void procdescAndProcOnOneProcessBothReport(KQueue kq) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", "read x; exit 4").start();
        try (ProcessDescriptor pd = ProcessDescriptor.of(p.toHandle())) {
            Kq.apply(kq, procdesc(pd, EV_ADD, "procdesc"),
                    KEvent.of(p.pid(), EVFILT_PROC, EV_ADD, NOTE_EXIT | NOTE_EXEC, 0, "proc"));
            p.getOutputStream().close();
            KEvent procdesc = null;
            KEvent proc = null;
            while (procdesc == null || proc == null) {
                for (KEvent e : Kq.await(kq)) {
                    if (e.filter() == EVFILT_PROCDESC) {
                        procdesc = e;
                    } else if ((e.fflags() & NOTE_EXIT) != 0) {
                        proc = e;
                    }
                }
            }
            assertExit(procdesc, pd, 4 << 8);
            assertThat(proc.data()).isEqualTo(4 << 8);
        }
    }

    @Test
    void aProcessDescriptorTakesNoOtherFilter(KQueue kq) throws Exception {
        Process p = new ProcessBuilder("sleep", "60").start();
        try (ProcessDescriptor pd = ProcessDescriptor.of(p.toHandle())) {
            for (int filter : new int[] {EVFILT_READ, EVFILT_WRITE, EVFILT_VNODE, EVFILT_EMPTY}) {
                assertThat(Kq.applyFails(kq, KEvent.of(pd.fd(), filter, EV_ADD, 0, 0, null)))
                        .as("filter %d on a process descriptor", filter).isEqualTo(Errno.EINVAL);
            }
        } finally {
            p.destroyForcibly().waitFor();
        }
    }

    @Test
    void aPidfdJkqueueDidNotOpenIsAProcessDescriptorToo(KQueue kq) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", "read x; exit 2").start();
        int pidfd = PidFd.open((int) p.pid());
        assertThat(pidfd).isNotNegative();
        try {
            assertThat(Kq.applyFails(kq, KEvent.of(pidfd, EVFILT_READ, EV_ADD, 0, 0, null))).isEqualTo(Errno.EINVAL);
            Kq.apply(kq, KEvent.of(pidfd, EVFILT_PROCDESC, EV_ADD, NOTE_EXIT, 0, null));
            p.getOutputStream().close();
            KEvent e = Kq.one(kq);
            assertThat(e.ident()).isEqualTo(pidfd);
            assertThat(e.data()).isEqualTo(2 << 8);
        } finally {
            Fd.close(pidfd);
        }
    }

    @Test
    void procdescOnAnythingElseIsEinvalAndOnAClosedNumberEbadf(KQueue kq, KQueue other, @TempDir Path dir)
            throws Exception {
        Pipe pipe = Pipe.open();
        int file = Fd.open(Files.writeString(dir.resolve("f"), "x"));
        try {
            for (int fd : new int[] {Fd.of(pipe.source()), Fd.of(pipe.sink()), file, other.fd()}) {
                assertThat(Kq.applyFails(kq, KEvent.of(fd, EVFILT_PROCDESC, EV_ADD, NOTE_EXIT, 0, null)))
                        .as("EVFILT_PROCDESC on descriptor %d", fd).isEqualTo(Errno.EINVAL);
            }
        } finally {
            Fd.close(file);
            pipe.source().close();
            pipe.sink().close();
        }
        assertThat(Kq.applyFails(kq, KEvent.of(file, EVFILT_PROCDESC, EV_ADD, NOTE_EXIT, 0, null)))
                .isEqualTo(Errno.EBADF);
    }

    @Test
    void openErrors() throws Exception {
        assertThat(catchThrowableOfType(KQueueException.class, () -> ProcessDescriptor.open(0x3fffffff)).errno())
                .isEqualTo(Errno.ESRCH);
        Process p = new ProcessBuilder("true").start();
        assertThat(p.waitFor()).isZero();
        assertThat(catchThrowableOfType(KQueueException.class, () -> ProcessDescriptor.of(p.toHandle())).errno())
                .as("a reaped process, whatever has its number now").isEqualTo(Errno.ESRCH);
    }

    @Test
    void closeDropsItsKnotesInEveryKqueueBeforeItReturns(KQueue a, KQueue b) throws Exception {
        Process p = new ProcessBuilder("sleep", "60").start();
        try {
            ProcessDescriptor pd = ProcessDescriptor.of(p.toHandle());
            int fd = pd.fd();
            Kq.apply(a, procdesc(pd, EV_ADD, "old"));
            Kq.apply(b, procdesc(pd, EV_ADD, "old"));
            assertThat(pidfdsOf(p.pid())).as("the descriptor and the knotes' own").hasSizeGreaterThan(1);
            pd.close();
            assertThat(pidfdsOf(p.pid())).as("no knote holds the process any more").isEmpty();
            assertThat(catchThrowableOfType(KQueueException.class, () -> pd.kill(9)).errno()).isEqualTo(Errno.EBADF);
            pd.close();   // idempotent
            // a descriptor that takes the number starts clean
            try (ProcessDescriptor self = ProcessDescriptor.open(ProcessHandle.current().pid())) {
                assumeTrue(self.fd() == fd, "the number was not reused (another thread opened a descriptor)");
                for (KQueue kq : List.of(a, b)) {
                    assertThat(Kq.applyFails(kq, KEvent.of(fd, EVFILT_PROCDESC, EV_DELETE))).isEqualTo(Errno.ENOENT);
                }
            }
        } finally {
            p.destroyForcibly().waitFor();
        }
    }

    @Test
    void fdCloseOfAProcessDescriptorClosesIt(KQueue kq) throws Exception {
        Process p = new ProcessBuilder("sleep", "60").start();
        try {
            ProcessDescriptor pd = ProcessDescriptor.of(p.toHandle());
            Kq.apply(kq, procdesc(pd, EV_ADD, null));
            Fd.close(pd.fd());
            assertThat(pidfdsOf(p.pid())).isEmpty();
            assertThat(catchThrowableOfType(KQueueException.class, () -> pd.kill(9)).errno()).isEqualTo(Errno.EBADF);
        } finally {
            p.destroyForcibly().waitFor();
        }
    }
}
