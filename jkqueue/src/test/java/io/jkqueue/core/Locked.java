package io.jkqueue.core;

import java.util.function.Supplier;

/** The tests' way to read a kqueue's guarded state: as the code reads it, with the kq lock held. */
final class Locked {
    private Locked() {}

    static <T> T locked(KqueueImpl kq, Supplier<T> f) {
        kq.lock();
        try {
            return f.get();
        } finally {
            kq.unlock();
        }
    }
}
