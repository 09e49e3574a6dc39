package dev.herald.core;

import java.util.function.Function;

/**
 * One published message, exactly as every subscriber sees it, whatever its transport.
 *
 * <p>Immutable. {@code data} is the message's JSON text (already validated, on one line). A binary message
 * (docs/protocol.md, "Binary messages") has {@link #encoding()} {@value #BASE64} and its bytes as one JSON string of
 * standard base64 (RFC 4648, section 4) in {@code data}: so every JSON encoding of it is the one of a JSON message
 * plus {@code "encoding":"base64"}, an engine stores and copies it as any other, and {@link #bytes()} decodes it. The
 * wire encodings live in
 * {@code dev.herald.protocol}; {@link #encoded(Function)} lets them be computed once per publish and shared by every
 * subscriber rather than once per subscriber. An engine keeps {@link #withoutMemo()} copies in history, so that a
 * retained envelope costs its fields, not its encodings as well.
 */
public final class Envelope implements Outbound {
    private final String channel;
    private final long offset;
    private final String epoch;
    private final String event;
    private final String data;
    private final String encoding;
    private final long ts;
    /** {@link #encoding()} of a binary message. */
    public static final String BASE64 = "base64";
    private static final Object[] EMPTY = {};
    /**
     * Alternating codec / encoded value pairs; copy-on-write. A racing double computation is harmless. Null in a
     * {@link #withoutMemo()} copy: it never keeps an encoding.
     */
    private volatile Object[] memo;

    /** A JSON message: {@code data} is compact JSON text. */
    public Envelope(String channel, long offset, String epoch, String event, String data, long ts) {
        this(channel, offset, epoch, event, data, null, ts, EMPTY);
    }

    /**
     * A message with an encoding: null for JSON, {@value #BASE64} for a binary message whose {@code data} is a JSON
     * string of base64 (as {@link #base64Data} makes it).
     *
     * @throws IllegalArgumentException for another encoding
     */
    public Envelope(String channel, long offset, String epoch, String event, String data, String encoding, long ts) {
        this(channel, offset, epoch, event, data, checked(encoding), ts, EMPTY);
    }

    private Envelope(String channel, long offset, String epoch, String event, String data, String encoding, long ts,
                     Object[] memo) {
        this.memo = memo;
        this.channel = channel;
        this.offset = offset;
        this.epoch = epoch;
        this.event = event;
        this.data = data;
        this.encoding = encoding;
        this.ts = ts;
    }

    private static String checked(String encoding) {
        if (encoding != null && !encoding.equals(BASE64)) {
            throw new IllegalArgumentException("unknown encoding: " + encoding);
        }
        return encoding == null ? null : BASE64;
    }

    /** {@code bytes} as a binary message's {@code data}: a JSON string of standard base64, quotes included. */
    public static String base64Data(byte[] bytes) {
        byte[] b64 = java.util.Base64.getEncoder().encode(bytes);
        return new StringBuilder(b64.length + 2).append('"')
                .append(new String(b64, java.nio.charset.StandardCharsets.ISO_8859_1)).append('"').toString();
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

    /** The message's JSON text; for a binary message, a JSON string of base64 (see the class). */
    public String data() {
        return data;
    }

    /** Null for a JSON message, {@value #BASE64} for a binary one. */
    public String encoding() {
        return encoding;
    }

    /** True for a binary message. */
    public boolean binary() {
        return encoding != null;
    }

    /**
     * A binary message's bytes, decoded from {@link #data()} (a new array on each call).
     *
     * @throws IllegalStateException for a JSON message
     */
    public byte[] bytes() {
        if (encoding == null) {
            throw new IllegalStateException("a JSON message: read data()");
        }
        return java.util.Base64.getDecoder().decode(data.substring(1, data.length() - 1));
    }

    /** Server publish time, epoch milliseconds. */
    public long ts() {
        return ts;
    }

    /**
     * An equal envelope (same fields, sharing their strings) whose {@link #encoded} computes each time and keeps
     * nothing. What an engine keeps in history: the envelope being delivered memoises its encodings for the
     * subscribers it is fanned out to and is then dropped, while history, which may hold it for an hour, holds only
     * its fields. A replay from history encodes once per replaying subscriber.
     */
    public Envelope withoutMemo() {
        return new Envelope(channel, offset, epoch, event, data, encoding, ts, null);
    }

    /**
     * Returns {@code codec.apply(this)}, computed at most about once per envelope and codec (every time on a
     * {@link #withoutMemo()} copy). The codec must be a constant (a static method reference or a singleton) for the
     * memo to hit.
     */
    @SuppressWarnings("unchecked")
    public <T> T encoded(Function<Envelope, T> codec) {
        Object[] m = memo;
        if (m == null) {
            return codec.apply(this);
        }
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
                && e.epoch.equals(epoch) && e.event.equals(event) && e.data.equals(data)
                && java.util.Objects.equals(e.encoding, encoding);
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
