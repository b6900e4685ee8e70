package io.jkqueue.aio;

import io.jkqueue.ChildJvm;
import io.jkqueue.OldKernel;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Where io_uring cannot serve AIO, UringBackend.open() says so (null) and the
 * job layer takes worker threads: on kernels before 5.6 (no opcode probe, no
 * IORING_OP_READ), without io_uring, or with it disabled by property.
 */
class UringFallbackTest {
    /** The child: installs the filter of a kernel (or none), then says whether io_uring serves AIO. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            if (!args[0].equals("none")) {
                OldKernel.install(args[0]);
            }
            UringBackend b = UringBackend.open();
            System.out.println(b == null ? "threads" : "uring");
        }
    }

    @Test
    void fallbackAsOnOlderKernels() throws Exception {
        // this suite's own run as on 5.4 has io_uring without IORING_REGISTER_PROBE; its children inherit that
        boolean here = !System.getProperty("jkqueue.test.kernel", "").equals("5.4");
        UringBackend b = UringBackend.open();
        assertThat(b != null).as("io_uring in this JVM").isEqualTo(here);
        if (b != null) {
            b.close();
        }
        assertThat(child(List.of(), "5.10")).isEqualTo(here ? "uring" : "threads");
        assertThat(child(List.of(), "5.4")).isEqualTo("threads");    // no IORING_REGISTER_PROBE, no IORING_OP_READ
        assertThat(child(List.of(), "4.18")).isEqualTo("threads");   // io_uring_setup is ENOSYS
        assertThat(child(List.of("-Djkqueue.kernel.disable=io_uring"), "none")).isEqualTo("threads");
    }

    private static String child(List<String> options, String kernel) throws Exception {
        return ChildJvm.run(ChildJvm.javaCommand(options, Child.class, kernel)).getLast();
    }
}
