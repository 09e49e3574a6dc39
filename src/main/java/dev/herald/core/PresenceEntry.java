package dev.herald.core;

/**
 * One subscription listed in a channel's presence (docs/protocol.md, "Presence").
 *
 * @param client the subscription's id, unique across nodes ({@code <node>-<connection>}); a subscription joins and
 *               leaves once under it
 * @param user   who subscribed: the token's subject when the connection is authenticated, else the id the client
 *               chose ({@link Names#presenceUser}), or null when it chose none
 * @param info   small JSON the client attached (compact text, at most {@link Names#MAX_PRESENCE_INFO} characters),
 *               or null
 */
public record PresenceEntry(String client, String user, String info) {
    public PresenceEntry {
        if (client == null || client.isEmpty()) {
            throw new IllegalArgumentException("client missing");
        }
    }
}
