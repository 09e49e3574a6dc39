package dev.herald.core;

import java.util.Arrays;

/**
 * An immutable set of subscribers: one channel's subscribers in one {@link Lane}, as a publish hands them over.
 * Stored as chunks of at most {@value #CHUNK}, all full but the last, so that adding or removing one subscriber copies
 * at most two chunks and the chunk index, {@code O(CHUNK + n / CHUNK)} references, rather than the whole set: with
 * one flat copy-on-write array per lane, a storm of 20,000 subscribes to one channel copied about 10^8 references
 * (and as many bytes of garbage) under the channel's map lock (docs/performance.md, "Connection storms").
 *
 * <p>Order is not kept: a removal moves the last subscriber into the hole. Thread-safe (immutable); a publish reads
 * a snapshot without locking.
 */
final class Roster {
    /** Subscribers per chunk. */
    static final int CHUNK = 256;
    static final Roster EMPTY = new Roster(new Subscriber[0][], 0);
    private final Subscriber[][] chunks;
    private final int size;

    private Roster(Subscriber[][] chunks, int size) {
        this.chunks = chunks;
        this.size = size;
    }

    int size() {
        return size;
    }

    /** The subscribers, chunk by chunk. Never write to the arrays. */
    Subscriber[][] chunks() {
        return chunks;
    }

    /** This set and {@code s} (which must not be in it yet). */
    Roster with(Subscriber s) {
        int n = chunks.length;
        if (size % CHUNK == 0) {
            Subscriber[][] next = Arrays.copyOf(chunks, n + 1);
            next[n] = new Subscriber[] {s};
            return new Roster(next, size + 1);
        }
        Subscriber[][] next = chunks.clone();
        Subscriber[] tail = chunks[n - 1];
        Subscriber[] grown = Arrays.copyOf(tail, tail.length + 1);
        grown[tail.length] = s;
        next[n - 1] = grown;
        return new Roster(next, size + 1);
    }

    /** This set without {@code s}; this same instance when {@code s} is not in it. */
    Roster without(Subscriber s) {
        for (int c = 0; c < chunks.length; c++) {
            Subscriber[] chunk = chunks[c];
            for (int i = 0; i < chunk.length; i++) {
                if (chunk[i] == s) {
                    return without(c, i);
                }
            }
        }
        return this;
    }

    private Roster without(int c, int i) {
        int lc = chunks.length - 1;
        Subscriber[] tail = chunks[lc];
        Subscriber[][] next = chunks.clone();
        if (c != lc || i != tail.length - 1) {
            Subscriber[] hole = chunks[c].clone();
            hole[i] = tail[tail.length - 1];
            next[c] = hole;
        }
        if (tail.length == 1) {
            next = Arrays.copyOf(next, lc);
        } else {
            next[lc] = Arrays.copyOf(next[lc], tail.length - 1);
        }
        return new Roster(next, size - 1);
    }
}
