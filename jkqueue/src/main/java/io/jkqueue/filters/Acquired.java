package io.jkqueue.filters;

/** What acquiring a shared event source for a knote gave: the source, or the errno code why not. */
record Acquired<T>(T source, int error) {
    static <T> Acquired<T> of(T source) {
        return new Acquired<>(source, 0);
    }

    static <T> Acquired<T> failed(int error) {
        return new Acquired<>(null, error);
    }
}
