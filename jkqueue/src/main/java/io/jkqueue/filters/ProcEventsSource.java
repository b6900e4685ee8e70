package io.jkqueue.filters;

import io.jkqueue.Errno;
import io.jkqueue.linux.Libc;
import io.jkqueue.linux.Netlink;
import io.jkqueue.spi.DescriptorSource;
import io.jkqueue.spi.KnList;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.jkqueue.KEvent.NOTE_EXEC;
import static io.jkqueue.KEvent.NOTE_TRACKERR;

/**
 * The kernel's process-events connector, the source of NOTE_FORK and
 * NOTE_EXEC: one netlink socket per JVM, opened on first use (it needs
 * CAP_NET_ADMIN), and a knlist per watched pid. When the kernel had to drop
 * messages (ENOBUFS), every watcher gets NOTE_TRACKERR rather than silence.
 */
final class ProcEventsSource implements DescriptorSource {
    private int fd = -1;
    private final Map<Integer, KnList> byPid = new HashMap<>();
    private final Map<Integer, Integer> users = new HashMap<>();
    private final MemorySegment buf = Arena.ofAuto().allocate(4096, 8);

    @Override
    public synchronized int fd() {
        return fd;
    }

    /** The knlist for {@code pid}'s fork and exec events; minus an errno when the connector is not open to us. */
    synchronized Object watch(int pid) {
        if (fd < 0) {
            int rc = Netlink.openProcEvents();
            if (rc < 0) {
                return -rc == Libc.EPERM || -rc == Libc.EACCES ? Errno.EPERM.code() : Errno.ENOMEM.code();
            }
            fd = rc;
        }
        users.merge(pid, 1, Integer::sum);
        return byPid.computeIfAbsent(pid, p -> KnList.create());
    }

    synchronized void release(int pid) {
        if (users.merge(pid, -1, Integer::sum) == 0) {
            users.remove(pid);
            byPid.remove(pid);
        }
    }

    /**
     * One message at a time: a fork seen by a tracking knote registers notes
     * for the child before the next message (perhaps the child's own fork)
     * is looked at.
     */
    @Override
    public void drain() {
        for (;;) {
            KnList list = null;
            List<KnList> lost = null;
            int what = 0;
            int child = 0;
            synchronized (this) {
                if (Netlink.receive(fd, buf) < 0) {
                    if (Libc.errno() != Netlink.ENOBUFS) {
                        return; // drained
                    }
                    lost = new ArrayList<>(byPid.values());
                } else {
                    what = Netlink.what(buf);
                    if (what == Netlink.PROC_EVENT_FORK && Netlink.forkChildTgid(buf) == Netlink.forkChildPid(buf)) {
                        list = byPid.get(Netlink.forkParent(buf)); // a new process, not a thread
                        child = Netlink.forkChildTgid(buf);
                    } else if (what == Netlink.PROC_EVENT_EXEC) {
                        list = byPid.get(Netlink.execProcess(buf));
                    }
                }
            }
            if (lost != null) {
                for (KnList l : lost) {
                    l.knote(NOTE_TRACKERR); // the kernel dropped events: nobody may trust silence
                }
            } else if (list != null && what == Netlink.PROC_EVENT_FORK) {
                list.knoteFork(child);
            } else if (list != null) {
                list.knote(NOTE_EXEC);
            }
        }
    }
}
