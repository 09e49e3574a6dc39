package dev.herald.core;

import java.time.Duration;

/**
 * The settings of one channel namespace: the channels whose name starts with {@code <name>:} (e.g. {@code chat:lobby}
 * is in {@code chat}). Declared by {@code herald.namespaces=chat,prices} and set by {@code herald.ns.<name>.<setting>}
 * (README, "Namespaces"); a setting not given takes the global one. Channels outside every declared namespace use the
 * global settings. Validated at start-up by {@link HeraldConfig}.
 *
 * @param name            the namespace: 1 to 64 of {@code A-Z a-z 0-9 _ . @ -}, starting with a letter or digit
 * @param historySize     messages kept per channel ({@code herald.ns.<name>.history.size})
 * @param historyTtl      age past which a message leaves history ({@code herald.ns.<name>.history.ttl})
 * @param maxMessageBytes the largest message accepted on the namespace's channels, at most the global
 *                        {@code herald.max-message-bytes} ({@code herald.ns.<name>.max-message-bytes})
 * @param clientPublish   whether clients may publish on its channels, as their capabilities allow ({@code true}), or
 *                        only the application's Java code ({@code false}: clients get {@code forbidden} whatever
 *                        their token) ({@code herald.ns.<name>.publish})
 * @param presence        whether every subscription of its channels is listed in their presence
 *                        ({@code herald.ns.<name>.presence}; default {@code true} for {@code chat}, else {@code false})
 * @param joinLeave       whether subscriptions that ask for them get {@code join}/{@code leave} events
 *                        ({@code herald.ns.<name>.join-leave}; default: as {@code presence}; needs {@code presence})
 */
public record Namespace(String name, int historySize, Duration historyTtl, int maxMessageBytes,
                        boolean clientPublish, boolean presence, boolean joinLeave) {

    /** A namespace without presence (as before presence existed). */
    public Namespace(String name, int historySize, Duration historyTtl, int maxMessageBytes, boolean clientPublish) {
        this(name, historySize, historyTtl, maxMessageBytes, clientPublish, false, false);
    }

    /** The namespace that has presence and join/leave on unless configured otherwise: {@code chat}. */
    public static final String CHAT = "chat";

    /** The settings each namespace may have, after {@code herald.ns.<name>.}. */
    public static final java.util.List<String> SETTINGS =
            java.util.List.of("history.size", "history.ttl", "max-message-bytes", "publish", "presence",
                    "join-leave");

    /** The namespace part of a channel name: what comes before its first {@code :}, or null when it has none. */
    public static String of(String channel) {
        int colon = channel.indexOf(':');
        return colon > 0 ? channel.substring(0, colon) : null;
    }
}
