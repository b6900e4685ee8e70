package io.jkqueue;

import io.jkqueue.core.FileTable;
import io.jkqueue.core.KqueueImpl;
import io.jkqueue.filters.ProcDescFilter;
import io.jkqueue.linux.Libc;
import io.jkqueue.linux.LinuxErrno;
import io.jkqueue.linux.Open;

import java.io.FileDescriptor;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.lang.reflect.Field;
import java.lang.reflect.InaccessibleObjectException;
import java.lang.reflect.Method;
import java.nio.channels.Channel;
import java.nio.file.FileSystems;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.StandardOpenOption;

/**
 * Descriptor numbers for the fd-based filters. {@link #open} and
 * {@link #close} open and close descriptors of jkqueue's own, so that
 * jkqueue sees their close (an exact knote_fdclose). {@link #of} reads the
 * numbers of JDK objects, which the JDK keeps private, so it needs
 * {@code --add-opens java.base/java.io=io.jkqueue} and
 * {@code --add-opens java.base/sun.nio.ch=io.jkqueue} (or {@code ALL-UNNAMED}
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

    /**
     * open(2) with O_CLOEXEC: a descriptor of {@code path} for the fd-based
     * filters (a directory too, for EVFILT_VNODE), closed by {@link #close}.
     * No options is READ; READ, WRITE, APPEND (which writes), CREATE,
     * CREATE_NEW and TRUNCATE_EXISTING are open(2)'s flags; a file created is
     * given mode 0666 less the umask, as the JDK does.
     *
     * @param path    the file or directory
     * @param options {@link StandardOpenOption}s; none is READ
     * @return the new descriptor's number
     * @throws KQueueException with FreeBSD's errno (ENOENT, EACCES, EEXIST, EISDIR, EMFILE, ...)
     * @throws IllegalArgumentException for any other option, or a path of another file system
     */
    public static int open(Path path, OpenOption... options) throws KQueueException {
        if (path.getFileSystem() != FileSystems.getDefault()) {
            throw new ProviderMismatchException("not a path of the default file system: " + path);
        }
        boolean read = false;
        boolean write = false;
        int flags = Open.O_CLOEXEC;
        for (OpenOption o : options) {
            if (!(o instanceof StandardOpenOption so)) {
                throw new IllegalArgumentException("Fd.open does not take " + o);
            }
            switch (so) {
                case READ -> read = true;
                case WRITE -> write = true;
                case APPEND -> {
                    write = true;
                    flags |= Open.O_APPEND;
                }
                case CREATE -> flags |= Open.O_CREAT;
                case CREATE_NEW -> flags |= Open.O_CREAT | Open.O_EXCL;
                case TRUNCATE_EXISTING -> flags |= Open.O_TRUNC;
                default -> throw new IllegalArgumentException("Fd.open does not take " + o);
            }
        }
        flags |= write ? (read ? Open.O_RDWR : Open.O_WRONLY) : Open.O_RDONLY;
        int fd = Open.open(path.toAbsolutePath().toString(), flags, 0666);
        if (fd < 0) {
            throw error("open " + path);
        }
        return fd;
    }

    /**
     * close(2) of a descriptor from {@link #open} (or any number the program
     * owns that no JDK object holds), as knote_fdclose sees it: every knote
     * on the number, in every kqueue, is gone before the number is closed, so
     * a file that reuses it starts with none. A kqueue's descriptor closes the
     * kqueue; a ProcessDescriptor's closes it.
     *
     * @param fd the number to close
     * @throws KQueueException EBADF for a number that is not open
     * @throws IllegalArgumentException for the number of a channel that is still open (close the channel)
     */
    public static void close(int fd) throws KQueueException {
        if (fd < 0) {
            throw new KQueueException(Errno.EBADF, "close " + fd);
        }
        Channel ch = FileTable.channel(fd);
        if (ch != null) {
            throw new IllegalArgumentException("descriptor " + fd + " belongs to " + ch + ": close the channel");
        }
        ProcessDescriptor pd = ProcDescFilter.descriptor(fd);
        if (pd != null) {
            pd.close();
            return;
        }
        closeNumber(fd);
    }

    /** knote_fdclose in every kqueue, then close(2). */
    static void closeNumber(int fd) throws KQueueException {
        if (KqueueImpl.fdcloseAll(fd)) {
            return;   // it was a kqueue's, closed with it
        }
        try {
            if (Open.close(fd) != 0) {
                throw error("close " + fd);
            }
        } finally {
            FileTable.closed(fd);
        }
    }

    /** The KQueueException for the call that just failed, with FreeBSD's errno. */
    static KQueueException error(String call) {
        int linux = Libc.errno();
        Errno errno;
        try {
            errno = Errno.of(LinuxErrno.toFreeBsd(linux));
        } catch (IllegalArgumentException none) {
            errno = Errno.EIO;   // none that open(2) or close(2) documents
        }
        return new KQueueException(errno, call + " failed (Linux errno " + linux + ")");
    }

    /**
     * The descriptor of a socket, server socket, datagram, pipe or file
     * channel, to use as ident; while the channel is open jkqueue knows the
     * number names its file.
     *
     * @param ch an open channel
     * @return its descriptor's number
     * @throws IllegalArgumentException for a closed channel, or one with no descriptor
     * @throws IllegalStateException    without the {@code --add-opens} flags above
     */
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

    /**
     * The number inside a FileDescriptor.
     *
     * @param fd a FileDescriptor, such as a FileInputStream's
     * @return its number; -1 if it is not valid
     * @throws IllegalStateException without {@code --add-opens java.base/java.io}
     */
    public static int of(FileDescriptor fd) {
        return (int) FdField.fd().get(fd);
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

    // FileDescriptor.fd, or why it cannot be read: an initializer that threw would leave every later use a
    // NoClassDefFoundError that no longer says which flag is missing
    private static final class FdField {
        static final VarHandle FD;
        static final Exception DENIED;

        static {
            VarHandle fd = null;
            Exception denied = null;
            try {
                fd = MethodHandles.privateLookupIn(FileDescriptor.class, MethodHandles.lookup())
                        .findVarHandle(FileDescriptor.class, "fd", int.class);
            } catch (ReflectiveOperationException | RuntimeException e) {
                denied = e;
            }
            FD = fd;
            DENIED = denied;
        }

        static VarHandle fd() {
            if (FD == null) {
                throw new IllegalStateException("cannot read FileDescriptor.fd; " + OPENS, DENIED);
            }
            return FD;
        }
    }
}
