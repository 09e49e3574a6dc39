package dev.herald.protocol;

import dev.herald.core.Envelope;

/**
 * The envelope as JSON, identical on every transport:
 * {@code {"channel":…,"offset":…,"id":…,"event":…,"data":…,"ts":…}}. Computed once per publish through
 * {@link Envelope#encoded}.
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
        b.append("\"channel\":");
        JsonText.string(b, e.channel());
        b.append(",\"offset\":").append(e.offset()).append(",\"id\":");
        JsonText.string(b, e.id());
        b.append(",\"event\":");
        JsonText.string(b, e.event());
        return b.append(",\"data\":").append(e.data()).append(",\"ts\":").append(e.ts());
    }
}
