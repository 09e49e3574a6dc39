package dev.herald.protocol;

import dev.herald.core.Gap;

/**
 * A gap as JSON (docs/protocol.md section 5): {@code "channel":…,"requested":…,"earliest":…}, plus
 * {@code "reset":true,"epoch":…} for a reset, and {@code "conflated":true} for offsets skipped by conflation. The same members on every transport: the WebSocket {@code gap} frame,
 * the SSE {@code herald-gap} event, the long-poll answer's {@code gaps}.
 */
public final class GapJson {
    private GapJson() {
    }

    /** The gap as a JSON object. */
    public static String of(Gap g) {
        return fields(new StringBuilder(96).append('{'), g).append('}').toString();
    }

    /** Appends the gap's members (without braces), so frames can add their own first. */
    public static StringBuilder fields(StringBuilder b, Gap g) {
        b.append("\"channel\":");
        JsonText.string(b, g.channel()).append(",\"requested\":").append(g.requested())
                .append(",\"earliest\":").append(g.earliest());
        if (g.reset()) {
            b.append(",\"reset\":true,\"epoch\":");
            JsonText.string(b, g.epoch());
        }
        if (g.conflated()) {
            b.append(",\"conflated\":true");
        }
        return b;
    }
}
