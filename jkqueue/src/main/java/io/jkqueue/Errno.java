package io.jkqueue;

/** The errno values kevent reports, with FreeBSD's numbers (Linux's differ from EAGAIN on: EOPNOTSUPP, ENOSYS). */
public enum Errno {
    /** Operation not permitted: the caller lacks the privilege (a process it may not watch). */
    EPERM(1),
    /** No such file, or (kevent) no knote to change or delete. */
    ENOENT(2),
    /** No such process. */
    ESRCH(3),
    /** Interrupted: a signal (here Thread.interrupt()) ended the wait. */
    EINTR(4),
    /** Input/output error. */
    EIO(5),
    /** Device not configured: (kevent) a filter this system does not provide. */
    ENXIO(6),
    /** Argument list too long. */
    E2BIG(7),
    /** Bad file descriptor: not open, or (kevent) the kqueue is closed. */
    EBADF(9),
    /** No child processes. */
    ECHILD(10),
    /** Cannot allocate memory: (kevent) no room for another knote or timer. */
    ENOMEM(12),
    /** Permission denied. */
    EACCES(13),
    /** Bad address: (kevent) a change or event list that cannot be read or written. */
    EFAULT(14),
    /** Device busy: (filter table) knotes of the filter still exist. */
    EBUSY(16),
    /** File exists, or (filter table) the filter number is taken. */
    EEXIST(17),
    /** Operation not supported by device. */
    ENODEV(19),
    /** Not a directory. */
    ENOTDIR(20),
    /** Is a directory. */
    EISDIR(21),
    /** Invalid argument: (kevent) an unknown filter, a bad timeout, fflags or data the filter refuses. */
    EINVAL(22),
    /** Too many open files in the system. */
    ENFILE(23),
    /** Too many open files in this process. */
    EMFILE(24),
    /** Inappropriate ioctl for device. */
    ENOTTY(25),
    /** Text file busy. */
    ETXTBSY(26),
    /** File too large. */
    EFBIG(27),
    /** No space left on device (or, for inotify, no watch left). */
    ENOSPC(28),
    /** Illegal seek. */
    ESPIPE(29),
    /** Read-only file system. */
    EROFS(30),
    /** Broken pipe. */
    EPIPE(32),
    /** Resource temporarily unavailable. */
    EAGAIN(35),
    /** Operation now in progress. */
    EINPROGRESS(36),
    /** Operation not supported. */
    EOPNOTSUPP(45),
    /** Connection reset by peer. */
    ECONNRESET(54),
    /** No buffer space available. */
    ENOBUFS(55),
    /** Too many levels of symbolic links. */
    ELOOP(62),
    /** File name too long. */
    ENAMETOOLONG(63),
    /** Disk quota exceeded. */
    EDQUOT(69),
    /** Function not implemented: (jkqueue) this kernel lacks a system call the filter needs. */
    ENOSYS(78),
    /** Value too large to be stored in data type. */
    EOVERFLOW(84),
    /** Operation canceled. */
    ECANCELED(85);

    private final int code;

    Errno(int code) {
        this.code = code;
    }

    /**
     * FreeBSD's number for this errno.
     *
     * @return the number, as {@code sys/errno.h} defines it
     */
    public int code() {
        return code;
    }

    /**
     * The constant with this number.
     *
     * @param code a FreeBSD errno number
     * @return its constant
     * @throws IllegalArgumentException for a number jkqueue never reports
     */
    public static Errno of(int code) {
        for (Errno e : values()) {
            if (e.code == code) {
                return e;
            }
        }
        throw new IllegalArgumentException("no errno " + code);
    }
}
