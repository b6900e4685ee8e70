package io.jkqueue.linux;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The io_uring binding on its own: the kernel's struct sizes, and a NOP through the mapped rings. */
class IoUringTest {

    @Test
    void layoutsHaveTheKernelsSizes() {
        assertThat(IoUring.PARAMS.byteSize()).isEqualTo(120);
        assertThat(IoUring.SQRING_OFFSETS.byteSize()).isEqualTo(40);
        assertThat(IoUring.CQRING_OFFSETS.byteSize()).isEqualTo(40);
        assertThat(IoUring.SQE.byteSize()).isEqualTo(64);
        assertThat(IoUring.CQE.byteSize()).isEqualTo(16);
        assertThat(IoUring.PROBE.byteSize()).isEqualTo(16);
        assertThat(IoUring.PROBE_OP.byteSize()).isEqualTo(8);
    }

    @Test
    void nopsGoThroughTheSqAndComeBackInTheCqWithTheirUserData() {
        IoUring ring = IoUring.setup(4, 16);
        assumeTrue(ring != null, "io_uring_setup refused here (errno " + Libc.errno() + ")");
        try {
            assertThat(ring.sqEntries()).isEqualTo(4);
            assertThat(ring.cqEntries()).isEqualTo(16);
            // 10 NOPs through a 4-entry SQ: the ring wraps, and each CQE names its SQE
            long sum = 0;
            for (int i = 0; i < 10; i++) {
                int before = ring.cqTail();
                assertThat(ring.prepare(IoUring.IORING_OP_NOP, 0, -1, 0, 0, 0, 0, 1000 + i)).isTrue();
                ring.publish();
                assertThat(ring.enter(1, 1, IoUring.IORING_ENTER_GETEVENTS)).isEqualTo(1);
                int head = ring.cqHead();
                assertThat(ring.cqTail()).isEqualTo(before + 1);
                assertThat(ring.cqeUserData(head)).isEqualTo(1000 + i);
                assertThat(ring.cqeResult(head)).isZero();
                ring.cqAdvance(head + 1);
                sum += ring.cqeUserData(head);
            }
            assertThat(sum).isEqualTo(10 * 1000 + 45);
            // a full SQ refuses a fifth unsubmitted SQE; unprepare takes the newest back
            for (int i = 0; i < 4; i++) {
                assertThat(ring.prepare(IoUring.IORING_OP_NOP, 0, -1, 0, 0, 0, 0, i)).isTrue();
            }
            assertThat(ring.prepare(IoUring.IORING_OP_NOP, 0, -1, 0, 0, 0, 0, 4)).isFalse();
            assertThat(ring.unsubmitted()).isEqualTo(4);
            assertThat(ring.unprepare()).isEqualTo(3);
            assertThat(ring.unsubmitted()).isEqualTo(3);
            if (System.getProperty("jkqueue.test.kernel", "").equals("5.4")) {
                assertThat(ring.probe(IoUring.IORING_OP_NOP)).isEqualTo(-1);   // no IORING_REGISTER_PROBE before 5.6
                assertThat(Libc.errno()).isEqualTo(LinuxErrno.EINVAL);
                return;
            }
            assertThat(ring.probe(IoUring.IORING_OP_NOP, IoUring.IORING_OP_READ, IoUring.IORING_OP_ASYNC_CANCEL))
                    .isEqualTo(1);
            assertThat(ring.probe(IoUring.IORING_OP_NOP, 250)).isZero();
        } finally {
            ring.close();
        }
    }
}
