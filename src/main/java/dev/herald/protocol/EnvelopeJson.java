package dev.herald.protocol;

import dev.herald.core.Envelope;

/**
 * The envelope as JSON, identical on every transport:
 * {@code {"channel":…,"offset":…,"id":…,"event":…,"data":…,"ts":…}}, and for a binary message
 * {@code "encoding":"base64"} before {@code data}, which is then a JSON string of base64 (docs/protocol.md, "Binary
 * messages"). Computed once per publish through {@link Envelope#encoded}.
 */
public final class EnvelopeJson {
    private EnvelopeJson() {
    }

    /** The envelope's JSON object, shared by every subscriber. */
    public static String of(Envelope e) {
        return e.encoded(EnvelopeJson::encode);
    }

    private static String encode(Envelope e) {
        StringBuilder b = new StringBuilder(e.data().length() + e.channel().length() + e.event().length() + 96);
        return fields(b.append('{'), e).append('}').toString();
    }

    /** Appends the envelope's members (without braces), so frames can add their own first. */
    static StringBuilder fields(StringBuilder b, Envelope e) {
        identity(b, e);
        if (e.binary()) {
            b.append(",\"encoding\":\"").append(e.encoding()).append('"');
        }
        return b.append(",\"data\":").append(e.data()).append(",\"ts\":").append(e.ts());
    }

    /**
     * The envelope's members without {@code data} and {@code encoding}: {@code "channel":…,"offset":…,"id":…,
     * "event":…,"ts":…}, the header of a binary WebSocket frame.
     */
    static StringBuilder header(StringBuilder b, Envelope e) {
        return identity(b, e).append(",\"ts\":").append(e.ts());
    }

    /** {@code "channel":…,"offset":…,"id":…,"event":…}. */
    private static StringBuilder identity(StringBuilder b, Envelope e) {
        b.append("\"channel\":");
        JsonText.string(b, e.channel());
        b.append(",\"offset\":").append(e.offset()).append(",\"id\":");
        JsonText.string(b, e.id());
        b.append(",\"event\":");
        return JsonText.string(b, e.event());
    }
}
