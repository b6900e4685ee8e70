package io.jkqueue.aio;

/**
 * The one place the AIO backend is chosen ({@code -Djkqueue.aio=uring|threads},
 * automatic otherwise), once, at the first AIO submission.
 */
final class AioBackends {
    private AioBackends() {}

    static final AioBackend BACKEND = create(System.getProperty("jkqueue.aio", ""));

    /** io_uring unless threads are asked for or the kernel refuses it (then the threads, whatever was asked). */
    private static AioBackend create(String wanted) {
        if (!wanted.equals("threads")) {
            UringBackend uring = UringBackend.open();
            if (uring != null) {
                return uring;
            }
        }
        return new ThreadsBackend();
    }
}
