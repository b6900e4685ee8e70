package io.jkqueue.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * /proc/PID/stat (proc(5)): one open, one read and one close, parsed in
 * place, for the exit status of a zombie that is not this process's child
 * (waitid cannot peek at it). Literal, no policy: the number may name
 * another process by the time it is read; the caller checks its pidfd.
 */
public final class ProcStat {
    private ProcStat() {}

    /** More than a stat line can take: 52 fields of at most 20 digits and a comm of 15 bytes in parentheses. */
    private static final int LINE_BYTES = 2048;
    /** exit_code, field 52, counted from field 3 (the state, right after the comm's closing parenthesis). */
    private static final int EXIT_CODE_AFTER_STATE = 49;

    /** Field 52 (exit_code, a wait(2) status) when process {@code pid} is a zombie (state Z); else -1. */
    public static int zombieExitCode(int pid) {
        int fd = Open.open("/proc/" + pid + "/stat", Open.O_RDONLY | Open.O_CLOEXEC, 0);
        if (fd < 0) {
            return -1;   // no such process: reaped
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment line = arena.allocate(LINE_BYTES);
            long n = FileIo.pread(fd, line, 0);
            return n > 0 ? zombieExitCode(line, (int) n) : -1;
        } finally {
            Open.close(fd);
        }
    }

    private static int zombieExitCode(MemorySegment line, int n) {
        int i = n - 1;
        while (i >= 0 && line.get(JAVA_BYTE, i) != ')') {
            i--;   // the last ')': a comm may hold spaces and parentheses
        }
        i += 2;
        if (i <= 1 || i >= n || line.get(JAVA_BYTE, i) != 'Z') {
            return -1;
        }
        for (int field = 0; field < EXIT_CODE_AFTER_STATE; field++) {
            while (i < n && line.get(JAVA_BYTE, i) != ' ') {
                i++;
            }
            i++;
        }
        int code = 0;
        int digits = 0;
        for (byte b; i < n && (b = line.get(JAVA_BYTE, i)) >= '0' && b <= '9'; i++, digits++) {
            code = code * 10 + (b - '0');
        }
        return digits > 0 ? code : -1;
    }
}
