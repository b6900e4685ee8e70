/** Example programs for jkqueue. */
module io.jkqueue.examples {
    requires io.jkqueue;
}
