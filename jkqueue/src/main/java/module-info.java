/** FreeBSD's kqueue/kevent for the JVM. */
module io.jkqueue {
    exports io.jkqueue;
    exports io.jkqueue.spi;
}
