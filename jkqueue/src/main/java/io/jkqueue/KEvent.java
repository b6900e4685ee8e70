package io.jkqueue;

/**
 * One kevent: a change to apply or an event returned, as FreeBSD's
 * {@code struct kevent}. The constants are those of FreeBSD's
 * {@code sys/event.h}, with the same numeric values.
 */
public record KEvent(long ident, int filter, int flags, int fflags, long data, Object udata) {

    // filters
    public static final int EVFILT_READ = -1;
    public static final int EVFILT_WRITE = -2;
    public static final int EVFILT_AIO = -3;
    public static final int EVFILT_VNODE = -4;
    public static final int EVFILT_PROC = -5;
    public static final int EVFILT_SIGNAL = -6;
    public static final int EVFILT_TIMER = -7;
    public static final int EVFILT_PROCDESC = -8;
    public static final int EVFILT_FS = -9;
    public static final int EVFILT_LIO = -10;
    public static final int EVFILT_USER = -11;
    public static final int EVFILT_SENDFILE = -12;
    public static final int EVFILT_EMPTY = -13;
    public static final int EVFILT_SYSCOUNT = 13;

    // actions
    public static final int EV_ADD = 0x0001;
    public static final int EV_DELETE = 0x0002;
    public static final int EV_ENABLE = 0x0004;
    public static final int EV_DISABLE = 0x0008;
    public static final int EV_FORCEONESHOT = 0x0100;
    public static final int EV_KEEPUDATA = 0x0200;

    // flags
    public static final int EV_ONESHOT = 0x0010;
    public static final int EV_CLEAR = 0x0020;
    public static final int EV_RECEIPT = 0x0040;
    public static final int EV_DISPATCH = 0x0080;

    public static final int EV_SYSFLAGS = 0xF000;
    public static final int EV_DROP = 0x1000;
    public static final int EV_FLAG1 = 0x2000;
    public static final int EV_FLAG2 = 0x4000;

    // returned values
    public static final int EV_EOF = 0x8000;
    public static final int EV_ERROR = 0x4000;

    // EVFILT_USER
    public static final int NOTE_FFNOP = 0x00000000;
    public static final int NOTE_FFAND = 0x40000000;
    public static final int NOTE_FFOR = 0x80000000;
    public static final int NOTE_FFCOPY = 0xc0000000;
    public static final int NOTE_FFCTRLMASK = 0xc0000000;
    public static final int NOTE_FFLAGSMASK = 0x00ffffff;
    public static final int NOTE_TRIGGER = 0x01000000;

    // EVFILT_READ, EVFILT_WRITE
    public static final int NOTE_LOWAT = 0x0001;
    public static final int NOTE_FILE_POLL = 0x0002;

    // EVFILT_VNODE
    public static final int NOTE_DELETE = 0x0001;
    public static final int NOTE_WRITE = 0x0002;
    public static final int NOTE_EXTEND = 0x0004;
    public static final int NOTE_ATTRIB = 0x0008;
    public static final int NOTE_LINK = 0x0010;
    public static final int NOTE_RENAME = 0x0020;
    public static final int NOTE_REVOKE = 0x0040;
    public static final int NOTE_OPEN = 0x0080;
    public static final int NOTE_CLOSE = 0x0100;
    public static final int NOTE_CLOSE_WRITE = 0x0200;
    public static final int NOTE_READ = 0x0400;

    // EVFILT_PROC
    public static final int NOTE_EXIT = 0x80000000;
    public static final int NOTE_FORK = 0x40000000;
    public static final int NOTE_EXEC = 0x20000000;
    public static final int NOTE_PCTRLMASK = 0xf0000000;
    public static final int NOTE_PDATAMASK = 0x000fffff;
    public static final int NOTE_TRACK = 0x00000001;
    public static final int NOTE_TRACKERR = 0x00000002;
    public static final int NOTE_CHILD = 0x00000004;

    // EVFILT_FS: vfs_event_signal's hints (sys/mount.h)
    public static final int VQ_NOTRESP = 0x0001;
    public static final int VQ_NEEDAUTH = 0x0002;
    public static final int VQ_LOWDISK = 0x0004;
    public static final int VQ_MOUNT = 0x0008;
    public static final int VQ_UNMOUNT = 0x0010;
    public static final int VQ_DEAD = 0x0020;
    public static final int VQ_ASSIST = 0x0040;
    public static final int VQ_NOTRESPLOCK = 0x0080;

    // EVFILT_TIMER
    public static final int NOTE_SECONDS = 0x00000001;
    public static final int NOTE_MSECONDS = 0x00000002;
    public static final int NOTE_USECONDS = 0x00000004;
    public static final int NOTE_NSECONDS = 0x00000008;
    public static final int NOTE_ABSTIME = 0x00000010;

    /** EV_SET: a change for {@code ident}/{@code filter}. */
    public static KEvent of(long ident, int filter, int flags, int fflags, long data, Object udata) {
        return new KEvent(ident, filter, flags, fflags, data, udata);
    }

    /** A change with no fflags, data or udata. */
    public static KEvent of(long ident, int filter, int flags) {
        return new KEvent(ident, filter, flags, 0, 0, null);
    }
}
