package io.jkqueue;

/** The errno values kevent reports, with FreeBSD's numbers (Linux's differ from EAGAIN on: EOPNOTSUPP, ENOSYS). */
public enum Errno {
    EPERM(1), ENOENT(2), ESRCH(3), EINTR(4), EIO(5), ENXIO(6), E2BIG(7), EBADF(9), ECHILD(10),
    ENOMEM(12), EACCES(13), EFAULT(14), EBUSY(16), EEXIST(17), ENODEV(19), ENOTDIR(20), EISDIR(21), EINVAL(22),
    ENFILE(23), EMFILE(24), ENOTTY(25), ETXTBSY(26), EFBIG(27), ENOSPC(28), ESPIPE(29), EROFS(30), EPIPE(32),
    EAGAIN(35), EINPROGRESS(36), EOPNOTSUPP(45), ECONNRESET(54), ENOBUFS(55), ELOOP(62), ENAMETOOLONG(63),
    EDQUOT(69), ENOSYS(78), EOVERFLOW(84), ECANCELED(85);

    private final int code;

    Errno(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The constant with this number; IllegalArgumentException for one jkqueue never reports. */
    public static Errno of(int code) {
        for (Errno e : values()) {
            if (e.code == code) {
                return e;
            }
        }
        throw new IllegalArgumentException("no errno " + code);
    }
}
