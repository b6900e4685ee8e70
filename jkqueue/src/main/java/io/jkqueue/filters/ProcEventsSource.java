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

    @Override
    public void drain() {
        List<KnList> forked = new ArrayList<>();
        List<Integer> children = new ArrayList<>();
        List<KnList> execed = new ArrayList<>();
        List<KnList> lost = new ArrayList<>();
        synchronized (this) {
            for (;;) {
                long n = Netlink.receive(fd, buf);
                if (n < 0) {
                    if (Libc.errno() == Netlink.ENOBUFS) {
                        lost.addAll(byPid.values()); // the kernel dropped events: nobody may trust silence
                        continue;
                    }
                    break;
                }
                switch (Netlink.what(buf)) {
                    case Netlink.PROC_EVENT_FORK -> {
                        KnList list = byPid.get(Netlink.forkParent(buf));
                        int child = Netlink.forkChildTgid(buf);
                        if (list != null && child == Netlink.forkChildPid(buf)) { // a process, not a thread
                            forked.add(list);
                            children.add(child);
                        }
                    }
                    case Netlink.PROC_EVENT_EXEC -> {
                        KnList list = byPid.get(Netlink.execProcess(buf));
                        if (list != null) {
                            execed.add(list);
                        }
                    }
                    default -> { }
                }
            }
        }
        for (int i = 0; i < forked.size(); i++) {
            forked.get(i).knoteFork(children.get(i));
        }
        for (KnList list : execed) {
            list.knote(NOTE_EXEC);
        }
        for (KnList list : lost) {
            list.knote(NOTE_TRACKERR);
        }
    }
}
