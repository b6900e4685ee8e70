/**
 * FreeBSD's kqueue/kevent for the JVM: {@link io.jkqueue.KQueue} is kqueue(2)
 * and kevent(2), {@link io.jkqueue.KEvent} and {@link io.jkqueue.KEventList}
 * are {@code struct kevent} with the constants of {@code sys/event.h},
 * {@link io.jkqueue.KQueueException} carries FreeBSD's {@link io.jkqueue.Errno};
 * {@link io.jkqueue.Fd}, {@link io.jkqueue.ProcessDescriptor} and
 * {@link io.jkqueue.Signals} give the idents of the descriptor, process and
 * signal filters.
 */
package io.jkqueue;
