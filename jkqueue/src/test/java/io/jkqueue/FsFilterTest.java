package io.jkqueue;

import io.jkqueue.linux.Kernel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.jkqueue.KEvent.*;
import static io.jkqueue.Kq.WAIT;
import static io.jkqueue.Kq.add;
import static io.jkqueue.Kq.apply;
import static io.jkqueue.Kq.assertNoEvents;
import static io.jkqueue.Kq.ev;
import static io.jkqueue.Kq.one;
import static io.jkqueue.ChildJvm.isRoot;
import static io.jkqueue.ChildJvm.javaCommand;
import static io.jkqueue.ChildJvm.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * EVFILT_FS: tmpfs file systems mounted on temporary directories with
 * mount(8) and taken away with umount(8). The tests in this JVM use the
 * backend it has (fanotify's mount events as root on Linux 6.15 and later,
 * else /proc/self/mountinfo); the child JVMs run the same story with each
 * backend in a mount namespace of their own, and as an unprivileged user.
 */
class FsFilterTest {

    private static String cannotMount;   // why this process cannot mount, or null

    @BeforeAll
    static void probeMount(@TempDir Path dir) throws Exception {
        Run m = Run.of("mount", "-t", "tmpfs", "-o", "size=1m", "jkqueue-probe", dir.toString());
        if (m.status == 0) {
            assertThat(Run.of("umount", dir.toString()).status).isZero();
        } else {
            cannotMount = "mounting a tmpfs needs root (CAP_SYS_ADMIN); mount said: " + m.output.strip();
        }
    }

    private static void assumeCanMount() {
        assumeTrue(cannotMount == null, cannotMount);
    }

    /**
     * The outcome of a command: its exit status and what it wrote (both
     * streams). Without AssertJ, which the child JVMs do not have.
     */
    record Run(int status, String output) {
        static Run of(String... command) throws IOException, InterruptedException {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out;
            try (var stdin = p.getOutputStream(); var stdout = p.getInputStream()) {   // no descriptor left behind
                out = new String(stdout.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (!p.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(List.of(command) + " did not end within " + WAIT);
            }
            return new Run(p.exitValue(), out);
        }

        static void mustSucceed(String... command) throws IOException, InterruptedException {
            Run r = of(command);
            if (r.status != 0) {
                throw new AssertionError(List.of(command) + " exited " + r.status + ": " + r.output);
            }
        }
    }

    static void mount(Path dir) throws IOException, InterruptedException {
        Run.mustSucceed("mount", "-t", "tmpfs", "-o", "size=1m", "jkqueue-fs", dir.toString());
    }

    static void remount(Path dir) throws IOException, InterruptedException {
        Run.mustSucceed("mount", "-o", "remount,size=2m", dir.toString());
    }

    static void umount(Path dir) throws IOException, InterruptedException {
        Run.mustSucceed("umount", dir.toString());
    }

    /** Takes away whatever the test left mounted on {@code dirs} (after a failure), so that @TempDir can go. */
    private static void unmountLeftovers(Path... dirs) throws IOException, InterruptedException {
        for (Path d : dirs) {
            Run.of("umount", d.toString());
        }
    }

    private static KEvent fs(int flags, int fflags) {
        return ev(0, EVFILT_FS, flags, fflags, 0, null);
    }

    @Test
    void aMountAndAnUnmountAreReportedWithEvClearImplied(@TempDir Path a) throws Exception {
        assumeCanMount();
        try (KQueue kq = KQueue.open()) {
            apply(kq, ev(7, EVFILT_FS, EV_ADD, 0, 0, "mounts"));
            try {
                mount(a);
                KEvent e = one(kq);
                assertThat(e.ident()).isEqualTo(7);
                assertThat(e.filter()).isEqualTo(EVFILT_FS);
                assertThat(e.flags() & EV_CLEAR).as("EV_CLEAR, set by attach").isEqualTo(EV_CLEAR);
                assertThat(e.fflags()).isEqualTo(VQ_MOUNT);
                assertThat(e.udata()).isEqualTo("mounts");
                umount(a);
                assertThat(one(kq).fflags()).isEqualTo(VQ_UNMOUNT);
            } finally {
                unmountLeftovers(a);
            }
        }
    }

    @Test
    void aMountThatCameAndWentBetweenTwoScansIsBothHints(@TempDir Path a) throws Exception {
        assumeCanMount();
        try (KQueue kq = KQueue.open()) {
            add(kq, 0, EVFILT_FS, EV_ADD);
            assumeTrue(Kernel.Feature.FANOTIFY_MOUNT.present(), "without fanotify's mount events (Linux 6.15) "
                    + "EVFILT_FS compares readings of /proc/self/mountinfo, which cannot see a mount that came "
                    + "and went between two of them (see fallbackSeesChangesThatLastAndNothingOfARemount)");
            try {
                mount(a);
                umount(a);
                assertThat(one(kq).fflags()).isEqualTo(VQ_MOUNT | VQ_UNMOUNT);
                assertNoEvents(kq);
            } finally {
                unmountLeftovers(a);
            }
        }
    }

    @Test
    void hintsAccumulateUntilReportedAndAreThenCleared(@TempDir Path a, @TempDir Path b, @TempDir Path c)
            throws Exception {
        assumeCanMount();
        try (KQueue kq = KQueue.open()) {
            add(kq, 0, EVFILT_FS, EV_ADD);
            try {
                mount(a);
                mount(b);
                assertThat(one(kq).fflags()).isEqualTo(VQ_MOUNT);
                assertNoEvents(kq);
                // a different mount point each, so that even a reused mount id is a change
                umount(a);
                mount(c);
                assertThat(one(kq).fflags()).isEqualTo(VQ_MOUNT | VQ_UNMOUNT);
                assertNoEvents(kq);
                umount(b);
                umount(c);
                assertThat(one(kq).fflags()).isEqualTo(VQ_UNMOUNT);
            } finally {
                unmountLeftovers(a, b, c);
            }
        }
    }

    @Test
    void aRemountReportsNothing(@TempDir Path a) throws Exception {
        assumeCanMount();
        try (KQueue kq = KQueue.open()) {
            add(kq, 0, EVFILT_FS, EV_ADD);
            try {
                mount(a);
                assertThat(one(kq).fflags()).isEqualTo(VQ_MOUNT);
                remount(a);
                // the remount is in the table when mount(8) returns: this poll reads it, and finds nothing new
                assertNoEvents(kq);
                umount(a);
                assertThat(one(kq).fflags()).as("the unmount alone").isEqualTo(VQ_UNMOUNT);
            } finally {
                unmountLeftovers(a);
            }
        }
    }

    @Test
    void theFflagsOfTheChangeAreIgnored(@TempDir Path a) throws Exception {
        assumeCanMount();
        try (KQueue kq = KQueue.open()) {
            apply(kq, fs(EV_ADD, VQ_UNMOUNT | VQ_LOWDISK | VQ_DEAD));
            assertNoEvents(kq);
            try {
                mount(a);
                assertThat(one(kq).fflags()).isEqualTo(VQ_MOUNT);
                apply(kq, fs(EV_ADD, VQ_UNMOUNT | VQ_NOTRESP));   // a modification: no event of its own
                assertNoEvents(kq);
                umount(a);
                assertThat(one(kq).fflags()).isEqualTo(VQ_UNMOUNT);
            } finally {
                unmountLeftovers(a);
            }
        }
    }

    /** The descriptors open on the mount table: a fanotify group or /proc/<pid>/mountinfo. */
    private static long mountTableFds() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.map(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString();
                } catch (IOException closedMeanwhile) {
                    return "";
                }
            }).filter(t -> t.equals("anon_inode:[fanotify]") || t.endsWith("/mountinfo")).count();
        }
    }

    @Test
    void kqueuesShareOneDescriptorThatTheLastKnoteCloses(@TempDir Path a) throws Exception {
        try (KQueue kq1 = KQueue.open(); KQueue kq2 = KQueue.open()) {
            assertThat(mountTableFds()).isZero();
            add(kq1, 1, EVFILT_FS, EV_ADD);
            add(kq1, 2, EVFILT_FS, EV_ADD);
            add(kq2, 1, EVFILT_FS, EV_ADD);
            assertThat(mountTableFds()).as("one descriptor for the mount table").isEqualTo(1);
            if (cannotMount == null) {
                try {
                    mount(a);
                    List<KEvent> got = Kq.await(kq1);
                    while (got.size() < 2) {
                        got.addAll(Kq.await(kq1));
                    }
                    assertThat(got).extracting(KEvent::ident).containsExactlyInAnyOrder(1L, 2L);
                    assertThat(one(kq2).fflags()).isEqualTo(VQ_MOUNT);
                } finally {
                    unmountLeftovers(a);
                }
            }
            add(kq1, 1, EVFILT_FS, EV_DELETE);
            add(kq2, 1, EVFILT_FS, EV_DELETE);
            assertThat(mountTableFds()).isEqualTo(1);
            add(kq1, 2, EVFILT_FS, EV_DELETE);
            assertThat(mountTableFds()).as("closed with the last knote").isZero();
            add(kq2, 3, EVFILT_FS, EV_ADD);
            assertThat(mountTableFds()).as("opened again").isEqualTo(1);
        }
        assertThat(mountTableFds()).as("closed with its kqueue").isZero();
    }

    // ---- child JVMs: each backend on its own, in a mount namespace nothing else changes; an unprivileged user

    private static List<String> inOwnMountNamespace(List<String> command) {
        List<String> all = new ArrayList<>(List.of("unshare", "--mount", "--propagation", "private"));
        all.addAll(command);
        return all;
    }

    @Test
    void fallbackSeesChangesThatLastAndNothingOfARemount() throws Exception {
        assumeCanMount();
        List<String> said = run(inOwnMountNamespace(
                javaCommand(List.of("-Djkqueue.kernel.disable=FANOTIFY_MOUNT"), StoryChild.class)));
        assertThat(said).containsExactly(
                "backend mountinfo",
                "mount: VQ_MOUNT",
                "remount: nothing",
                "unmount: VQ_UNMOUNT",
                "unmount+mount elsewhere: VQ_MOUNT|VQ_UNMOUNT",
                // the fallback's limit: the table read after both looks as it did before
                "came and went: nothing");
    }

    @Test
    void fanotifySeesEveryChangeAndNothingOfARemount() throws Exception {
        assumeCanMount();
        List<String> said = run(inOwnMountNamespace(javaCommand(StoryChild.class)));
        assumeTrue(said.getFirst().equals("backend fanotify"),
                "fanotify's mount events are missing (before Linux 6.15): " + said.getFirst());
        assertThat(said).containsExactly(
                "backend fanotify",
                "mount: VQ_MOUNT",
                "remount: nothing",
                "unmount: VQ_UNMOUNT",
                "unmount+mount elsewhere: VQ_MOUNT|VQ_UNMOUNT",
                "came and went: VQ_MOUNT|VQ_UNMOUNT");
    }

    /** Tells the mount table's story to one EVFILT_FS knote, in a mount namespace of its own. */
    public static final class StoryChild {
        public static void main(String[] args) throws Exception {
            Path a = Files.createTempDirectory("jkq-fs-a");
            Path b = Files.createTempDirectory("jkq-fs-b");
            try (KQueue kq = KQueue.open()) {
                kq.kevent(new KEvent[] {KEvent.of(0, EVFILT_FS, EV_ADD)}, null, null);
                System.out.println("backend " + (Kernel.Feature.FANOTIFY_MOUNT.present() ? "fanotify" : "mountinfo"));
                mount(a);
                System.out.println("mount: " + next(kq));
                remount(a);
                System.out.println("remount: " + poll(kq));
                umount(a);
                System.out.println("unmount: " + next(kq));
                mount(a);
                next(kq);
                umount(a);
                mount(b);
                System.out.println("unmount+mount elsewhere: " + next(kq));
                umount(b);
                next(kq);
                mount(a);
                umount(a);
                System.out.println("came and went: " + poll(kq));
            } finally {
                Files.delete(a);
                Files.delete(b);
            }
        }

        private static String next(KQueue kq) throws IOException {
            KEvent[] out = new KEvent[1];
            return kq.kevent(null, out, WAIT) == 1 ? hints(out[0].fflags()) : "no event within " + WAIT;
        }

        private static String poll(KQueue kq) throws IOException {
            KEvent[] out = new KEvent[1];
            return kq.kevent(null, out, java.time.Duration.ZERO) == 1 ? hints(out[0].fflags()) : "nothing";
        }
    }

    static String hints(int fflags) {
        List<String> names = new ArrayList<>();
        if ((fflags & VQ_MOUNT) != 0) {
            names.add("VQ_MOUNT");
        }
        if ((fflags & VQ_UNMOUNT) != 0) {
            names.add("VQ_UNMOUNT");
        }
        if ((fflags & ~(VQ_MOUNT | VQ_UNMOUNT)) != 0) {
            names.add(String.format("0x%x", fflags & ~(VQ_MOUNT | VQ_UNMOUNT)));
        }
        return String.join("|", names);
    }

    @Test
    void anUnprivilegedProcessWatchesThroughMountinfo(@TempDir Path a) throws Exception {
        assumeCanMount();
        assumeTrue(isRoot(), "running a child as nobody (setpriv --reuid) needs root");
        List<String> command = new ArrayList<>(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"));
        command.addAll(javaCommand(WatchingChild.class));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            assertThat(out.readLine()).isEqualTo("watching");
            try {
                mount(a);
                // fanotify's mount events need CAP_SYS_ADMIN: nobody gets them from mountinfo
                assertThat(out.readLine()).isNotNull().contains("VQ_MOUNT");
                umount(a);
                assertThat(out.readLine()).isNotNull().contains("VQ_UNMOUNT");
            } finally {
                unmountLeftovers(a);
            }
            assertThat(p.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isZero();
        } finally {
            p.destroyForcibly();
        }
    }

    /** Watches the mount table and prints the hints of its first two events. */
    public static final class WatchingChild {
        public static void main(String[] args) throws Exception {
            try (KQueue kq = KQueue.open()) {
                kq.kevent(new KEvent[] {KEvent.of(0, EVFILT_FS, EV_ADD)}, null, null);
                System.out.println("watching");
                for (int seen = 0; seen < 2; ) {
                    KEvent[] out = new KEvent[1];
                    if (kq.kevent(null, out, WAIT) != 1) {
                        System.out.println("no event within " + WAIT);
                        return;
                    }
                    System.out.println(hints(out[0].fflags()));
                    seen += Integer.bitCount(out[0].fflags() & (VQ_MOUNT | VQ_UNMOUNT));
                }
            }
        }
    }
}
