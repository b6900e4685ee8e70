package io.jkqueue.filters;

import io.jkqueue.Errno;
import io.jkqueue.linux.Fanotify;
import io.jkqueue.linux.Kernel;
import io.jkqueue.linux.Libc;
import io.jkqueue.linux.LinuxErrno;
import io.jkqueue.linux.MountInfo;
import io.jkqueue.spi.DescriptorSource;
import io.jkqueue.spi.KnList;

import java.util.Set;

import static io.jkqueue.KEvent.VQ_MOUNT;
import static io.jkqueue.KEvent.VQ_UNMOUNT;
import static io.jkqueue.linux.Fanotify.FAN_MNT_ATTACH;
import static io.jkqueue.linux.Fanotify.FAN_MNT_DETACH;
import static io.jkqueue.linux.Fanotify.FAN_Q_OVERFLOW;

/**
 * The mount table of this process's mount namespace, the source of
 * EVFILT_FS: fs_knlist and the vfs_event_signal calls of vfs_domount and
 * dounmount. One descriptor per JVM, open while a knote needs it: a
 * fanotify group marked on the mount namespace (Linux 6.15, CAP_SYS_ADMIN),
 * which queues every attach and detach, so that a mount that came and went
 * between two scans is both VQ_MOUNT and VQ_UNMOUNT; else
 * /proc/self/mountinfo, which wakes epoll after each change of the table and
 * is then compared with its last reading (mount ids, with their mount
 * points, that appeared or went), and misses a mount that came and went
 * between two readings. A remount changes neither the ids nor the mount
 * points, and fanotify has no event for it: FreeBSD reports nothing either.
 */
final class MountSource implements DescriptorSource {
    static final MountSource SHARED = new MountSource();

    private MountSource() {}

    final KnList knlist = KnList.create();

    private volatile int fd = -1;   // written under this object's lock; read without it by kqueues that hold theirs
    private int users;
    private boolean fanotify;      // which of the two fd is
    private Set<String> mounts;    // mountinfo: the table as last read
    private final Fanotify.Events events = new Fanotify.Events();   // used under this object's lock

    /** One more knote: the descriptor is opened with the first. Returns 0 or an errno code. */
    synchronized int acquire() {
        if (users == 0) {
            int error = openFanotify() ? 0 : openMountInfo();
            if (error != 0) {
                return error;
            }
        }
        users++;
        return 0;
    }

    /** The last knote is gone (after every kqueue unwatched the descriptor): closed. */
    synchronized void release() {
        if (--users == 0) {
            Libc.close(fd);
            fd = -1;
            mounts = null;
        }
    }

    /**
     * A fanotify group for the mount namespace's attaches and detaches, with
     * no limit on its queue (a lost event would be a lost hint). False where
     * the kernel has no mount events (found missing once, EINVAL or ENOSYS)
     * or this process may not have them (EPERM: no CAP_SYS_ADMIN), or no
     * group can be made now: then mountinfo serves.
     */
    private boolean openFanotify() {
        Kernel.Feature feature = Kernel.Feature.FANOTIFY_MOUNT;
        if (!feature.present()) {
            return false;
        }
        int group = Fanotify.init(Fanotify.FAN_CLASS_NOTIF | Fanotify.FAN_REPORT_MNT | Fanotify.FAN_UNLIMITED_QUEUE
                | Fanotify.FAN_CLOEXEC | Fanotify.FAN_NONBLOCK, 0);
        if (group >= 0 && Fanotify.mark(group, Fanotify.FAN_MARK_ADD | Fanotify.FAN_MARK_MNTNS,
                FAN_MNT_ATTACH | FAN_MNT_DETACH, Fanotify.AT_FDCWD, "/proc/self/ns/mnt") == 0) {
            fd = group;
            fanotify = true;
            return true;
        }
        int errno = Libc.errno();
        if (errno == LinuxErrno.EINVAL || errno == LinuxErrno.ENOSYS) {
            feature.markMissing();   // FAN_REPORT_MNT or FAN_MARK_MNTNS unknown: before Linux 6.15
        }
        if (group >= 0) {
            Libc.close(group);
        }
        return false;
    }

    /** /proc/self/mountinfo and its first reading; 0 or the errno code why not. */
    private int openMountInfo() {
        int mi = MountInfo.open();
        Set<String> now = mi < 0 ? null : MountInfo.mounts(mi);
        if (now == null) {
            Errno e = NativeError.last();
            if (mi >= 0) {
                Libc.close(mi);
            }
            return switch (e) {
                case EMFILE, ENFILE, ENOMEM -> e.code();
                case null, default -> Errno.ENXIO.code();   // no /proc: nothing to watch the mounts through
            };
        }
        fd = mi;
        fanotify = false;
        mounts = now;
        return 0;
    }

    @Override
    public int fd() {
        return fd;
    }

    /**
     * vfs_event_signal for what happened since the last drain. The hints go
     * to the knotes before the lock is let go, so that a drain that finds
     * nothing new finds every earlier change already reported.
     */
    @Override
    public synchronized void drain() {
        if (fd < 0) {
            return;   // closed since epoll reported it
        }
        int hints = 0;
        if (fanotify) {
            while (events.read(fd)) {
                while (events.next()) {
                    long mask = events.mask();
                    if ((mask & (FAN_MNT_ATTACH | FAN_Q_OVERFLOW)) != 0) {
                        hints |= VQ_MOUNT;
                    }
                    if ((mask & (FAN_MNT_DETACH | FAN_Q_OVERFLOW)) != 0) {
                        hints |= VQ_UNMOUNT;   // an overflow lost events of either kind (with no queue limit: never)
                    }
                }
            }
        } else {
            Set<String> now = MountInfo.mounts(fd);
            if (now == null) {
                return;
            }
            for (String m : now) {
                if (!mounts.contains(m)) {
                    hints |= VQ_MOUNT;
                }
            }
            for (String m : mounts) {
                if (!now.contains(m)) {
                    hints |= VQ_UNMOUNT;
                }
            }
            mounts = now;
        }
        if (hints != 0) {
            knlist.knote(hints);
        }
    }
}
