package io.jkqueue.filters;

import io.jkqueue.KEvent;
import io.jkqueue.core.FilterTable;

/**
 * The boot of jkqueue's own filters, written against its SPI: puts them in
 * the core's filter table (the seed's "XXX - make SYSINIT to add these").
 * The core knows them by number only; {@code io.jkqueue.KQueue} boots them
 * before the first kqueue opens.
 */
public final class SystemFilters {
    private SystemFilters() {}

    private static boolean installed;

    /** Installs the system filters once. */
    public static synchronized void install() {
        if (installed) {
            return;
        }
        FilterTable.installSystem(KEvent.EVFILT_USER, new UserFilter());
        FilterTable.installSystem(KEvent.EVFILT_TIMER, new TimerFilter());
        FilterTable.installSystem(KEvent.EVFILT_SIGNAL, new SignalFilter());
        FilterTable.installSystem(KEvent.EVFILT_PROC, new ProcFilter());
        FilterTable.installSystem(KEvent.EVFILT_FS, new FsFilter());
        FilterTable.installSystem(KEvent.EVFILT_AIO, new AioFilter());
        FilterTable.installSystem(KEvent.EVFILT_LIO, new LioFilter());
        FilterTable.installFile(KEvent.EVFILT_READ, new ReadFilter());
        FilterTable.installFile(KEvent.EVFILT_WRITE, new WriteFilter());
        FilterTable.installFile(KEvent.EVFILT_EMPTY, new EmptyFilter());
        FilterTable.installFile(KEvent.EVFILT_VNODE, new VnodeFilter());
        FilterTable.installFile(KEvent.EVFILT_PROCDESC, ProcDescFilter.NOT_A_PROCDESC);
        FilterTable.installFileType(ProcDescFilter::isProcDesc, new ProcDescFilter());
        installed = true;
    }
}
