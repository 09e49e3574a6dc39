package dev.herald.core;

/**
 * Queued first when a subscription starts, before any envelope of that channel.
 *
 * @param channel the channel
 * @param latest  the channel's latest offset when the subscription started (0 when it has no message yet)
 * @param epoch   the channel's current epoch: offsets compare only within one epoch
 * @param from    the offset after which this subscriber's envelopes follow (its resume position)
 * @param ref     the client's correlation string, or null
 */
public record Subscribed(String channel, long latest, String epoch, long from, String ref) implements Outbound {
}
