package io.jkqueue.aio;

/**
 * The one place the AIO backend is chosen ({@code -Djkqueue.aio=uring|threads},
 * automatic otherwise), once, at the first AIO submission.
 */
final class AioBackends {
    private AioBackends() {}

    static final AioBackend BACKEND = create(System.getProperty("jkqueue.aio", ""));

    private static AioBackend create(String wanted) {
        // io_uring's backend goes here: for "uring", and for "" where the kernel allows it
        return new ThreadsBackend();
    }
}
