package io.jkqueue.aio;

import io.jkqueue.spi.DescriptorSource;

/**
 * Where the I/O of AIO jobs is done (vfs_aio.c's aio_queue_file and its aiod
 * pool): io_uring, or a few worker threads. A backend only moves bytes and
 * reports each job's result once; the job states, the knotes and the errno
 * rules live with the job.
 */
interface AioBackend {
    /**
     * Starts the job's I/O. The backend later calls {@link AioJob#complete}
     * exactly once for it, from any thread (a worker, or whoever drains
     * {@link #completions()}). Returns 0, or a FreeBSD errno code when the
     * job was not started (EAGAIN: too many jobs in flight).
     */
    int submit(AioJob job);

    /**
     * aio_cancel of one started job: {@code Aio.AIO_CANCELED} when it will
     * not run (it completes, or has completed, with -ECANCELED),
     * {@code Aio.AIO_NOTCANCELED} when its I/O is under way, {@code
     * Aio.AIO_ALLDONE} when it has already completed. Blocks only until the
     * backend knows which.
     */
    int cancel(AioJob job);

    /**
     * The descriptor whose drain completes jobs, for each AIO knote to watch
     * (the kqueue harvests it in its scan), or null when the backend
     * completes jobs from its own threads.
     */
    DescriptorSource completions();

    /**
     * Completes now the jobs whose I/O has ended but whose result still
     * waits in the backend, for aio_error and aio_return of a job in
     * progress: no kqueue may be draining {@link #completions()}.
     */
    void reap();
}
