/** FreeBSD's kqueue/kevent for the JVM. */
module io.jkqueue {
    exports io.jkqueue;
    exports io.jkqueue.spi;
    requires jdk.unsupported; // sun.misc.Signal: EVFILT_SIGNAL rides on the JVM's signal handling
}
