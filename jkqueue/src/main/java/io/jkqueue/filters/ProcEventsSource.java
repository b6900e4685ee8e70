package io.jkqueue.filters;

import io.jkqueue.Errno;
import io.jkqueue.linux.Libc;
import io.jkqueue.linux.Netlink;
import io.jkqueue.spi.DescriptorSource;
import io.jkqueue.spi.KnList;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static io.jkqueue.KEvent.NOTE_EXEC;
import static io.jkqueue.KEvent.NOTE_TRACKERR;

/**
 * The kernel's process-events connector, the source of NOTE_FORK and
 * NOTE_EXEC: one netlink socket per JVM, open while a knote needs it (it
 * needs CAP_NET_ADMIN). Each event goes to the knlist of the process it is about.
 * When the kernel had to drop messages (ENOBUFS), every watched process's
 * knotes get NOTE_TRACKERR rather than silence.
 */
final class ProcEventsSource implements DescriptorSource {
    private int fd = -1;
    private int users;
    private final MemorySegment buf = Arena.ofAuto().allocate(4096, 8);

    /**
     * One more knote needs the connector: opened and subscribed with the
     * first. Returns 0 or an errno code: EPERM when this process may not
     * listen, EMFILE/ENFILE/ENOMEM when the socket cannot be made.
     */
    synchronized int acquire() {
        if (users == 0) {
            int rc = Netlink.openProcEvents();
            if (rc < 0) {
                return switch (-rc) {
                    case Netlink.EMFILE -> Errno.EMFILE.code();
                    case Netlink.ENFILE -> Errno.ENFILE.code();
                    case Netlink.ENOMEM, Netlink.ENOBUFS -> Errno.ENOMEM.code();
                    default -> Errno.EPERM.code();   // EPERM/EACCES, or a kernel without the connector
                };
            }
            int error = subscribed(rc);
            if (error != 0) {
                Libc.close(rc);
                return error;
            }
            fd = rc;
        }
        users++;
        return 0;
    }

    /**
     * The kernel answers a subscription at once, before send returns, unless
     * it ignored it: it hears only listeners in the initial pid and user
     * namespaces, whose pids its events carry. Without that answer the
     * socket would stay silent, or report other processes' numbers.
     */
    private int subscribed(int socket) {
        for (;;) {
            if (Netlink.receive(socket, buf) < 0) {
                if (Libc.errno() == Netlink.ENOBUFS) {
                    continue;   // events from before the answer were lost, not the answer
                }
                return Errno.EPERM.code();   // EAGAIN: no answer, so not heard
            }
            if (Netlink.what(buf) == Netlink.PROC_EVENT_NONE) {
                return Netlink.ackError(buf) == 0 ? 0 : Errno.EPERM.code();
            }
            // an event from before any knote wanted one
        }
    }

    /**
     * The last knote is gone (after every kqueue unwatched the descriptor):
     * closed, so that no events pile up unread for knotes added later.
     */
    synchronized void release() {
        if (--users == 0) {
            Libc.close(fd);
            fd = -1;
        }
    }

    @Override
    public synchronized int fd() {
        return fd;
    }

    /**
     * One message at a time: a fork seen by a tracking knote registers notes
     * for the child before the next message (perhaps the child's own fork)
     * is looked at.
     */
    @Override
    public void drain() {
        for (;;) {
            int what = 0;
            int pid = 0;
            int child = 0;
            boolean lost = false;
            synchronized (this) {
                if (fd < 0) {
                    return; // closed since epoll reported it
                }
                if (Netlink.receive(fd, buf) < 0) {
                    if (Libc.errno() != Netlink.ENOBUFS) {
                        return; // drained
                    }
                    lost = true;
                } else {
                    what = Netlink.what(buf);
                    if (what == Netlink.PROC_EVENT_FORK && Netlink.forkChildTgid(buf) == Netlink.forkChildPid(buf)) {
                        pid = Netlink.forkParent(buf); // a new process, not a thread
                        child = Netlink.forkChildTgid(buf);
                    } else if (what == Netlink.PROC_EVENT_EXEC) {
                        pid = Netlink.execProcess(buf);
                    } else {
                        continue;
                    }
                }
            }
            if (lost) {
                ProcSource.forEachKnlist(l -> l.knote(NOTE_TRACKERR)); // the kernel dropped events
                continue;
            }
            KnList list = ProcSource.knlistOf(pid);
            if (list == null) {
                continue;
            }
            if (what == Netlink.PROC_EVENT_FORK) {
                list.knoteFork(child);
            } else {
                list.knote(NOTE_EXEC);
            }
        }
    }
}
