package io.jkqueue.filters;

import io.jkqueue.Errno;
import io.jkqueue.core.KnoteImpl;
import io.jkqueue.linux.Ioctl;
import io.jkqueue.linux.Libc;
import io.jkqueue.linux.Poll;
import io.jkqueue.linux.Sockets;
import io.jkqueue.linux.Stat;
import io.jkqueue.spi.Knote;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channel;
import java.nio.channels.DatagramChannel;
import java.nio.channels.NetworkChannel;
import java.nio.channels.Pipe;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ConcurrentHashMap;

import static io.jkqueue.KEvent.EVFILT_READ;
import static io.jkqueue.KEvent.EVFILT_WRITE;
import static io.jkqueue.KEvent.EV_DROP;
import static io.jkqueue.KEvent.EV_EOF;
import static io.jkqueue.KEvent.EV_ONESHOT;
import static io.jkqueue.KEvent.NOTE_LOWAT;

/**
 * What the descriptor filters know about one knote's descriptor: its kind,
 * which file it was when attached (to notice a close and a reuse of the
 * number, knote_fdclose), and the end-of-file and error conditions epoll has
 * reported, which last for the life of the file (a FIFO's until its other
 * end is opened again).
 */
final class Descriptor implements KnoteImpl.LazyData {
    enum Kind { SOCKET, PIPE, FILE, CHARACTER_DEVICE }

    final int fd;
    final Kind kind;
    private final long dev;
    private final long ino;
    private final Channel channel;
    final boolean listening;
    final boolean tcp;
    private int sndbuf = -1;   // SO_SNDBUF, read when first needed

    /** For a regular file's EVFILT_READ: the inotify watch that tells when the file changes. */
    InotifySource.Watch fileWatch;

    /** EVFILT_EMPTY on TCP: tcpi_bytes_acked when the buffer was last found empty, and the callout's interval. */
    long ackedWhenEmpty = -1;
    long emptyRecheck = EmptyFilter.RECHECK_MIN;

    /** Attached and watched, but epoll has not yet reported the first readiness. */
    boolean reportPending;

    // learnt from epoll hints (guarded by the kq lock or the knote's flux)
    boolean rdhup;
    boolean hup;
    boolean error;
    int soError;

    private Descriptor(int fd, Kind kind, long dev, long ino, Channel channel, boolean listening, boolean tcp) {
        this.fd = fd;
        this.kind = kind;
        this.dev = dev;
        this.ino = ino;
        this.channel = channel;
        this.listening = listening;
        this.tcp = tcp;
    }

    /**
     * What the knote's descriptor is now, or null if it is not open. A socket
     * or pipe channel that Fd.of handed out (the knote's channel, as fget
     * found it) is known by its class, without a syscall; anything else is
     * looked at with statx (and a socket's options).
     */
    static Descriptor of(Knote kn) {
        int fd = (int) kn.ident();
        Channel ch = kn.channel();
        if (ch != null) {
            Descriptor known = ofChannel(fd, ch);
            if (known != null) {
                return known;
            }
        }
        Stat.Buffer stx = Stat.threadBuffer();
        if (!stx.fstatx(fd)) {
            return null;
        }
        long dev = stx.dev();
        long ino = stx.ino();
        return switch (stx.type()) {
            case Stat.S_IFSOCK -> new Descriptor(fd, Kind.SOCKET, dev, ino, ch,
                    Sockets.intOption(fd, Sockets.SOL_SOCKET, Sockets.SO_ACCEPTCONN) == 1,
                    Sockets.intOption(fd, Sockets.SOL_SOCKET, Sockets.SO_PROTOCOL) == Sockets.IPPROTO_TCP);
            case Stat.S_IFIFO -> new Descriptor(fd, Kind.PIPE, dev, ino, ch, false, false);
            case Stat.S_IFCHR -> new Descriptor(fd, Kind.CHARACTER_DEVICE, dev, ino, ch, false, false);
            default -> new Descriptor(fd, Kind.FILE, dev, ino, ch, false, false);
        };
    }

    /** A socket or pipe channel, from what it is; null for other channels (a FileChannel may be anything). */
    private static Descriptor ofChannel(int fd, Channel ch) {
        if (ch instanceof ServerSocketChannel server) {
            return new Descriptor(fd, Kind.SOCKET, 0, 0, ch, true, isInet(server));
        }
        if (ch instanceof SocketChannel socket) {
            return new Descriptor(fd, Kind.SOCKET, 0, 0, ch, false, isInet(socket));
        }
        if (ch instanceof DatagramChannel) {
            return new Descriptor(fd, Kind.SOCKET, 0, 0, ch, false, false);
        }
        if (ch instanceof Pipe.SourceChannel || ch instanceof Pipe.SinkChannel) {
            return new Descriptor(fd, Kind.PIPE, 0, 0, ch, false, false);
        }
        return null;
    }

    private static boolean isInet(NetworkChannel ch) {
        try {
            return !(ch.getLocalAddress() instanceof UnixDomainSocketAddress);
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The attach of a descriptor filter: looks at what the knote's descriptor
     * is and, unless it is a regular file (always ready as far as poll goes,
     * filt_vfsread), has the kqueue watch it for {@code interest}. Returns 0
     * or an errno code.
     */
    static int attach(Knote kn, int interest) {
        Descriptor d = of(kn);
        if (d == null) {
            return Errno.EBADF.code();
        }
        kn.setHook(d);
        if (d.kind == Kind.FILE) {
            return 0;
        }
        d.reportPending = true;
        return kn.watchFd(interest);
    }

    /** The bytes a READ or WRITE knote waits for: its NOTE_LOWAT sdata, else 1. */
    static long lowWaterMark(Knote kn) {
        return (kn.sfflags() & NOTE_LOWAT) != 0 && kn.sdata() > 0 ? kn.sdata() : 1;
    }

    /** What {@link #screen} says. */
    static final int NOT_READY = 0;
    static final int READY = 1;
    static final int MEASURE = 2;

    /**
     * The first step of a descriptor filter's f_event: an epoll report
     * ({@code hint} with HINT_FD) is taken in and answers by itself unless the
     * knote is a oneshot (which is handed out as it is now, so must be measured
     * now); right after attach, epoll's first report is awaited; a descriptor
     * that was closed marks the knote EV_DROP. MEASURE: the filter must look
     * at the descriptor.
     */
    int screen(Knote kn, long hint, long relevant) {
        if ((hint & Knote.HINT_FD) != 0) {
            reportPending = false;   // the report has come: a later measurement can no longer double it
            note(hint);
            if ((hint & relevant) == 0) {
                return NOT_READY;
            }
            if ((kn.flags() & EV_ONESHOT) == 0) {
                return READY; // the scan measures it before handing it out
            }
        } else if (reportPending) {
            // epoll's report of the state at attach will activate the knote;
            // activating it now too could hand an EV_CLEAR knote out twice
            reportPending = false;
            return NOT_READY;
        }
        if (!isCurrent()) {
            kn.setFlags(kn.flags() | EV_DROP); // closed: knote_fdclose
            return NOT_READY;
        }
        return MEASURE;
    }

    /**
     * For the scan, about a READ or WRITE knote epoll has just reported
     * ready (or for an enable, about one a poll is to look at): whether the
     * filter would find it ready whatever it measured, so that only its data
     * is left. Not with a low-water mark, an end of file or an error (they
     * need the value, or set flags), nor for a datagram socket (an empty
     * datagram is not readable), nor before epoll's first report (which
     * would then report it again); only for a channel's descriptor, still open.
     */
    @Override
    public boolean deferData(Knote kn) {
        if (channel == null || reportPending || rdhup || hup || error || (kn.flags() & EV_EOF) != 0
                || lowWaterMark(kn) > 1) {
            return false;
        }
        boolean kindFits = switch (kn.filter()) {
            case EVFILT_READ -> kind == Kind.PIPE || kind == Kind.SOCKET && !(channel instanceof DatagramChannel);
            case EVFILT_WRITE -> kind == Kind.PIPE || kind == Kind.SOCKET && !listening;
            default -> false;
        };
        return kindFits && channel.isOpen();
    }

    /**
     * The data ReadFilter or WriteFilter would give now, measured when the
     * program reads it; 0 once the channel is closed (its number may name
     * another file by then).
     */
    @Override
    public long measureData(int filter) {
        if (!channel.isOpen()) {
            return 0;
        }
        if (filter == EVFILT_READ) {
            return listening ? pendingConnections() : bytesReadable();
        }
        return kind == Kind.PIPE ? pipeSpace() : sendSpace();
    }

    /** Whether the number still names the file it named at attach. */
    boolean isCurrent() {
        return channel != null ? channel.isOpen() : Stat.names(fd, dev, ino);
    }

    /**
     * Takes in an epoll report (a hint with HINT_FD): end of file and errors
     * are for good, except a FIFO's ({@link #otherEndStillGone}).
     */
    void note(long hint) {
        boolean firstError = (hint & Knote.HINT_ERROR) != 0 && !error;
        boolean firstHup = (hint & Knote.HINT_HUP) != 0 && !hup;
        rdhup |= (hint & Knote.HINT_RDHUP) != 0;
        hup |= firstHup;
        error |= firstError;
        // epoll reports EPOLLERR only while the error is unread: a knote that
        // looks after another one read it sees just the hang-up
        if (kind == Kind.SOCKET && (firstError || firstHup && soError == 0)) {
            int err = socketError();
            if (err != 0) {
                soError = err;
            }
        }
    }

    /** The error SO_ERROR last gave for the socket open as each number, and that socket's inode. */
    private record SocketError(long ino, int error) {}

    // Reading SO_ERROR clears it, so the first knote to look would take it from
    // every other knote on the socket (in this kqueue or another): the one that
    // reads it leaves it here. One entry per descriptor number at most.
    private static final ConcurrentHashMap<Integer, SocketError> SO_ERRORS = new ConcurrentHashMap<>();

    /** so_error for fflags: SO_ERROR, or what it gave another knote on the same socket. */
    private int socketError() {
        Stat.Buffer stx = Stat.threadBuffer();
        long sockIno = stx.fstatx(fd) ? stx.ino() : -1;
        int[] found = new int[1];
        SO_ERRORS.compute(fd, (k, prev) -> {
            int err = Math.max(Sockets.intOption(fd, Sockets.SOL_SOCKET, Sockets.SO_ERROR), 0);
            if (err != 0) {
                found[0] = err;
                return new SocketError(sockIno, err);
            }
            found[0] = prev != null && prev.ino == sockIno && sockIno != -1 ? prev.error : 0;
            return prev;
        });
        return found[0];
    }

    /**
     * For a pipe or FIFO whose other end went away: whether it still is gone.
     * A FIFO can be opened again, and a new writer (for the write end, a new
     * reader) ends the end of file, as in filt_piperead and filt_pipewrite.
     */
    boolean otherEndStillGone() {
        int revents = Poll.now(fd, Poll.POLLIN);
        if (revents < 0 || (revents & (Poll.POLLHUP | Poll.POLLERR | Poll.POLLNVAL)) != 0) {
            return true;
        }
        hup = false;
        error = false;
        return false;
    }

    /** FIONREAD: bytes readable now (for a pipe's write end, bytes in the pipe); 0 if it cannot say. */
    int bytesReadable() {
        return Math.max(Ioctl.fionread(fd), 0);
    }

    /** A socket's send buffer size (SO_SNDBUF). */
    int sendBufferSize() {
        if (sndbuf < 0) {
            sndbuf = Math.max(Sockets.intOption(fd, Sockets.SOL_SOCKET, Sockets.SO_SNDBUF), 0);
        }
        return sndbuf;
    }

    /** Free space in a socket's send buffer: SO_SNDBUF less what SIOCOUTQ says is queued (0 if it cannot say). */
    long sendSpace() {
        int unsent = bytesUnsent();
        return unsent < 0 ? 0 : Math.max(sendBufferSize() - unsent, 0);
    }

    /** SIOCOUTQ: bytes queued in a socket's send buffer; -1 if it cannot say. */
    int bytesUnsent() {
        return Ioctl.outq(fd);
    }

    /** For a TCP socket: the bytes the peer has acknowledged so far (tcpi_bytes_acked); -1 if it cannot say. */
    long bytesAcked() {
        return Sockets.tcpBytesAcked(fd);
    }

    /** Connections waiting to be accepted on a listening socket. */
    long pendingConnections() {
        long queued = tcp ? Sockets.tcpAcceptQueue(fd) : -1;
        if (queued >= 0) {
            return queued;
        }
        // other families keep the length to themselves: say whether there is one
        return (Poll.now(fd, Poll.POLLIN) & Poll.POLLIN) != 0 ? 1 : 0;
    }

    /** Free space in a pipe or FIFO. */
    int pipeSpace() {
        int size = Libc.fcntl(fd, Libc.F_GETPIPE_SZ, 0);
        return size < 0 ? 0 : Math.max(size - bytesReadable(), 0);
    }

    /** For a regular file: bytes from the offset to the end. */
    long bytesToEof() {
        Stat.Buffer stx = Stat.threadBuffer();
        if (!stx.fstatx(fd)) {
            return 0;
        }
        long size = stx.size();
        long off = Stat.lseek(fd, 0, Stat.SEEK_CUR);
        return off < 0 ? 0 : Math.max(size - off, 0);
    }
}
