package io.jkqueue.linux;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The kernel features jkqueue uses that Linux 5.4 does not have, or that
 * are missing below it: each is used while present and found missing once,
 * by trying it (never by reading the kernel's version); the answer is kept
 * for the life of the JVM. {@code -Djkqueue.kernel.disable=epoll_pwait2,...}
 * treats the named features (by call or by constant, e.g. FANOTIFY_MOUNT) as
 * missing from the start (to measure or test the way without them).
 */
public final class Kernel {
    private Kernel() {}

    /** A feature: the call (or request) and the Linux version that added it. */
    public enum Feature {
        /** epoll_pwait2(2): a nanosecond timeout; without it epoll_wait's milliseconds and the timerfd. */
        EPOLL_PWAIT2("epoll_pwait2", "5.11"),
        /** pidfd_open(2): EVFILT_PROC's exit notification; without it EVFILT_PROC is ENOSYS. */
        PIDFD_OPEN("pidfd_open", "5.3"),
        /**
         * The ioctl PIDFD_GET_INFO with PIDFD_INFO_EXIT: the exit status kept
         * for a pidfd after the reaping; without it NOTE_EXIT's status comes
         * from the process-events connector.
         */
        PIDFD_GET_INFO("PIDFD_GET_INFO", "6.15"),
        /**
         * fanotify's mount events (FAN_REPORT_MNT, FAN_MARK_MNTNS): every
         * mount and unmount queued for EVFILT_FS; without them it compares
         * /proc/self/mountinfo with its last reading.
         */
        FANOTIFY_MOUNT("fanotify mount events", "6.15"),
        /**
         * io_uring with IORING_REGISTER_PROBE and IORING_OP_READ/WRITE (5.6):
         * the AIO jobs' backend; without it (or when kernel.io_uring_disabled
         * or a seccomp filter refuses it) AIO runs on worker threads.
         */
        IO_URING("io_uring", "5.6");

        final String call;
        final String since;
        volatile boolean missing;

        Feature(String call, String since) {
            this.call = call;
            this.since = since;
            this.missing = Arrays.stream(System.getProperty("jkqueue.kernel.disable", "").split(","))
                    .anyMatch(name -> name.trim().equalsIgnoreCase(call) || name.trim().equalsIgnoreCase(name()));
        }

        /** Whether it may be used: not found missing, and not disabled. */
        public boolean present() {
            return !missing;
        }

        /** It answered ENOSYS (or its library has no symbol): from now on it is not tried again. */
        public void markMissing() {
            missing = true;
        }

        @Override
        public String toString() {
            return call + " (Linux " + since + ")";
        }
    }

    /** The features found missing so far, e.g. for the message of an ENOSYS. */
    public static List<Feature> missing() {
        return Arrays.stream(Feature.values()).filter(f -> f.missing).collect(Collectors.toList());
    }

    /** "epoll_pwait2 (Linux 5.11), ..." or "none". */
    public static String describeMissing() {
        List<Feature> m = missing();
        return m.isEmpty() ? "none" : m.stream().map(Feature::toString).collect(Collectors.joining(", "));
    }
}
