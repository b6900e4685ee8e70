package io.jkqueue.filters;

import io.jkqueue.KEvent;
import io.jkqueue.spi.FilterOps;

/** The filters jkqueue writes against its own SPI, for the core's filter table. */
public final class SystemFilters {
    private SystemFilters() {}

    /** Where the core takes a system filter. */
    @FunctionalInterface
    public interface Installer {
        void install(int filter, FilterOps ops);
    }

    public static void install(Installer table) {
        table.install(KEvent.EVFILT_USER, new UserFilter());
        table.install(KEvent.EVFILT_TIMER, new TimerFilter());
    }
}
