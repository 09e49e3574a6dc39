package dev.herald.core;

/**
 * What the core tells operations tooling ({@code dev.herald.ops}: metrics, connection logs) as it works. The core
 * never depends on a metrics library: {@code dev.herald.ops} implements this interface and hands it to
 * {@link Bus#observe}. Every method has a no-op default, so an implementation overrides only what it counts.
 *
 * <p><b>Threads and cost.</b> Methods are called on the thread doing the work: a container thread (a request, a
 * WebSocket frame), a fan-out thread (deliveries, closes), the engine's threads never. They are called often
 * ({@link #delivered} once per envelope written to a connection), so an implementation must be thread-safe, must not
 * block, must not throw (a throw is caught and logged at DEBUG, and the work goes on) and should cost no more than a few
 * counter increments. Calls for one connection come in order ({@link #opened} first, {@link #closed} last).
 *
 * <p>{@code transport} is a {@link Transport#name()}: {@code ws}, {@code sse}, {@code poll}, {@code java}; for
 * publishes and refusals it is the caller's ({@code http} for the HTTP API).
 */
public interface Probe {
    /** Counts nothing. */
    Probe NONE = new Probe() {
    };

    /** A connection was registered ({@link Bus#connect}). */
    default void opened(String transport) {
    }

    /**
     * A connection ended.
     *
     * @param reason     why (a client that went away is {@link Disconnect#NORMAL}; a slow consumer is
     *                   {@link Disconnect#SLOW} or {@link Disconnect#WRITE_TIMEOUT})
     * @param openNanos  how long it was open, in nanoseconds
     * @param channels   how many channels it was subscribed to when it ended
     */
    default void closed(String transport, Disconnect reason, long openNanos, int channels) {
    }

    /** A publish was stored; {@code transport} is the publisher's ({@code http}, {@code ws}, {@code java}). */
    default void published(String transport, Envelope envelope) {
    }

    /** A publish was refused or failed with {@code code} (before or in the engine). */
    default void publishFailed(String transport, ErrorCode code) {
    }

    /**
     * An envelope was written to a connection (its write completed).
     *
     * @param latencyMillis now minus the envelope's {@code ts}: publish-to-write latency, in milliseconds
     */
    default void delivered(String transport, Envelope envelope, long latencyMillis) {
    }

    /** A subscription resumed from a position (WebSocket {@code since}, SSE {@code Last-Event-ID}, poll cursor). */
    default void resumed(String transport, String channel) {
    }

    /** A subscriber was told of a gap (history no longer held what it missed, or the stream was reset). */
    default void gap(String transport, Gap gap) {
    }

    /**
     * A subscription fell behind and its namespace's slow-consumer policy (docs/protocol.md, "Slow consumers") took
     * over: from now until the connection catches up, its live envelopes of the channel are held per key
     * ({@code conflate}) or by offset, the oldest dropped ({@code drop-oldest}); or a resume far behind on a
     * conflating channel has its replay conflated. Called under the subscription's lock on a fan-out or container
     * thread. (Under {@code disconnect} a slow connection is closed: {@link #closed} with {@link Disconnect#SLOW}.)
     *
     * @param policy {@link Namespace.SlowConsumer#DROP_OLDEST} or {@link Namespace.SlowConsumer#CONFLATE}
     */
    default void fellBehind(String transport, Namespace.SlowConsumer policy) {
    }

    /**
     * Envelopes a subscriber that fell behind will not be sent, by its channel's slow-consumer policy: dropped as the
     * oldest waiting ({@code drop-oldest}), or superseded by a later envelope of the same conflation key
     * ({@code conflate}). The subscriber is told by a {@link Gap} (conflated under {@code conflate}). Called once per
     * catch-up, when the connection's drain writes what was held (not once per envelope held), on the drain's thread;
     * what a connection closed while behind skipped is not counted.
     *
     * @param policy    {@link Namespace.SlowConsumer#DROP_OLDEST} or {@link Namespace.SlowConsumer#CONFLATE}
     * @param envelopes how many, at least 1
     */
    default void skipped(String transport, Namespace.SlowConsumer policy, int envelopes) {
    }

    /** The {@code Authorizer} refused an action with {@code unauthorized} or {@code forbidden}. */
    default void refused(String transport, ErrorCode code) {
    }

    /**
     * One call to the engine ({@link Broker}) returned or failed.
     *
     * @param operation {@code publish}, {@code history} or {@code subscribe}
     * @param nanos     how long it took
     * @param failure   the error code it failed with ({@code unavailable} when Redis is unreachable), or null
     */
    default void engine(String operation, long nanos, ErrorCode failure) {
    }
}
