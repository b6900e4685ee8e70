package io.jkqueue;

/**
 * One kevent: a change to apply or an event returned, as FreeBSD's
 * {@code struct kevent}. The constants are those of FreeBSD's
 * {@code sys/event.h}, with the same numeric values. {@link #toString()}
 * names them: {@code KEvent{ident=5, filter=EVFILT_TIMER,
 * flags=EV_ADD|EV_ONESHOT, fflags=NOTE_SECONDS, data=2, udata=null}}.
 *
 * @param ident  what the filter watches: a descriptor, a pid, a signal number, or a number of the caller's choosing
 * @param filter which filter: an {@code EVFILT_*} constant, or the number of a Java event source
 * @param flags  the actions ({@code EV_ADD}, ...) and flags ({@code EV_ONESHOT}, ...) of a change; the state
 *               ({@code EV_EOF}, {@code EV_ERROR}) of an event returned
 * @param fflags the filter's own flags ({@code NOTE_*}, {@code VQ_*})
 * @param data   the filter's own value: a period, a count of bytes or of deliveries, an errno with EV_ERROR
 * @param udata  any object, returned untouched with the event
 */
public record KEvent(long ident, int filter, int flags, int fflags, long data, Object udata) {

    // filters
    /** Data to read: data is how much (bytes, or connections to accept); EV_EOF once the writer is gone. */
    public static final int EVFILT_READ = -1;
    /** Room to write: data is the space left in the write buffer; EV_EOF once the reader or peer is gone. */
    public static final int EVFILT_WRITE = -2;
    /** An asynchronous I/O request (aio(4)) has completed. */
    public static final int EVFILT_AIO = -3;
    /** Something happened to the file or directory open as ident; fflags says what (NOTE_DELETE, NOTE_WRITE, ...). */
    public static final int EVFILT_VNODE = -4;
    /** Something happened to the process whose pid is ident: NOTE_EXIT, NOTE_FORK, NOTE_EXEC. */
    public static final int EVFILT_PROC = -5;
    /** The signal numbered ident was delivered: data counts deliveries since the last report. */
    public static final int EVFILT_SIGNAL = -6;
    /** A timer named by ident with data as its period (milliseconds by default); returned data counts expirations. */
    public static final int EVFILT_TIMER = -7;
    /** The process behind the process descriptor ident exited (NOTE_EXIT, data its wait(2) status). */
    public static final int EVFILT_PROCDESC = -8;
    /** The mount table or a file system changed: fflags holds the VQ_* hints. */
    public static final int EVFILT_FS = -9;
    /** A list of asynchronous I/O requests (lio_listio(2)) has completed. */
    public static final int EVFILT_LIO = -10;
    /** An event the program triggers itself (NOTE_TRIGGER), carrying fflags of its choosing. */
    public static final int EVFILT_USER = -11;
    /** A sendfile(2) transfer has made progress or finished. */
    public static final int EVFILT_SENDFILE = -12;
    /** The write buffer has drained: nothing is left to send. */
    public static final int EVFILT_EMPTY = -13;
    /** How many system filters there are: they are numbered -1 to -EVFILT_SYSCOUNT. */
    public static final int EVFILT_SYSCOUNT = 13;

    // actions
    /** Adds the event, or changes it when it is already there; it is enabled unless EV_DISABLE comes with it. */
    public static final int EV_ADD = 0x0001;
    /** Removes the event, and discards it if it is pending. */
    public static final int EV_DELETE = 0x0002;
    /** Lets kevent return the event again when it triggers. */
    public static final int EV_ENABLE = 0x0004;
    /** Keeps the event registered but stops kevent from returning it. */
    public static final int EV_DISABLE = 0x0008;
    /** Makes an existing event one-shot and queues it at once (the kernel uses it for AIO). */
    public static final int EV_FORCEONESHOT = 0x0100;
    /** The change leaves the event's udata as it was. */
    public static final int EV_KEEPUDATA = 0x0200;

    // flags
    /** Returns the event the first time it triggers, then deletes it. */
    public static final int EV_ONESHOT = 0x0010;
    /** Resets the event's state once it is returned, so that it reports only what happens next. */
    public static final int EV_CLEAR = 0x0020;
    /** Answers each change with an EV_ERROR event (data 0 when it worked) instead of returning pending events. */
    public static final int EV_RECEIPT = 0x0040;
    /** Disables the event as soon as it is returned; EV_ENABLE arms it again. */
    public static final int EV_DISPATCH = 0x0080;

    /** The flag bits the kernel keeps for its own use. */
    public static final int EV_SYSFLAGS = 0xF000;
    /** Kernel-internal: the event is being dropped. */
    public static final int EV_DROP = 0x1000;
    /** Kernel-internal flag whose meaning is the filter's. */
    public static final int EV_FLAG1 = 0x2000;
    /** Kernel-internal flag whose meaning is the filter's (the same bit as EV_ERROR). */
    public static final int EV_FLAG2 = 0x4000;

    // returned values
    /** Returned: the source has reached its end (the peer closed, the process exited); fflags may hold an error. */
    public static final int EV_EOF = 0x8000;
    /** Returned: the change failed and data holds its errno (data 0, with EV_RECEIPT: it worked). */
    public static final int EV_ERROR = 0x4000;

    // EVFILT_USER
    /** EVFILT_USER: leave the event's fflags as they are. */
    public static final int NOTE_FFNOP = 0x00000000;
    /** EVFILT_USER: AND the event's fflags with the ones given. */
    public static final int NOTE_FFAND = 0x40000000;
    /** EVFILT_USER: OR the ones given into the event's fflags. */
    public static final int NOTE_FFOR = 0x80000000;
    /** EVFILT_USER: replace the event's fflags with the ones given. */
    public static final int NOTE_FFCOPY = 0xc0000000;
    /** EVFILT_USER: the bits of fflags that choose NOTE_FFNOP, NOTE_FFAND, NOTE_FFOR or NOTE_FFCOPY. */
    public static final int NOTE_FFCTRLMASK = 0xc0000000;
    /** EVFILT_USER: the bits of fflags that are the program's own. */
    public static final int NOTE_FFLAGSMASK = 0x00ffffff;
    /** EVFILT_USER: triggers the event, so that kevent returns it. */
    public static final int NOTE_TRIGGER = 0x01000000;

    // EVFILT_READ, EVFILT_WRITE
    /** EVFILT_READ, EVFILT_WRITE: data is a low-water mark; the event waits for at least that much. */
    public static final int NOTE_LOWAT = 0x0001;
    /** EVFILT_READ on a file: ready as poll(2) says (always), whatever the offset. */
    public static final int NOTE_FILE_POLL = 0x0002;

    // EVFILT_VNODE
    /** EVFILT_VNODE: the file was unlinked. */
    public static final int NOTE_DELETE = 0x0001;
    /** EVFILT_VNODE: the file was written. */
    public static final int NOTE_WRITE = 0x0002;
    /** EVFILT_VNODE: the file grew; for a directory, an entry was added or removed by a rename. */
    public static final int NOTE_EXTEND = 0x0004;
    /** EVFILT_VNODE: the file's attributes changed. */
    public static final int NOTE_ATTRIB = 0x0008;
    /** EVFILT_VNODE: the file's link count changed. */
    public static final int NOTE_LINK = 0x0010;
    /** EVFILT_VNODE: the file was renamed. */
    public static final int NOTE_RENAME = 0x0020;
    /** EVFILT_VNODE: access to the file was revoked (revoke(2), or its file system was unmounted). */
    public static final int NOTE_REVOKE = 0x0040;
    /** EVFILT_VNODE: the file was opened. */
    public static final int NOTE_OPEN = 0x0080;
    /** EVFILT_VNODE: a descriptor of the file opened without write access was closed. */
    public static final int NOTE_CLOSE = 0x0100;
    /** EVFILT_VNODE: a descriptor of the file opened with write access was closed. */
    public static final int NOTE_CLOSE_WRITE = 0x0200;
    /** EVFILT_VNODE: the file was read. */
    public static final int NOTE_READ = 0x0400;

    // EVFILT_PROC
    /** EVFILT_PROC, EVFILT_PROCDESC: the process exited; data is its wait(2) status. */
    public static final int NOTE_EXIT = 0x80000000;
    /** EVFILT_PROC: the process called fork(2). */
    public static final int NOTE_FORK = 0x40000000;
    /** EVFILT_PROC: the process ran a new program (execve(2)). */
    public static final int NOTE_EXEC = 0x20000000;
    /** EVFILT_PROC: the bits of fflags that are events (the rest carry data). */
    public static final int NOTE_PCTRLMASK = 0xf0000000;
    /** EVFILT_PROC: the bits of fflags that carry data (a pid). */
    public static final int NOTE_PDATAMASK = 0x000fffff;
    /** EVFILT_PROC: follow forks, watching each child with the same fflags (it is reported with NOTE_CHILD). */
    public static final int NOTE_TRACK = 0x00000001;
    /** EVFILT_PROC, returned: a child could not be followed. */
    public static final int NOTE_TRACKERR = 0x00000002;
    /** EVFILT_PROC, returned: the event of a child that NOTE_TRACK follows; data is its parent's pid. */
    public static final int NOTE_CHILD = 0x00000004;

    // EVFILT_FS: vfs_event_signal's hints (sys/mount.h)
    /** EVFILT_FS: a file server is not responding. */
    public static final int VQ_NOTRESP = 0x0001;
    /** EVFILT_FS: a file server needs authentication. */
    public static final int VQ_NEEDAUTH = 0x0002;
    /** EVFILT_FS: a file system is low on space. */
    public static final int VQ_LOWDISK = 0x0004;
    /** EVFILT_FS: a file system was mounted. */
    public static final int VQ_MOUNT = 0x0008;
    /** EVFILT_FS: a file system was unmounted. */
    public static final int VQ_UNMOUNT = 0x0010;
    /** EVFILT_FS: a file system is dead and needs a forced unmount. */
    public static final int VQ_DEAD = 0x0020;
    /** EVFILT_FS: a file system needs help from a program outside the kernel. */
    public static final int VQ_ASSIST = 0x0040;
    /** EVFILT_FS: a file server's lock manager is not responding. */
    public static final int VQ_NOTRESPLOCK = 0x0080;

    // EVFILT_TIMER
    /** EVFILT_TIMER: data is in seconds. */
    public static final int NOTE_SECONDS = 0x00000001;
    /** EVFILT_TIMER: data is in milliseconds (the default). */
    public static final int NOTE_MSECONDS = 0x00000002;
    /** EVFILT_TIMER: data is in microseconds. */
    public static final int NOTE_USECONDS = 0x00000004;
    /** EVFILT_TIMER: data is in nanoseconds. */
    public static final int NOTE_NSECONDS = 0x00000008;
    /** EVFILT_TIMER: data is an absolute time since the epoch, at which the timer fires once. */
    public static final int NOTE_ABSTIME = 0x00000010;

    /**
     * EV_SET: a change for {@code ident}/{@code filter}.
     *
     * @param ident  what the filter watches
     * @param filter an {@code EVFILT_*} constant or a Java event source's number
     * @param flags  {@code EV_*} actions and flags
     * @param fflags the filter's {@code NOTE_*} flags
     * @param data   the filter's value
     * @param udata  returned with the event
     * @return the change
     */
    public static KEvent of(long ident, int filter, int flags, int fflags, long data, Object udata) {
        return new KEvent(ident, filter, flags, fflags, data, udata);
    }

    /**
     * A change with no fflags, data or udata.
     *
     * @param ident  what the filter watches
     * @param filter an {@code EVFILT_*} constant or a Java event source's number
     * @param flags  {@code EV_*} actions and flags
     * @return the change
     */
    public static KEvent of(long ident, int filter, int flags) {
        return new KEvent(ident, filter, flags, 0, 0, null);
    }

    /**
     * The fields with filter, flags and fflags by name ({@code EVFILT_TIMER},
     * {@code EV_ADD|EV_ONESHOT}, {@code NOTE_SECONDS}) and bits without one in
     * hex; data as an errno's name with EV_ERROR; a socket's error in fflags
     * (with EV_EOF) as its number.
     *
     * @return {@code KEvent{ident=.., filter=.., flags=.., fflags=.., data=.., udata=..}}
     */
    @Override
    public String toString() {
        boolean soError = (flags & EV_EOF) != 0 && (filter == EVFILT_READ || filter == EVFILT_WRITE
                || filter == EVFILT_EMPTY);
        return "KEvent{ident=" + ident + ", filter=" + filterName(filter) + ", flags=" + flagsName(flags)
                + ", fflags=" + (soError ? Integer.toString(fflags) : fflagsName(filter, fflags))
                + ", data=" + ((flags & EV_ERROR) != 0 && data > 0 ? errnoName(data) : Long.toString(data))
                + ", udata=" + udata + "}";
    }

    /**
     * A filter's name as {@code sys/event.h} spells it.
     *
     * @param filter a filter number
     * @return {@code EVFILT_TIMER} for -7; the number itself for one that names no system filter (a Java event
     *         source's)
     */
    public static String filterName(int filter) {
        return filter <= -1 && filter >= -EVFILT_SYSCOUNT ? FILTER_NAMES[-1 - filter] : Integer.toString(filter);
    }

    /**
     * Flags by name.
     *
     * @param flags {@code EV_*} bits
     * @return their names joined by '|' ({@code EV_ADD|EV_ONESHOT}), bits without a name in hex, {@code 0} for none
     */
    public static String flagsName(int flags) {
        return bitNames(flags, FLAG_VALUES, FLAG_NAMES);
    }

    /**
     * fflags by the names of {@code filter}'s notes: {@code NOTE_SECONDS},
     * {@code NOTE_DELETE|NOTE_WRITE}, {@code VQ_MOUNT}; for EVFILT_USER the
     * control ({@code NOTE_FFOR}) and {@code NOTE_TRIGGER} by name and the
     * program's own bits in hex.
     *
     * @param filter the filter whose notes they are
     * @param fflags the bits
     * @return the names joined by '|', bits that name none of the filter's notes in hex, {@code 0} for none
     */
    public static String fflagsName(int filter, int fflags) {
        return switch (filter) {
            case EVFILT_READ, EVFILT_WRITE -> bitNames(fflags, RW_VALUES, RW_NAMES);
            case EVFILT_VNODE -> bitNames(fflags, VNODE_VALUES, VNODE_NAMES);
            case EVFILT_PROC, EVFILT_PROCDESC -> bitNames(fflags, PROC_VALUES, PROC_NAMES);
            case EVFILT_TIMER -> bitNames(fflags, TIMER_VALUES, TIMER_NAMES);
            case EVFILT_FS -> bitNames(fflags, FS_VALUES, FS_NAMES);
            case EVFILT_USER -> userNames(fflags);
            default -> bitNames(fflags, new int[0], new String[0]);
        };
    }

    private static final String[] FILTER_NAMES = {"EVFILT_READ", "EVFILT_WRITE", "EVFILT_AIO", "EVFILT_VNODE",
            "EVFILT_PROC", "EVFILT_SIGNAL", "EVFILT_TIMER", "EVFILT_PROCDESC", "EVFILT_FS", "EVFILT_LIO",
            "EVFILT_USER", "EVFILT_SENDFILE", "EVFILT_EMPTY"};
    private static final int[] FLAG_VALUES = {EV_ADD, EV_DELETE, EV_ENABLE, EV_DISABLE, EV_ONESHOT, EV_CLEAR,
            EV_RECEIPT, EV_DISPATCH, EV_FORCEONESHOT, EV_KEEPUDATA, EV_DROP, EV_FLAG1, EV_ERROR, EV_EOF};
    private static final String[] FLAG_NAMES = {"EV_ADD", "EV_DELETE", "EV_ENABLE", "EV_DISABLE", "EV_ONESHOT",
            "EV_CLEAR", "EV_RECEIPT", "EV_DISPATCH", "EV_FORCEONESHOT", "EV_KEEPUDATA", "EV_DROP", "EV_FLAG1",
            "EV_ERROR", "EV_EOF"};
    private static final int[] RW_VALUES = {NOTE_LOWAT, NOTE_FILE_POLL};
    private static final String[] RW_NAMES = {"NOTE_LOWAT", "NOTE_FILE_POLL"};
    private static final int[] USER_VALUES = {NOTE_TRIGGER};
    private static final String[] USER_NAMES = {"NOTE_TRIGGER"};
    private static final int[] VNODE_VALUES = {NOTE_DELETE, NOTE_WRITE, NOTE_EXTEND, NOTE_ATTRIB, NOTE_LINK,
            NOTE_RENAME, NOTE_REVOKE, NOTE_OPEN, NOTE_CLOSE, NOTE_CLOSE_WRITE, NOTE_READ};
    private static final String[] VNODE_NAMES = {"NOTE_DELETE", "NOTE_WRITE", "NOTE_EXTEND", "NOTE_ATTRIB",
            "NOTE_LINK", "NOTE_RENAME", "NOTE_REVOKE", "NOTE_OPEN", "NOTE_CLOSE", "NOTE_CLOSE_WRITE", "NOTE_READ"};
    private static final int[] PROC_VALUES = {NOTE_EXIT, NOTE_FORK, NOTE_EXEC, NOTE_TRACK, NOTE_TRACKERR,
            NOTE_CHILD};
    private static final String[] PROC_NAMES = {"NOTE_EXIT", "NOTE_FORK", "NOTE_EXEC", "NOTE_TRACK",
            "NOTE_TRACKERR", "NOTE_CHILD"};
    private static final int[] TIMER_VALUES = {NOTE_SECONDS, NOTE_MSECONDS, NOTE_USECONDS, NOTE_NSECONDS,
            NOTE_ABSTIME};
    private static final String[] TIMER_NAMES = {"NOTE_SECONDS", "NOTE_MSECONDS", "NOTE_USECONDS",
            "NOTE_NSECONDS", "NOTE_ABSTIME"};
    private static final int[] FS_VALUES = {VQ_NOTRESP, VQ_NEEDAUTH, VQ_LOWDISK, VQ_MOUNT, VQ_UNMOUNT, VQ_DEAD,
            VQ_ASSIST, VQ_NOTRESPLOCK};
    private static final String[] FS_NAMES = {"VQ_NOTRESP", "VQ_NEEDAUTH", "VQ_LOWDISK", "VQ_MOUNT",
            "VQ_UNMOUNT", "VQ_DEAD", "VQ_ASSIST", "VQ_NOTRESPLOCK"};

    // the names of the bits of value that have one, then the rest in hex
    private static String bitNames(int value, int[] values, String[] names) {
        StringBuilder sb = new StringBuilder();
        int rest = value;
        for (int i = 0; i < values.length; i++) {
            if ((rest & values[i]) == values[i]) {
                sb.append(sb.isEmpty() ? "" : "|").append(names[i]);
                rest &= ~values[i];
            }
        }
        if (rest != 0 || sb.isEmpty()) {
            sb.append(sb.isEmpty() ? "" : "|").append(rest == 0 ? "0" : "0x" + Integer.toHexString(rest));
        }
        return sb.toString();
    }

    // filt_usertouch's fflags: a control in the top two bits (NOTE_FFNOP is none), NOTE_TRIGGER, the program's own
    private static String userNames(int fflags) {
        String control = switch (fflags & NOTE_FFCTRLMASK) {
            case NOTE_FFAND -> "NOTE_FFAND";
            case NOTE_FFOR -> "NOTE_FFOR";
            case NOTE_FFCOPY -> "NOTE_FFCOPY";
            default -> "";
        };
        String rest = bitNames(fflags & ~NOTE_FFCTRLMASK, USER_VALUES, USER_NAMES);
        return control.isEmpty() ? rest : rest.equals("0") ? control : control + "|" + rest;
    }

    private static String errnoName(long data) {
        for (Errno e : Errno.values()) {
            if (e.code() == data) {
                return e.name();
            }
        }
        return Long.toString(data);
    }
}
