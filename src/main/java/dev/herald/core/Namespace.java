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
 * @param slowConsumer    what happens to a subscriber that falls behind on its channels
 *                        ({@code herald.ns.<name>.slow-consumer})
 * @param conflateKey     with {@link SlowConsumer#CONFLATE}, what makes two envelopes the same thing so that only the
 *                        latest is kept: {@code channel} (one per channel), or {@code data.<member>} (one per value of
 *                        that top-level member of the data object, e.g. {@code data.symbol})
 *                        ({@code herald.ns.<name>.conflate-key})
 */
public record Namespace(String name, int historySize, Duration historyTtl, int maxMessageBytes,
                        boolean clientPublish, boolean presence, boolean joinLeave, SlowConsumer slowConsumer,
                        String conflateKey) {

    /** A namespace without presence and with the default slow-consumer policy ({@code disconnect}). */
    public Namespace(String name, int historySize, Duration historyTtl, int maxMessageBytes, boolean clientPublish) {
        this(name, historySize, historyTtl, maxMessageBytes, clientPublish, false, false);
    }

    /** A namespace with the default slow-consumer policy ({@code disconnect}). */
    public Namespace(String name, int historySize, Duration historyTtl, int maxMessageBytes, boolean clientPublish,
                     boolean presence, boolean joinLeave) {
        this(name, historySize, historyTtl, maxMessageBytes, clientPublish, presence, joinLeave,
                SlowConsumer.DISCONNECT, "channel");
    }

    /** A namespace without presence. */
    public Namespace(String name, int historySize, Duration historyTtl, int maxMessageBytes, boolean clientPublish,
                     SlowConsumer slowConsumer, String conflateKey) {
        this(name, historySize, historyTtl, maxMessageBytes, clientPublish, false, false, slowConsumer, conflateKey);
    }

    /** The namespace that has presence and join/leave on unless configured otherwise: {@code chat}. */
    public static final String CHAT = "chat";

    /** The settings each namespace may have, after {@code herald.ns.<name>.}. */
    public static final java.util.List<String> SETTINGS = java.util.List.of("history.size", "history.ttl",
            "max-message-bytes", "publish", "presence", "join-leave", "slow-consumer", "conflate-key");

    /**
     * What a subscriber that falls behind (more envelopes waiting than it takes) gets on a namespace's channels
     * (docs/protocol.md, "Slow consumers"). The same on every transport.
     */
    public enum SlowConsumer {
        /** Closed once {@code herald.subscriber.queue} items wait (WebSocket 1013, end of stream): the default. */
        DISCONNECT,
        /** The oldest waiting envelopes of the channel are dropped, and a {@link Gap} says which. */
        DROP_OLDEST,
        /** Only the latest waiting envelope per conflation key is kept; a {@link Gap} with {@code conflated}. */
        CONFLATE;

        /** Its name in settings and metrics: {@code disconnect}, {@code drop-oldest} or {@code conflate}. */
        public String wire() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }

        /** {@code disconnect}, {@code drop-oldest} or {@code conflate}. */
        public static SlowConsumer of(String name) {
            for (SlowConsumer p : values()) {
                if (p.wire().equals(name)) {
                    return p;
                }
            }
            throw new IllegalArgumentException(name + " is not disconnect, drop-oldest or conflate");
        }
    }

    /** The namespace part of a channel name: what comes before its first {@code :}, or null when it has none. */
    public static String of(String channel) {
        int colon = channel.indexOf(':');
        return colon > 0 ? channel.substring(0, colon) : null;
    }
}
