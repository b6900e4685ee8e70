package io.jkqueue.core;

import static io.jkqueue.KEvent.*;
import static io.jkqueue.core.Locked.locked;
import static org.assertj.core.api.Assertions.assertThat;

import io.jkqueue.Errno;
import io.jkqueue.KEventList;
import io.jkqueue.KQueueException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;


/**
 * kq_knhash: idents numbered in a row keep the folding hash (one knote per
 * slot); idents with a stride that folding chains up switch the table to
 * scattering, after which every knote is still found under its key.
 */
@ExtendWith(CoreKqExtension.class)
class KnoteTableTest {
    private final KqueueImpl kq;

    KnoteTableTest(KqueueImpl kq) {
        this.kq = kq;
    }




    /** Adds an EVFILT_USER knote under each ident (any filter but the descriptors' is hashed alike). */
    private static void addKnotes(KqueueImpl kq, long[] idents) throws KQueueException {
        KEventList changes = new KEventList(1024);
        for (int i = 0; i < idents.length; i++) {
            changes.add(idents[i], EVFILT_USER, EV_ADD, 0, 0, null);
            if (changes.size() == changes.capacity() || i == idents.length - 1) {
                assertThat(kq.kevent(changes, null, 0)).isZero();
                changes.clear();
            }
        }
    }

    /** EV_DELETE of each ident, each its own change with EV_RECEIPT: the errno of each (0: it was found). */
    private static long[] deleteEach(KqueueImpl kq, long[] idents) throws KQueueException {
        KEventList change = new KEventList(1);
        KEventList receipt = new KEventList(1);
        long[] errors = new long[idents.length];
        for (int i = 0; i < idents.length; i++) {
            change.clear();
            change.add(idents[i], EVFILT_USER, EV_DELETE | EV_RECEIPT, 0, 0, null);
            assertThat(kq.kevent(change, receipt, 0)).isEqualTo(1);
            errors[i] = receipt.data(0);
        }
        return errors;
    }

    @Test
    void identsInARowTakeASlotEach() throws KQueueException {
        long[] idents = new long[100_000];
        for (int i = 0; i < idents.length; i++) {
            idents[i] = 7_000_000_000L + i;
        }
        addKnotes(kq, idents);
        assertThat(locked(kq, kq.table::scatters)).isFalse();
        assertThat(locked(kq, kq.table::longestChain)).isEqualTo(1);
        assertThat(deleteEach(kq, idents)).containsOnly(0L);
        assertThat(deleteEach(kq, new long[] {idents[0], idents[idents.length - 1]}))
                .containsOnly((long) Errno.ENOENT.code());
    }

    @Test
    void stridedIdentsSwitchToScatteringAndAreAllStillFound() throws KQueueException {
        long[] idents = new long[10_000];
        for (int i = 0; i < idents.length; i++) {
            idents[i] = (long) i << 20;   // folding leaves their low bits alike
        }
        addKnotes(kq, idents);
        assertThat(locked(kq, kq.table::scatters)).isTrue();
        assertThat(locked(kq, kq.table::longestChain)).isLessThan(KnoteTable.LONG_CHAIN);
        assertThat(deleteEach(kq, idents)).containsOnly(0L);
        assertThat(deleteEach(kq, idents)).containsOnly((long) Errno.ENOENT.code());
    }
}
