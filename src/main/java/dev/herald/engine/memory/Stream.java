package dev.herald.engine.memory;

import dev.herald.core.Envelope;
import dev.herald.core.Names;

/**
 * One channel of the {@link MemoryBroker}: its epoch, its offset counter and a ring of its latest envelopes. The ring
 * starts empty (a shared empty array) and doubles as messages come, up to the history size, so a channel with one
 * message holds a one-slot array, not sixteen. Tracks the bytes it is accounted for ({@link Footprint}); every
 * method that changes them returns the change, which the broker adds to its total.
 *
 * <p>Not thread-safe: guarded by its own monitor, which the broker holds around every call.
 */
final class Stream {
    private static final Envelope[] NONE = {};

    final String channel;
    final String epoch;
    private Envelope[] ring = NONE;
    private int head;
    private int size;
    long latest;
    int interest;
    boolean removed;
    /** Clock time of the last publish (or of the creation), epoch milliseconds: eviction takes the oldest first. */
    long lastPublish;
    /** Bytes accounted for this stream: {@link Footprint#channel}, the ring and its envelopes, idempotency keys. */
    long bytes;
    /** Idempotency keys of recent publishes, oldest first, with their envelope and clock time; null when none. */
    private java.util.LinkedHashMap<String, Remembered> keys;

    /** A publish's envelope and the clock time it was made, kept under its idempotency key. */
    private record Remembered(Envelope envelope, long at) {
    }

    /** Messages kept, and their age limit in ms: the channel's {@link dev.herald.core.Retention}. */
    final int historySize;
    final long ttlMillis;

    Stream(String channel, String epoch, long now, int historySize, long ttlMillis) {
        this.historySize = historySize;
        this.ttlMillis = ttlMillis;
        this.channel = channel;
        this.epoch = epoch;
        this.lastPublish = now;
        this.bytes = Footprint.channel(channel);
    }

    int size() {
        return size;
    }

    /** The {@code i}th envelope kept, 0 the oldest. */
    Envelope get(int i) {
        return ring[(head + i) % ring.length];
    }

    /** The event name to keep for a publish: the default constant, or the previous envelope's equal string. */
    String share(String event) {
        if (event.equals(Names.DEFAULT_EVENT)) {
            return Names.DEFAULT_EVENT;
        }
        Envelope last = size == 0 ? null : get(size - 1);
        return last != null && last.event().equals(event) ? last.event() : event;
    }

    /** Appends {@code e}, dropping the oldest envelope if {@code limit} are kept already. Returns the bytes added. */
    long append(Envelope e, int limit) {
        long delta = Footprint.envelope(e);
        if (size == ring.length) {
            if (ring.length < limit) {
                Envelope[] grown = new Envelope[(int) Math.min(limit, Math.max(1L, 2L * ring.length))];
                for (int i = 0; i < size; i++) {
                    grown[i] = get(i);
                }
                delta += Footprint.references(grown.length) - Footprint.references(ring.length);
                ring = grown;
                head = 0;
            } else {
                delta += removeFirst();
            }
        }
        ring[(head + size) % ring.length] = e;
        size++;
        bytes += delta;
        return delta;
    }

    /** Drops the envelopes published before {@code cutoff} (epoch ms). Returns the bytes added (zero or less). */
    long expire(long cutoff) {
        long delta = 0;
        while (size > 0 && get(0).ts() < cutoff) {
            delta += removeFirst();
        }
        return release(delta);
    }

    /** Drops all history and idempotency keys; offsets and epoch stay. Returns the bytes added (zero or less). */
    long clear() {
        long keysDelta = forgetKeys(Long.MAX_VALUE);
        long historyDelta = 0;
        while (size > 0) {
            historyDelta += removeFirst();
        }
        return keysDelta + release(historyDelta);
    }

    /** The envelope published with this idempotency key, or null. Call {@link #forgetKeys} first. */
    Envelope replay(String key) {
        Remembered r = keys == null ? null : keys.get(key);
        return r == null ? null : r.envelope();
    }

    /** Remembers the key's envelope, published at clock time {@code now}. Returns the bytes added. */
    long remember(String key, Envelope e, long now) {
        if (keys == null) {
            keys = new java.util.LinkedHashMap<>();
        }
        keys.put(key, new Remembered(e, now));
        long delta = Footprint.idempotencyKey(key, e);
        bytes += delta;
        return delta;
    }

    /** Forgets the keys remembered before {@code cutoff} (clock ms). Returns the bytes added (zero or less). */
    long forgetKeys(long cutoff) {
        if (keys == null) {
            return 0;
        }
        long delta = 0;
        var it = keys.entrySet().iterator();
        while (it.hasNext()) {
            var entry = it.next();
            if (entry.getValue().at() >= cutoff) {
                break; // oldest first: the rest are younger
            }
            delta -= Footprint.idempotencyKey(entry.getKey(), entry.getValue().envelope());
            it.remove();
        }
        if (keys.isEmpty()) {
            keys = null;
        }
        bytes += delta;
        return delta;
    }

    /** Once history is empty, gives its array back, so a channel nobody publishes to costs only its entry. */
    private long release(long delta) {
        if (size == 0 && ring != NONE) {
            delta -= Footprint.references(ring.length);
            ring = NONE;
            head = 0;
        }
        bytes += delta;
        return delta;
    }

    private long removeFirst() {
        Envelope e = ring[head];
        ring[head] = null;
        head = (head + 1) % ring.length;
        size--;
        return -Footprint.envelope(e);
    }
}
