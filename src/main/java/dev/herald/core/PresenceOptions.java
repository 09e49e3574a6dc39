package dev.herald.core;

/**
 * What a subscription asks of presence (docs/protocol.md, "Presence"): given by the transport from the WebSocket
 * subscribe frame's {@code presence}, {@code user} and {@code info}, or the SSE/long-poll query parameters of the
 * same names.
 *
 * @param events whether the subscription gets {@code join}/{@code leave} events (channels with join-leave on only)
 * @param listed whether the subscription is listed in the channel's presence (channels with presence on only):
 *               WebSocket and SSE yes; a long-poll request no, as each poll is a connection of its own
 * @param user   the id the client chose, unchecked (checked by the {@link Bus}); ignored when the connection is
 *               authenticated, whose token's subject is used instead; null for none
 * @param info   small JSON object text the client attached, unchecked; null for none
 */
public record PresenceOptions(boolean events, boolean listed, String user, String info) {
    /** A subscription that is listed and asks for no events, with no id or info of its own. */
    public static final PresenceOptions LISTED = new PresenceOptions(false, true, null, null);
    /** Neither listed nor told: in-process subscriptions. */
    public static final PresenceOptions NONE = new PresenceOptions(false, false, null, null);
}
