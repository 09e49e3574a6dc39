package dev.herald.core;

/**
 * A subscription joined or left a channel whose namespace has join/leave events on. Queued, in order with the
 * envelopes, only to the subscriptions that asked for such events; it carries no offset and is never kept in history.
 *
 * @param join    true for {@code join}, false for {@code leave}
 * @param channel the channel
 * @param entry   the subscription that joined or left
 */
public record PresenceEvent(boolean join, String channel, PresenceEntry entry) implements Outbound {

    /** The wire name: {@code join} or {@code leave}. */
    public String type() {
        return join ? "join" : "leave";
    }
}
