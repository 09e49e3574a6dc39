package dev.herald.protocol;

import dev.herald.core.PresenceEntry;
import dev.herald.core.PresenceEvent;
import java.util.List;

/**
 * Presence on the wire (docs/protocol.md, "Presence"): an entry is {@code {"client":…,"user":…,"info":{…}}}
 * ({@code user} and {@code info} only when present); a join or leave is the entry's members after
 * {@code "channel":…}; a list is {@code [entries]}.
 */
public final class PresenceJson {
    private PresenceJson() {
    }

    /** Appends the entry's members (without braces). */
    public static StringBuilder fields(StringBuilder b, PresenceEntry e) {
        b.append("\"client\":");
        JsonText.string(b, e.client());
        if (e.user() != null) {
            b.append(",\"user\":");
            JsonText.string(b, e.user());
        }
        if (e.info() != null) {
            b.append(",\"info\":").append(e.info()); // compact JSON, checked by Names.presenceInfo
        }
        return b;
    }

    /** {@code [{"client":…,…},…]}. */
    public static StringBuilder list(StringBuilder b, List<PresenceEntry> entries) {
        b.append('[');
        for (int i = 0; i < entries.size(); i++) {
            fields(b.append(i == 0 ? "{" : ",{"), entries.get(i)).append('}');
        }
        return b.append(']');
    }

    /** The event's members (without braces): {@code "channel":…,"client":…,"user":…,"info":…}. */
    public static StringBuilder event(StringBuilder b, PresenceEvent e) {
        b.append("\"channel\":");
        JsonText.string(b, e.channel()).append(',');
        return fields(b, e.entry());
    }

    /** {@code {"channel":…,"client":…,…}}: the data of the SSE events {@code herald-join}/{@code herald-leave}. */
    public static String of(PresenceEvent e) {
        return event(new StringBuilder(128).append('{'), e).append('}').toString();
    }
}
