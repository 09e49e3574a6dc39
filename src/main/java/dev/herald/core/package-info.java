/**
 * The transport-neutral heart of Herald: the {@link dev.herald.core.Bus} that applications inject,
 * envelopes and their per-channel offsets, the {@link dev.herald.core.Broker} SPI that stores history and fans
 * messages out across nodes, and the {@link dev.herald.core.Subscriber} that stands for one connection.
 *
 * <p>Nothing here imports {@code jakarta.websocket}, {@code jakarta.servlet} or a Redis client: transports and
 * engines depend on this package, never the other way round.
 */
package dev.herald.core;
