package dev.herald.core;

/**
 * Tells a resuming subscriber that part of what it asked for is no longer in history.
 *
 * @param channel   the channel
 * @param requested the first offset the subscriber asked for ({@code since + 1})
 * @param earliest  the offset delivery continues from: the oldest one still kept (or the next to come)
 * @param reset     true when the channel's stream was reset (a new epoch, e.g. after a restart of an in-memory
 *                  server): offsets start again and the subscriber must forget the ones it has seen
 * @param epoch     the channel's current epoch
 * @param conflated true when the offsets were skipped on purpose for a subscriber that fell behind on a channel whose
 *                  namespace conflates ({@code herald.ns.<name>.slow-consumer=conflate}): newer envelopes replaced
 *                  them, nothing the subscriber needs is lost (docs/protocol.md, "Slow consumers")
 */
public record Gap(String channel, long requested, long earliest, boolean reset, String epoch, boolean conflated)
        implements Outbound {

    /** A gap of lost offsets (or a reset), not a conflation. */
    public Gap(String channel, long requested, long earliest, boolean reset, String epoch) {
        this(channel, requested, earliest, reset, epoch, false);
    }
}
