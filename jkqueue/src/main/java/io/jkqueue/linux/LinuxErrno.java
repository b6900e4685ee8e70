package io.jkqueue.linux;

/**
 * Linux's errno numbers and the one translation into FreeBSD's, the numbers
 * kevent reports. Which errno a filter answers is the filter's policy; this
 * only says what a number is called on the other side.
 */
public final class LinuxErrno {
    private LinuxErrno() {}

    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int ESRCH = 3;
    public static final int EINTR = 4;
    public static final int EIO = 5;
    public static final int ENXIO = 6;
    public static final int E2BIG = 7;
    public static final int EBADF = 9;
    public static final int ECHILD = 10;
    public static final int EAGAIN = 11;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EFAULT = 14;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int ENODEV = 19;
    public static final int ENOTDIR = 20;
    public static final int EISDIR = 21;
    public static final int EINVAL = 22;
    public static final int ENFILE = 23;
    public static final int EMFILE = 24;
    public static final int ENOTTY = 25;
    public static final int ETXTBSY = 26;
    public static final int EFBIG = 27;
    public static final int ENOSPC = 28;
    public static final int ESPIPE = 29;
    public static final int EROFS = 30;
    public static final int EPIPE = 32;
    public static final int ENAMETOOLONG = 36;
    public static final int ENOSYS = 38;
    public static final int ELOOP = 40;
    public static final int EOVERFLOW = 75;
    public static final int EOPNOTSUPP = 95;
    public static final int ECONNRESET = 104;
    public static final int ENOBUFS = 105;
    public static final int EDQUOT = 122;
    public static final int EINPROGRESS = 115;
    public static final int ECANCELED = 125;

    /** What FreeBSD's errno.h has where it has no number for a Linux errno. */
    public static final int UNKNOWN = -1;

    /**
     * FreeBSD's number (sys/errno.h) for the Linux errno {@code linux}, or
     * {@link #UNKNOWN}. Up to EPIPE both keep the old Unix numbers, but for
     * 11 (Linux's EAGAIN, FreeBSD's EDEADLK); past it they part.
     */
    public static int toFreeBsd(int linux) {
        return switch (linux) {
            case EPERM, ENOENT, ESRCH, EINTR, EIO, ENXIO, E2BIG, EBADF, ECHILD, ENOMEM, EACCES, EFAULT, EBUSY,
                    EEXIST, ENODEV, ENOTDIR, EISDIR, EINVAL, ENFILE, EMFILE, ENOTTY, ETXTBSY, EFBIG, ENOSPC, ESPIPE, EROFS,
                    EPIPE -> linux;
            case EAGAIN -> 35;
            case EINPROGRESS -> 36;
            case EOPNOTSUPP -> 45;
            case ECONNRESET -> 54;
            case ENOBUFS -> 55;
            case ELOOP -> 62;
            case ENAMETOOLONG -> 63;
            case EDQUOT -> 69;
            case ENOSYS -> 78;
            case EOVERFLOW -> 84;
            case ECANCELED -> 85;
            default -> UNKNOWN;
        };
    }
}
