package dev.herald.core;

/**
 * What a publish gave: the envelope every subscriber receives, and whether it is a replay. A publish with an
 * idempotency key already used on the channel within {@code herald.idempotency.window} publishes nothing new: it
 * answers the first publish's envelope (same offset, id, event, data and time), with {@code replayed} true
 * (docs/protocol.md, "Idempotent publish").
 *
 * @param envelope the envelope published, or the first one published with the key
 * @param replayed true when nothing was published because the key was used already
 */
public record Published(Envelope envelope, boolean replayed) {
}
