package io.jkqueue;

import io.jkqueue.core.FileTable;

import java.io.FileDescriptor;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.lang.reflect.Field;
import java.lang.reflect.InaccessibleObjectException;
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

    private static final String OPENS = "run with --add-opens java.base/sun.nio.ch=ALL-UNNAMED"
            + " --add-opens java.base/java.io=ALL-UNNAMED (or =io.jkqueue on the module path)";

    // per channel class: a handle (Channel)int reading its descriptor number
    private static final ClassValue<MethodHandle> READERS = new ClassValue<>() {
        @Override
        protected MethodHandle computeValue(Class<?> c) {
            try {
                return reader(c);
            } catch (ReflectiveOperationException | InaccessibleObjectException e) {
                throw new IllegalStateException("cannot read the descriptor of " + c.getName() + "; " + OPENS, e);
            }
        }
    };

    /** The descriptor of a socket, server socket, datagram, pipe or file channel. */
    public static int of(Channel ch) {
        if (!ch.isOpen()) {
            throw new IllegalArgumentException("channel is closed: " + ch);
        }
        int fd;
        try {
            fd = (int) READERS.get(ch.getClass()).invokeExact(ch);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        FileTable.remember(fd, ch);
        return fd;
    }

    /** The number inside a FileDescriptor; -1 if it is not valid. */
    public static int of(FileDescriptor fd) {
        return (int) FdField.FD.get(fd);
    }

    // SelChImpl (sockets, pipes) has getFDVal(); FileChannelImpl keeps a FileDescriptor field "fd".
    private static MethodHandle reader(Class<?> c) throws ReflectiveOperationException {
        for (Class<?> k = c; k != null; k = k.getSuperclass()) {
            for (Class<?> i : k.getInterfaces()) {
                if (i.getName().equals("sun.nio.ch.SelChImpl")) {
                    Method m = i.getMethod("getFDVal");
                    m.setAccessible(true);
                    return MethodHandles.lookup().unreflect(m).asType(MethodType.methodType(int.class, Channel.class));
                }
            }
        }
        for (Class<?> k = c; k != null; k = k.getSuperclass()) {
            for (Field f : k.getDeclaredFields()) {
                if (f.getName().equals("fd") && f.getType() == FileDescriptor.class) {
                    f.setAccessible(true);
                    MethodHandle get = MethodHandles.lookup().unreflectGetter(f);
                    MethodHandle num = MethodHandles.lookup().findStatic(Fd.class, "of",
                            MethodType.methodType(int.class, FileDescriptor.class));
                    return MethodHandles.filterReturnValue(get, num)
                            .asType(MethodType.methodType(int.class, Channel.class));
                }
            }
        }
        throw new IllegalArgumentException(c.getName() + " has no file descriptor");
    }

    private static final class FdField {
        static final VarHandle FD;

        static {
            try {
                FD = MethodHandles.privateLookupIn(FileDescriptor.class, MethodHandles.lookup())
                        .findVarHandle(FileDescriptor.class, "fd", int.class);
            } catch (ReflectiveOperationException | RuntimeException e) {
                throw new IllegalStateException("cannot read FileDescriptor.fd; " + OPENS, e);
            }
        }
    }
}
