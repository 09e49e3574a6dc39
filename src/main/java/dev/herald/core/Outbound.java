package dev.herald.core;

/**
 * Something queued for one {@link Subscriber}, in order: a published {@link Envelope}, a {@link Subscribed}
 * confirmation, a {@link Gap} signal, a {@link PresenceEvent}, or a transport-specific {@link Frame}. The {@link Transport} encodes each.
 */
public sealed interface Outbound permits Envelope, Subscribed, Gap, Frame, PresenceEvent {
}
