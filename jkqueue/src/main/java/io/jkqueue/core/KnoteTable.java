package io.jkqueue.core;

import io.jkqueue.linux.Stat;

import java.nio.channels.Channel;
import java.util.Arrays;

/**
 * A kqueue's knotes by key (ident, filter): kq_knlist, the chains of the
 * descriptor knotes indexed by descriptor number, and kq_knhash, the other
 * knotes hashed by ident (both linked through kn_link). For each number with
 * knotes it also keeps which file the number named when they were
 * registered: the channel Fd.of handed it out for, or else the file's
 * dev+ino, so that a closed and reused number is told from the file it was.
 * Guarded by the kq lock.
 */
final class KnoteTable {
    private static final int KQEXTENT = 256;
    static final int LONG_CHAIN = 8;   // a chain this long at a load under 1 means the idents have a pattern

    private final KqueueImpl kq;
    private KnoteImpl[] byFd = new KnoteImpl[0];     // kq_knlist
    private long[] fdIdentity = new long[0];         // per number: dev, ino of its file
    private Channel[] fdChannel = new Channel[0];    // ... or the channel it belongs to (then dev, ino are 0)
    private int fdKnotes;
    private KnoteImpl[] byIdent = new KnoteImpl[64]; // kq_knhash
    private int identKnotes;
    private boolean scatter;   // idents chained up under the folding hash: hashed by multiplication since

    KnoteTable(KqueueImpl kq) {
        this.kq = kq;
    }

    /**
     * KN_HASH: the ident's bits folded (as the seed's val ^ (val >> 8)), so
     * that neighbouring idents (timers numbered 0..n) take neighbouring slots,
     * and a lookup, or a growth of the table, meets their knotes in the order
     * they were allocated rather than at random. Once a chain grows to
     * {@link #LONG_CHAIN} (idents with a stride that folding keeps together),
     * Fibonacci hashing scatters them instead.
     */
    private int hashSlot(long ident, int mask) {
        return hashSlot(ident, scatter, mask);
    }

    /** KN_HASH as above, for a table of {@code mask + 1} slots that scatters or not (TimerRows' hash too). */
    static int hashSlot(long ident, boolean scatter, int mask) {
        if (scatter) {
            return (int) ((ident * 0x9E3779B97F4A7C15L) >>> 40) & mask;
        }
        return (int) (ident ^ (ident >>> 16) ^ (ident >>> 32) ^ (ident >>> 48)) & mask;
    }

    /** The knote (ident, filter), or null; {@code fd}: a descriptor filter's. */
    KnoteImpl find(boolean fd, long ident, int filter) {
        assert kq.ownsLock();
        KnoteImpl kn = fd ? (ident < byFd.length ? byFd[(int) ident] : null)
                : byIdent[hashSlot(ident, byIdent.length - 1)];
        while (kn != null && (kn.ident != ident || kn.filter != filter)) {
            kn = kn.link;
        }
        return kn;
    }

    /** The first knote chained on descriptor {@code fd}, or null. */
    KnoteImpl firstOnFd(int fd) {
        assert kq.ownsLock();
        return fd < byFd.length ? byFd[fd] : null;
    }

    /** The first knote chained at hash slot {@code slot}, or null. */
    KnoteImpl firstInSlot(int slot) {
        assert kq.ownsLock();
        return slot < byIdent.length ? byIdent[slot] : null;
    }

    int fdLimit() {
        return byFd.length;
    }

    int slots() {
        return byIdent.length;
    }

    /** Knotes on descriptors. */
    int fdKnotes() {
        return fdKnotes;
    }

    /**
     * kqueue_expand + knote_attach. A descriptor knote also records which
     * file its number names: {@code channel}, or else {@code dev}+{@code ino}.
     * Returns true when it is the first descriptor knote.
     */
    boolean insert(KnoteImpl kn, Channel channel, long dev, long ino) {
        assert kq.ownsLock();
        if (kn.fop.isFd()) {
            int fd = (int) kn.ident;
            if (fd >= byFd.length) {
                byFd = Arrays.copyOf(byFd, (fd / KQEXTENT + 1) * KQEXTENT);
                fdIdentity = Arrays.copyOf(fdIdentity, 2 * byFd.length);
                fdChannel = Arrays.copyOf(fdChannel, byFd.length);
            }
            kn.link = byFd[fd];
            byFd[fd] = kn;
            fdChannel[fd] = channel;
            fdIdentity[2 * fd] = dev;
            fdIdentity[2 * fd + 1] = ino;
            return fdKnotes++ == 0;
        }
        if (identKnotes >= byIdent.length) {   // at a load of 1: idents in a row fill the slots one each
            rehash(byIdent.length * 2);
        }
        int slot = hashSlot(kn.ident, byIdent.length - 1);
        kn.link = byIdent[slot];
        byIdent[slot] = kn;
        identKnotes++;
        if (!scatter && isLongChain(kn)) {
            scatter = true;
            rehash(byIdent.length);
        }
        return false;
    }

    void remove(KnoteImpl kn) {
        assert kq.ownsLock();
        KnoteImpl[] table;
        int slot;
        if (kn.fop.isFd()) {
            table = byFd;
            slot = (int) kn.ident;
            fdKnotes--;
        } else {
            table = byIdent;
            slot = hashSlot(kn.ident, byIdent.length - 1);
            identKnotes--;
        }
        if (table[slot] == kn) {
            table[slot] = kn.link;
            if (table == byFd && kn.link == null) {
                fdChannel[slot] = null;   // the last knote on fd: let its channel go
            }
        } else {
            KnoteImpl p = table[slot];
            while (p.link != kn) {
                p = p.link;
            }
            p.link = kn.link;
        }
        kn.link = null;
    }

    /** Whether the chain from {@code kn} (which find has just walked) has {@link #LONG_CHAIN} knotes. */
    private static boolean isLongChain(KnoteImpl kn) {
        int n = 1;
        for (KnoteImpl k = kn.link; k != null && n < LONG_CHAIN; k = k.link) {
            n++;
        }
        return n == LONG_CHAIN;
    }

    /** Whether the other knotes are hashed by multiplication (their idents chained up under the folding hash). */
    boolean scatters() {
        assert kq.ownsLock();
        return scatter;
    }

    /** The longest chain of the other knotes (for tests). */
    int longestChain() {
        assert kq.ownsLock();
        int longest = 0;
        for (KnoteImpl chain : byIdent) {
            int n = 0;
            for (KnoteImpl kn = chain; kn != null; kn = kn.link) {
                n++;
            }
            longest = Math.max(longest, n);
        }
        return longest;
    }

    private void rehash(int size) {
        KnoteImpl[] old = byIdent;
        byIdent = new KnoteImpl[size];
        for (KnoteImpl chain : old) {
            for (KnoteImpl kn = chain, next; kn != null; kn = next) {
                next = kn.link;
                int slot = hashSlot(kn.ident, size - 1);
                kn.link = byIdent[slot];
                byIdent[slot] = kn;
            }
        }
    }

    /** The channel whose number {@code fd} is, for the knotes on it; null if they know it by dev+ino. */
    Channel channel(int fd) {
        assert kq.ownsLock();
        return fd < fdChannel.length ? fdChannel[fd] : null;
    }

    /**
     * Whether knotes exist on {@code fd} for a file other than the one it
     * names now ({@code channel}, or else dev+ino).
     */
    boolean isStale(int fd, Channel channel, long dev, long ino) {
        assert kq.ownsLock();
        if (fd >= byFd.length || byFd[fd] == null) {
            return false;
        }
        Channel old = fdChannel[fd];
        if (old != null) {
            return old != channel;   // an open channel keeps its number: another one means it was closed
        }
        if (channel != null) {       // watched by number, now known as a channel: compare the files
            Stat.Buffer stx = Stat.threadBuffer();
            if (!stx.fstatx(fd)) {
                return true;
            }
            dev = stx.dev();
            ino = stx.ino();
        }
        return fdIdentity[2 * fd] != dev || fdIdentity[2 * fd + 1] != ino;
    }

    /** The dev of the file the knotes on {@code fd} were registered on (when {@link #channel} is null). */
    long identityDev(int fd) {
        return fdIdentity[2 * fd];
    }

    /** The ino of that file. */
    long identityIno(int fd) {
        return fdIdentity[2 * fd + 1];
    }
}
