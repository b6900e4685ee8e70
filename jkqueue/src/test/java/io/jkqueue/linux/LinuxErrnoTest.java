package io.jkqueue.linux;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The one Linux → FreeBSD errno table, against FreeBSD's sys/errno.h. */
class LinuxErrnoTest {

    @Test
    void everyNumberTheMappingGivesIsAnErrno() {
        for (int linux = 1; linux < 200; linux++) {
            int freeBsd = LinuxErrno.toFreeBsd(linux);
            if (freeBsd != LinuxErrno.UNKNOWN) {
                assertThat(io.jkqueue.Errno.of(freeBsd).code()).as("Linux errno %d", linux).isEqualTo(freeBsd);
            }
        }
    }

    @Test
    void theOldUnixNumbersStayTheSame() {
        int[] same = {LinuxErrno.EPERM, LinuxErrno.ENOENT, LinuxErrno.ESRCH, LinuxErrno.EINTR, LinuxErrno.EIO,
                LinuxErrno.ENXIO, LinuxErrno.E2BIG, LinuxErrno.EBADF, LinuxErrno.ECHILD, LinuxErrno.ENOMEM,
                LinuxErrno.EACCES, LinuxErrno.EFAULT, LinuxErrno.EBUSY, LinuxErrno.EEXIST, LinuxErrno.ENODEV,
                LinuxErrno.ENOTDIR, LinuxErrno.EISDIR, LinuxErrno.EINVAL, LinuxErrno.ENFILE, LinuxErrno.EMFILE,
                LinuxErrno.ENOTTY, LinuxErrno.EFBIG, LinuxErrno.ENOSPC, LinuxErrno.ESPIPE, LinuxErrno.EROFS,
                LinuxErrno.EPIPE};
        for (int errno : same) {
            assertThat(LinuxErrno.toFreeBsd(errno)).as("errno %d", errno).isEqualTo(errno);
        }
        assertThat(LinuxErrno.toFreeBsd(LinuxErrno.ENOSPC)).isEqualTo(28);
    }

    @Test
    void theNumbersThatPartAreTranslated() {
        assertThat(LinuxErrno.toFreeBsd(11)).as("EAGAIN").isEqualTo(35);
        assertThat(LinuxErrno.toFreeBsd(115)).as("EINPROGRESS").isEqualTo(36);
        assertThat(LinuxErrno.toFreeBsd(95)).as("EOPNOTSUPP").isEqualTo(45);
        assertThat(LinuxErrno.toFreeBsd(104)).as("ECONNRESET").isEqualTo(54);
        assertThat(LinuxErrno.toFreeBsd(105)).as("ENOBUFS").isEqualTo(55);
        assertThat(LinuxErrno.toFreeBsd(40)).as("ELOOP").isEqualTo(62);
        assertThat(LinuxErrno.toFreeBsd(36)).as("ENAMETOOLONG").isEqualTo(63);
        assertThat(LinuxErrno.toFreeBsd(38)).as("ENOSYS").isEqualTo(78);
        assertThat(LinuxErrno.toFreeBsd(125)).as("ECANCELED").isEqualTo(85);
    }

    @Test
    void numbersFreeBsdHasNoNameForAreUnknown() {
        assertThat(LinuxErrno.toFreeBsd(0)).isEqualTo(LinuxErrno.UNKNOWN);
        assertThat(LinuxErrno.toFreeBsd(35)).as("Linux EDEADLK").isEqualTo(LinuxErrno.UNKNOWN);
        assertThat(LinuxErrno.toFreeBsd(78)).as("Linux EREMCHG").isEqualTo(LinuxErrno.UNKNOWN);
        assertThat(LinuxErrno.toFreeBsd(10_000)).isEqualTo(LinuxErrno.UNKNOWN);
    }

    @Test
    void aFailedCallLeavesItsErrnoThroughClose() {
        int fd = EventFd.create(0, EventFd.EFD_CLOEXEC);
        assertThat(fd).isNotNegative();
        assertThat(Stat.fstatx(-1, Libc.scratch())).isEqualTo(-1);
        Libc.close(fd);
        assertThat(Libc.errno()).isEqualTo(LinuxErrno.EBADF);
    }
}
