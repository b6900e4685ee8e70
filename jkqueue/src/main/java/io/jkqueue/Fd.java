package io.jkqueue;

import io.jkqueue.filters.SystemFilters;

import java.io.FileDescriptor;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.reflect.Method;
import java.nio.channels.Channel;

/**
 * Descriptor numbers of JDK objects, for the fd-based filters. The JDK keeps
 * them private, so this needs {@code --add-opens java.base/java.io=io.jkqueue}
 * and {@code --add-opens java.base/sun.nio.ch=io.jkqueue} (or {@code ALL-UNNAMED}
 * on the class path); without them it throws IllegalStateException saying so.
 */
public final class Fd {
    private Fd() {}

    /** The descriptor of a socket, server socket, datagram, pipe or file channel. */
    public static int of(Channel ch) {
        if (!ch.isOpen()) {
            throw new IllegalArgumentException("channel is closed: " + ch);
        }
        Class<?> c = ch.getClass();
        try {
            // SelChImpl (sockets, pipes) exposes getFDVal(); FileChannelImpl holds its FileDescriptor.
            for (Class<?> k = c; k != null; k = k.getSuperclass()) {
                for (Class<?> i : k.getInterfaces()) {
                    if (i.getName().equals("sun.nio.ch.SelChImpl")) {
                        Method m = i.getMethod("getFDVal");
                        m.setAccessible(true);
                        int fd = (int) m.invoke(ch);
                        SystemFilters.rememberChannel(fd, ch);
                        return fd;
                    }
                }
            }
            for (Class<?> k = c; k != null; k = k.getSuperclass()) {
                try {
                    var f = k.getDeclaredField("fd");
                    if (f.getType() == FileDescriptor.class) {
                        f.setAccessible(true);
                        return of((FileDescriptor) f.get(ch));
                    }
                } catch (NoSuchFieldException e) {
                    // look in the superclass
                }
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("cannot read the descriptor of " + c.getName()
                    + "; run with --add-opens java.base/sun.nio.ch=ALL-UNNAMED"
                    + " --add-opens java.base/java.io=ALL-UNNAMED (or =io.jkqueue on the module path)", e);
        }
        throw new IllegalArgumentException(c.getName() + " has no file descriptor");
    }

    /** The number inside a FileDescriptor; -1 if it is not valid. */
    public static int of(FileDescriptor fd) {
        return (int) FdField.FD.get(fd);
    }

    private static final class FdField {
        static final VarHandle FD;

        static {
            try {
                FD = MethodHandles.privateLookupIn(FileDescriptor.class, MethodHandles.lookup())
                        .findVarHandle(FileDescriptor.class, "fd", int.class);
            } catch (ReflectiveOperationException | RuntimeException e) {
                throw new IllegalStateException("cannot read FileDescriptor.fd; run with"
                        + " --add-opens java.base/java.io=ALL-UNNAMED (or =io.jkqueue on the module path)", e);
            }
        }
    }
}
