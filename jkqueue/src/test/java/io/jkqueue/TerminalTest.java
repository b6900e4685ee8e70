package io.jkqueue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static io.jkqueue.KEvent.*;
import static io.jkqueue.Kq.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** EVFILT_READ on both ends of a pseudo-terminal (FreeBSD's tests/sys/kqueue, libkqueue's read tests). */
@ExtendWith(KqExtension.class)
class TerminalTest {
    private final KQueue kq;

    TerminalTest(KQueue kq) {
        this.kq = kq;
    }

    /** A pseudo-terminal pair, opened with O_NOCTTY so it never becomes this process's terminal. */
    private static final class Pty implements AutoCloseable {
        final int master;
        final int slave;
        private boolean masterOpen = true;
        private boolean slaveOpen = true;

        private Pty(int master, int slave) {
            this.master = master;
            this.slave = slave;
        }

        /** A new pair, or null when this machine will not hand one out. */
        static Pty open() throws Throwable {
            int m = Native.posixOpenpt();
            if (m < 0) {
                return null;
            }
            String name = Native.grantAndUnlock(m) ? Native.ptsname(m) : null;
            int s = name == null ? -1 : Native.open(name, Native.O_RDWR | Native.O_NOCTTY | Native.O_CLOEXEC);
            if (s < 0) {
                Native.close(m);
                return null;
            }
            return new Pty(m, s);
        }

        void closeMaster() throws Throwable {
            masterOpen = false;
            Native.close(master);
        }

        @Override
        public void close() throws Exception {
            try {
                if (masterOpen) {
                    closeMaster();
                }
                if (slaveOpen) {
                    slaveOpen = false;
                    Native.close(slave);
                }
            } catch (Exception | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }
    }

    @Test
    void terminalReadsALineWrittenToTheMasterAndEofWhenTheMasterCloses() throws Throwable {
        Pty pty = Pty.open();
        assumeTrue(pty != null, "no pseudo-terminal on this machine");
        try (pty) {
            add(kq, pty.slave, EVFILT_READ, EV_ADD);
            assertNoEvents(kq);
            // canonical mode: the slave is readable once the line is complete
            Native.write(pty.master, "hello\n");
            KEvent ev = awaitOne(kq);
            assertThat(ev.ident()).isEqualTo(pty.slave);
            assertThat(ev.data()).isEqualTo(6);
            assertThat(eof(ev)).isFalse();

            assertThat(Native.read(pty.slave, 6)).isEqualTo("hello\n");
            assertNoEvents(kq);

            pty.closeMaster();
            ev = awaitUntil(kq, pty.slave, EVFILT_READ, Kq::eof);
            assertThat(ev.data()).isZero();
        }
    }

    @Test
    void terminalMasterReadsWhatTheSlaveWrites() throws Throwable {
        Pty pty = Pty.open();
        assumeTrue(pty != null, "no pseudo-terminal on this machine");
        try (pty) {
            add(kq, pty.master, EVFILT_READ, EV_ADD);
            assertNoEvents(kq);
            Native.write(pty.slave, "ok\n");
            // output processing turns \n into \r\n: 4 bytes, which may reach the master in steps
            KEvent ev = awaitUntil(kq, pty.master, EVFILT_READ, e -> e.data() >= 4);
            assertThat(ev.data()).isEqualTo(4);
            assertThat(Native.read(pty.master, 16)).isEqualTo("ok\r\n");
            assertNoEvents(kq);
        }
    }
}
