package dev.herald.core;

import java.util.function.Function;

/**
 * One published message, exactly as every subscriber sees it, whatever its transport.
 *
 * <p>Immutable. {@code data} is the message's JSON text (already validated, on one line). The wire encodings live in
 * {@code dev.herald.protocol}; {@link #encoded(Function)} lets them be computed once per publish and shared by every
 * subscriber rather than once per subscriber.
 */
public final class Envelope implements Outbound {
    private final String channel;
    private final long offset;
    private final String epoch;
    private final String event;
    private final String data;
    private final long ts;
    /** Alternating codec / encoded value pairs; copy-on-write. A racing double computation is harmless. */
    private volatile Object[] memo = new Object[0];

    public Envelope(String channel, long offset, String epoch, String event, String data, long ts) {
        this.channel = channel;
        this.offset = offset;
        this.epoch = epoch;
        this.event = event;
        this.data = data;
        this.ts = ts;
    }

    public String channel() {
        return channel;
    }

    /** Starts at 1 and grows by exactly 1 per message of the channel (within one epoch). */
    public long offset() {
        return offset;
    }

    public String epoch() {
        return epoch;
    }

    /** Opaque to clients, unique per channel: {@code <epoch>-<offset>}. */
    public String id() {
        return epoch + "-" + offset;
    }

    public String event() {
        return event;
    }

    /** The message's JSON text. */
    public String data() {
        return data;
    }

    /** Server publish time, epoch milliseconds. */
    public long ts() {
        return ts;
    }

    /**
     * Returns {@code codec.apply(this)}, computed at most about once per envelope and codec. The codec must be a
     * constant (a static method reference or a singleton) for the memo to hit.
     */
    @SuppressWarnings("unchecked")
    public <T> T encoded(Function<Envelope, T> codec) {
        Object[] m = memo;
        for (int i = 0; i < m.length; i += 2) {
            if (m[i] == codec) {
                return (T) m[i + 1];
            }
        }
        T value = codec.apply(this);
        Object[] next = java.util.Arrays.copyOf(m, m.length + 2);
        next[m.length] = codec;
        next[m.length + 1] = value;
        memo = next;
        return value;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Envelope e && e.offset == offset && e.ts == ts && e.channel.equals(channel)
                && e.epoch.equals(epoch) && e.event.equals(event) && e.data.equals(data);
    }

    @Override
    public int hashCode() {
        return channel.hashCode() * 31 + Long.hashCode(offset);
    }

    @Override
    public String toString() {
        return "Envelope[" + channel + "#" + offset + " " + event + "]";
    }
}
