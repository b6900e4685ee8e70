package io.jkqueue.filters;

import io.jkqueue.KEvent;
import io.jkqueue.spi.FilterOps;

/** The filters jkqueue writes against its own SPI, for the core's filter table. */
public final class SystemFilters {
    private SystemFilters() {}

    /** Where the core takes the system filters. */
    public interface Installer {
        /** A filter of its own (an entry of sysfilt_ops). */
        void install(int filter, FilterOps ops);

        /**
         * The filter for ordinary descriptors under a file filter number, as
         * fo_kqfilter picks per file type (kqueue descriptors are the core's).
         */
        void installFile(int filter, FilterOps ops);
    }

    public static void install(Installer table) {
        table.install(KEvent.EVFILT_USER, new UserFilter());
        table.install(KEvent.EVFILT_TIMER, new TimerFilter());
        table.install(KEvent.EVFILT_SIGNAL, new SignalFilter());
        table.install(KEvent.EVFILT_PROC, new ProcFilter());
        table.installFile(KEvent.EVFILT_READ, new ReadFilter());
        table.installFile(KEvent.EVFILT_WRITE, new WriteFilter());
        table.installFile(KEvent.EVFILT_EMPTY, new EmptyFilter());
        table.installFile(KEvent.EVFILT_VNODE, new VnodeFilter());
    }
}
