package io.jkqueue;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

/** A few libc calls the JDK does not offer: pseudo-terminals, dup. */
final class Native {
    private Native() {}

    static final int O_RDWR = 2;
    static final int O_NOCTTY = 0x100;
    static final int O_CLOEXEC = 0x80000;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle POSIX_OPENPT = fn("posix_openpt", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle GRANTPT = fn("grantpt", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle UNLOCKPT = fn("unlockpt", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle PTSNAME_R = fn("ptsname_r",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle OPEN = fn("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle READ = fn("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle WRITE = fn("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle CLOSE = fn("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle DUP = fn("dup", FunctionDescriptor.of(JAVA_INT, JAVA_INT));

    private static MethodHandle fn(String name, FunctionDescriptor d) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), d);
    }

    static int posixOpenpt() throws Throwable {
        return (int) POSIX_OPENPT.invokeExact(O_RDWR | O_NOCTTY | O_CLOEXEC);
    }

    static boolean grantAndUnlock(int master) throws Throwable {
        return (int) GRANTPT.invokeExact(master) == 0 && (int) UNLOCKPT.invokeExact(master) == 0;
    }

    static String ptsname(int master) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(128);
            return (int) PTSNAME_R.invokeExact(master, buf, 128L) == 0 ? buf.getString(0) : null;
        }
    }

    static int open(String path, int flags) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            return (int) OPEN.invokeExact(a.allocateFrom(path), flags);
        }
    }

    static void write(int fd, String s) throws Throwable {
        byte[] bytes = s.getBytes(StandardCharsets.US_ASCII);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(bytes.length);
            buf.copyFrom(MemorySegment.ofArray(bytes));
            assertThat((long) WRITE.invokeExact(fd, buf, (long) bytes.length)).isEqualTo(bytes.length);
        }
    }

    static String read(int fd, int max) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(max);
            long n = (long) READ.invokeExact(fd, buf, (long) max);
            assertThat(n).isNotNegative();
            return new String(buf.asSlice(0, n).toArray(JAVA_BYTE), StandardCharsets.US_ASCII);
        }
    }

    static int dup(int fd) throws Throwable {
        int d = (int) DUP.invokeExact(fd);
        assertThat(d).as("dup(%d)", fd).isNotNegative();
        return d;
    }

    static void close(int fd) throws Throwable {
        assertThat((int) CLOSE.invokeExact(fd)).isZero();
    }
}
