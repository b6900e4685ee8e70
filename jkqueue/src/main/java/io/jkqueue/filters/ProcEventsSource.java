package io.jkqueue.filters;

import io.jkqueue.Errno;
import io.jkqueue.linux.Libc;
import io.jkqueue.linux.LinuxErrno;
import io.jkqueue.linux.Netlink;
import io.jkqueue.linux.Poll;
import io.jkqueue.spi.DescriptorSource;
import io.jkqueue.spi.KnList;

import static io.jkqueue.KEvent.NOTE_EXEC;
import static io.jkqueue.KEvent.NOTE_TRACKERR;

/**
 * The kernel's process-events connector, the source of NOTE_FORK and
 * NOTE_EXEC, and of NOTE_EXIT's status on a kernel that keeps none for a
 * pidfd: one netlink socket per JVM, open while a knote needs it (it
 * needs CAP_NET_ADMIN). Each event goes to the knlist of the process it is
 * about, an exit's status to its {@link ProcSource}. When the kernel had to
 * drop messages (ENOBUFS), the knotes watching forks or execs get
 * NOTE_TRACKERR rather than silence.
 */
final class ProcEventsSource implements DescriptorSource {
    static final ProcEventsSource SHARED = new ProcEventsSource();

    private ProcEventsSource() {}

    private int fd = -1;
    private int users;
    private final Netlink.Message msg = new Netlink.Message();   // used under this object's lock

    /**
     * One more knote needs the connector: opened and subscribed with the
     * first. Returns 0 or an errno code: EPERM when this process may not
     * listen, EMFILE/ENFILE/ENOMEM when the socket cannot be made.
     */
    synchronized int acquire() {
        if (users == 0) {
            int socket = Netlink.openProcEvents();
            if (socket < 0) {
                return openError();
            }
            int error = subscribed(socket);
            if (error != 0) {
                Libc.close(socket);
                return error;
            }
            fd = socket;
        }
        users++;
        return 0;
    }

    /** What kevent answers when the connector socket cannot be opened and subscribed. */
    private static int openError() {
        if (Libc.errno() == LinuxErrno.ENOBUFS) {
            return Errno.ENOMEM.code();   // no kernel memory for the socket's buffers
        }
        Errno e = NativeError.last();
        return switch (e) {
            case EMFILE, ENFILE, ENOMEM -> e.code();
            case null, default -> Errno.EPERM.code();   // EPERM/EACCES, or a kernel without the connector
        };
    }

    /**
     * The kernel answers a subscription at once, before send returns, unless
     * it ignored it: it hears only listeners in the initial pid and user
     * namespaces, whose pids its events carry. Without that answer the
     * socket would stay silent, or report other processes' numbers.
     */
    private int subscribed(int socket) {
        for (;;) {
            if (!msg.receive(socket)) {
                if (Libc.errno() == LinuxErrno.ENOBUFS) {
                    continue;   // events from before the answer were lost, not the answer
                }
                return Errno.EPERM.code();   // EAGAIN: no answer, so not heard
            }
            if (msg.what() == Netlink.PROC_EVENT_NONE) {
                return msg.ackError() == 0 ? 0 : Errno.EPERM.code();
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

    /** Waits until a message can be read, for {@code nanos} at most (then drain reads it). */
    void await(long nanos) {
        int socket = fd();
        if (socket >= 0) {
            Poll.await(socket, Poll.POLLIN, (int) Math.min(Integer.MAX_VALUE, (nanos + 999_999) / 1_000_000));
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
            int what = 0;
            int pid = 0;
            int child = 0;
            boolean lost = false;
            synchronized (this) {
                if (fd < 0) {
                    return; // closed since epoll reported it
                }
                if (!msg.receive(fd)) {
                    if (Libc.errno() != LinuxErrno.ENOBUFS) {
                        return; // drained
                    }
                    lost = true;
                } else {
                    what = msg.what();
                    if (what == Netlink.PROC_EVENT_FORK && msg.forkChildTgid() == msg.forkChildPid()) {
                        pid = msg.forkParent(); // a new process, not a thread
                        child = msg.forkChildTgid();
                    } else if (what == Netlink.PROC_EVENT_EXEC) {
                        pid = msg.execProcess();
                    } else if (what == Netlink.PROC_EVENT_EXIT && msg.exitThread() == msg.exitProcess()) {
                        // the main thread's exit_code is the process's wait status; recorded before the lock
                        // is let go, so that a drain that finds the socket empty finds every status sent before
                        ProcSource.exited(msg.exitProcess(), msg.exitCode(), msg.timestampNanos());
                        continue;
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
