package io.jkqueue;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * Runs the suite as on an older kernel: with {@code -Djkqueue.test.kernel=5.10}
 * (or {@code 5.4}), before the first test class, a seccomp filter on every
 * thread of this JVM (and inherited by every process it starts) answers
 * ENOSYS to the system calls that kernel did not have (x86_64 numbers: from
 * epoll_pwait2, 441, for 5.10; from close_range, 436, for 5.4), ENOTTY to
 * the ioctl PIDFD_GET_INFO (6.15) and EINVAL to fanotify_init with
 * FAN_REPORT_MNT (6.15) and, as on 5.4, EINVAL to io_uring_register's
 * IORING_REGISTER_PROBE (5.6, so the AIO jobs take the worker threads), as
 * that kernel would. Registered for
 * every test class by JUnit's extension autodetection; without the property
 * it does nothing.
 */
public final class OldKernel implements BeforeAllCallback {
    private static final String KERNEL = System.getProperty("jkqueue.test.kernel", "");
    private static boolean installed;

    // struct sock_filter opcodes (linux/bpf_common.h) and seccomp's answers (linux/seccomp.h)
    private static final short LD_W_ABS = 0x20;
    private static final short JEQ_K = 0x15;
    private static final short JGE_K = 0x35;
    private static final short JSET_K = 0x45;
    private static final short RET_K = 0x06;
    private static final int RET_ALLOW = 0x7fff0000;
    private static final int RET_ERRNO = 0x00050000;
    private static final int AUDIT_ARCH_X86_64 = 0xc000003e;
    private static final int SYS_IOCTL = 16;
    private static final int PIDFD_GET_INFO = 0xC040FF0B;   // _IOWR(0xFF, 11, struct pidfd_info)
    private static final int SYS_FANOTIFY_INIT = 300;
    private static final int FAN_REPORT_MNT = 0x4000;       // fanotify's mount events (6.15)
    private static final int SYS_IO_URING_REGISTER = 427;
    private static final int IORING_REGISTER_PROBE = 8;    // io_uring's opcode probe (5.6)
    private static final int ENOSYS = 38;
    private static final int ENOTTY = 25;
    private static final int EINVAL = 22;
    private static final long SYS_SECCOMP = 317;
    private static final int PR_SET_NO_NEW_PRIVS = 38;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        if (!KERNEL.isEmpty()) {
            install(KERNEL);
        }
    }

    /**
     * Makes this JVM (and what it starts) see the system calls of Linux
     * {@code kernel}: 5.10, 5.4, or 4.18 (RHEL 8's: from pidfd_send_signal,
     * 424, on) for a child JVM that tests what happens below 5.4.
     */
    public static synchronized void install(String kernel) throws Exception {
        if (installed) {
            return;
        }
        int firstMissing = switch (kernel) {
            case "5.10" -> 441;
            case "5.4" -> 436;
            case "4.18" -> 424;
            default -> throw new IllegalArgumentException("jkqueue.test.kernel: 5.10 or 5.4, not " + kernel);
        };
        if (!System.getProperty("os.arch").equals("amd64")) {
            throw new IllegalStateException("the old-kernel filter knows x86_64's system call numbers only");
        }
        // IORING_REGISTER_PROBE is 5.6: 5.4's io_uring_register answers EINVAL to it (no number matches -1)
        int probeRefused = kernel.equals("5.4") ? SYS_IO_URING_REGISTER : -1;
        int[][] program = {
                {LD_W_ABS, 0, 0, 4},                          // 0: seccomp_data.arch
                {JEQ_K, 0, 11, AUDIT_ARCH_X86_64},            // 1: another ABI: allow (13)
                {LD_W_ABS, 0, 0, 0},                          // 2: seccomp_data.nr
                {JEQ_K, 0, 2, SYS_IOCTL},                     // 3: not ioctl: to 6
                {LD_W_ABS, 0, 0, 24},                         // 4: the low half of args[1], the request
                {JEQ_K, 9, 7, PIDFD_GET_INFO},                // 5: ENOTTY (15), else allow (13)
                {JEQ_K, 0, 2, SYS_FANOTIFY_INIT},             // 6: not fanotify_init: to 9
                {LD_W_ABS, 0, 0, 16},                         // 7: the low half of args[0], the flags
                {JSET_K, 7, 4, FAN_REPORT_MNT},               // 8: EINVAL (16), else allow (13)
                {JEQ_K, 0, 2, probeRefused},                  // 9: not a refused io_uring_register: to 12
                {LD_W_ABS, 0, 0, 24},                         // 10: the low half of args[1], the opcode
                {JEQ_K, 4, 1, IORING_REGISTER_PROBE},         // 11: EINVAL (16), else allow (13)
                {JGE_K, 1, 0, firstMissing},                  // 12: ENOSYS (14), else allow (13)
                {RET_K, 0, 0, RET_ALLOW},                     // 13
                {RET_K, 0, 0, RET_ERRNO | ENOSYS},            // 14
                {RET_K, 0, 0, RET_ERRNO | ENOTTY},            // 15
                {RET_K, 0, 0, RET_ERRNO | EINVAL},            // 16
        };
        Linker linker = Linker.nativeLinker();
        MethodHandle prctl = linker.downcallHandle(linker.defaultLookup().find("prctl").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
                Linker.Option.firstVariadicArg(1));
        MethodHandle syscall = linker.downcallHandle(linker.defaultLookup().find("syscall").orElseThrow(),
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS),
                Linker.Option.firstVariadicArg(1));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment filter = arena.allocate(8L * program.length, 8);
            for (int i = 0; i < program.length; i++) {
                filter.set(JAVA_SHORT, 8L * i, (short) program[i][0]);
                filter.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 8L * i + 2, (byte) program[i][1]);
                filter.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 8L * i + 3, (byte) program[i][2]);
                filter.set(JAVA_INT, 8L * i + 4, program[i][3]);
            }
            MemorySegment fprog = arena.allocate(16, 8);   // struct sock_fprog: unsigned short len; filter*
            fprog.set(JAVA_SHORT, 0, (short) program.length);
            fprog.set(ADDRESS, 8, filter);
            try {
                if ((int) prctl.invokeExact(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) != 0) {
                    throw new IllegalStateException("prctl(PR_SET_NO_NEW_PRIVS) failed");
                }
                // SECCOMP_SET_MODE_FILTER (1), SECCOMP_FILTER_FLAG_TSYNC (1): every thread of the JVM
                long rc = (long) syscall.invokeExact(SYS_SECCOMP, 1L, 1L, fprog);
                if (rc != 0) {
                    throw new IllegalStateException("seccomp(SECCOMP_SET_MODE_FILTER) failed: " + rc);
                }
            } catch (Exception | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }
        installed = true;
        System.err.println("jkqueue tests: system calls newer than Linux " + kernel + " answer ENOSYS");
    }
}
