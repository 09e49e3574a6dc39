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
 */
public record Gap(String channel, long requested, long earliest, boolean reset, String epoch) implements Outbound {
}
