package dev.herald.engine.memory;

import dev.herald.core.Envelope;
import dev.herald.core.Names;

/**
 * Estimates, in bytes, of the heap the memory engine's objects take, for its bound ({@code herald.memory.max-bytes}).
 * The sizes are those of a 64-bit HotSpot JVM with compressed object pointers (any heap under 32 GiB) and compact
 * strings (the default): 12-byte object headers, 4-byte references, 8-byte alignment, one byte per character of a
 * Latin-1 string and two otherwise. The benchmark {@code dev.herald.bench.ChannelFootprint} checks them against the
 * live heap after a full GC (docs/performance.md, "Memory per channel"). Stateless and thread-safe.
 */
final class Footprint {
    /** A {@code String} object without its array: header, hash, value, coder, hashIsZero. */
    static final int STRING = 24;
    /** An array's header: object header and length. */
    static final int ARRAY = 16;
    /** An {@link Envelope}: header, five references (channel, epoch, event, data, memo), offset and ts. */
    static final int ENVELOPE = 48;
    /** A {@code MemoryBroker.Stream}: header, six references or ints, one boolean, three longs. */
    static final int STREAM = 64;
    /** A {@code ConcurrentHashMap} node (32) and a share of its table, which is 1.3 to 2.7 slots per entry (8). */
    static final int MAP_ENTRY = 40;

    private Footprint() {
    }

    /** What a channel costs before any history: its map entry, its name and its stream object. */
    static long channel(String name) {
        return MAP_ENTRY + string(name) + STREAM;
    }

    /**
     * What one envelope in history costs: the object and its data. Its channel and epoch strings are the stream's
     * and counted once there; the default event name is a constant, any other is counted with each envelope (an
     * over-estimate when consecutive envelopes share it).
     */
    static long envelope(Envelope e) {
        return ENVELOPE + string(e.data()) + (e.event() == Names.DEFAULT_EVENT ? 0 : string(e.event()));
    }

    /**
     * What one remembered idempotency key costs: its map entry, the key, the record holding it and its envelope (counted
     * again, though the history ring may share it: an over-estimate, on the safe side of the bound).
     */
    static long idempotencyKey(String key, Envelope e) {
        return MAP_ENTRY + string(key) + 24 + envelope(e);
    }

    /** An array of {@code length} references. */
    static long references(int length) {
        return length == 0 ? 0 : align(ARRAY + 4L * length);
    }

    /** A string: the object and its byte array, one byte per character if all are Latin-1, else two. */
    static long string(String s) {
        int n = s.length();
        boolean latin1 = true;
        for (int i = 0; i < n && latin1; i++) {
            latin1 = s.charAt(i) <= 0xFF;
        }
        return STRING + align(ARRAY + (latin1 ? n : 2L * n));
    }

    private static long align(long bytes) {
        return (bytes + 7) & ~7L;
    }
}
