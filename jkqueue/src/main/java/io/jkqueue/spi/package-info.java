/**
 * Java event sources, as FreeBSD drivers are: a {@link io.jkqueue.spi.FilterOps}
 * installed in the filter table with {@link io.jkqueue.spi.Filters#add}, a
 * {@link io.jkqueue.spi.KnList} of the {@link io.jkqueue.spi.Knote}s attached
 * to each source, and {@link io.jkqueue.spi.KnList#knote(long)} when
 * something happens.
 */
package io.jkqueue.spi;
