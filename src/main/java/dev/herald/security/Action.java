package dev.herald.security;

import java.util.Locale;

/**
 * What a caller wants to do with a channel; the actions a capability grants (docs/security.md, "Capabilities").
 * On the wire (capability JSON) each is its lower-case name.
 */
public enum Action {
    /** Receive a channel's messages, on any transport, including the replay of a resume ({@code since}). */
    SUBSCRIBE,
    /** Publish on a channel. */
    PUBLISH,
    /** Read a channel's history through the HTTP API ({@code GET …/messages}). */
    HISTORY,
    /** See who is there: the channel's position and subscriber count ({@code GET …/channels/{channel}}). */
    PRESENCE;

    /** The name in capability JSON: {@code subscribe}, {@code publish}, {@code history}, {@code presence}. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The action named {@code wire}, or null for an unknown name. */
    public static Action of(String wire) {
        for (Action a : values()) {
            if (a.wire().equals(wire)) {
                return a;
            }
        }
        return null;
    }
}
