package dev.herald.core;

/**
 * The engine behind the {@link Bus}: assigns offsets, keeps each channel's bounded history, and delivers every
 * publish to every node that has subscribers for its channel. {@code MemoryBroker} serves one node; a Redis broker
 * lets several nodes share channels. Every implementation passes the shared {@code BrokerContractTest}.
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li><b>Offsets</b>: within an epoch, a channel's offsets start at 1 and grow by exactly 1 per publish; assigning
 *   the offset and appending to history are one atomic step.</li>
 *   <li><b>Ordering</b>: {@link Listener#onMessage} is called for a channel's envelopes in offset order, one call at
 *   a time per channel (calls for different channels may run concurrently).</li>
 *   <li><b>Delivery</b>: at most once per node, to nodes that called {@link #subscribe} for the channel before the
 *   publish. A subscriber that must not miss anything reads {@link #history} after subscribing, and drops the
 *   duplicates by offset; the {@link Bus} does exactly that.</li>
 * </ul>
 *
 * <h2>Threading</h2>
 * All methods are called from any thread, concurrently. {@link #publish} is called once per message and must not
 * block on subscribers; {@link #subscribe}/{@link #unsubscribe} once per channel per node when its first subscriber
 * arrives or its last one leaves; {@link #history} once per resuming subscription and per history request;
 * {@link #usage} when someone asks for the node's statistics ({@code GET /api/stats}).
 *
 * <h2>Memory</h2>
 * An engine bounds what it holds. When it must give history up to stay within its bound, it gives up whole
 * channels' history, those idle longest (no subscriber, oldest last publish) first, and such a channel starts a new
 * epoch (offsets from 1): a subscriber resuming there sees the reset {@link Gap}, never a silent hole. If it must
 * also take history from channels that have subscribers, those keep their epoch and offsets, and a resuming
 * subscriber sees an ordinary gap. Publishing goes on at the bound. {@link #usage} reports what is held and what
 * was given up, in the same terms for every engine.
 */
public interface Broker extends AutoCloseable {

    /** Receives the envelopes of the channels this node subscribed to. Must not block. */
    @FunctionalInterface
    interface Listener {
        void onMessage(Envelope envelope);
    }

    /** Called once, before any other method, with the node's listener. */
    void start(Listener listener);

    /**
     * Appends a message to the channel's stream and delivers it.
     *
     * @param data the message's JSON text
     * @param ts   publish time, epoch milliseconds
     * @return the envelope, with its offset and epoch
     */
    default Envelope publish(String channel, String event, String data, long ts) {
        return publish(channel, event, data, ts, null).envelope();
    }

    /**
     * Appends a message to the channel's stream and delivers it, once per idempotency key: if the key was used on
     * the channel within the engine's idempotency window ({@code herald.idempotency.window}, counted from the first
     * publish), nothing is appended or delivered and the first publish's envelope is returned as a replay. Checking
     * the key and appending are one atomic step, across nodes too (the Redis engine does both in its script). An
     * engine may forget keys early when it must free memory (its history bound), never within the window otherwise.
     *
     * @param data           the message's JSON text
     * @param ts             publish time, epoch milliseconds
     * @param idempotencyKey a key checked by {@code Names.idempotencyKey}, or null for none
     * @return the envelope and whether it is a replay
     */
    default Published publish(String channel, String event, String data, long ts, String idempotencyKey) {
        return publish(channel, event, data, null, ts, idempotencyKey);
    }

    /**
     * As {@link #publish(String, String, String, long, String)}, for a message with an encoding: the envelope keeps
     * {@code encoding} (in history too, and across nodes), so that a binary message is delivered and replayed as
     * binary (docs/protocol.md, "Binary messages").
     *
     * @param data     the message's JSON text; for {@code encoding} {@value Envelope#BASE64}, a JSON string of base64
     * @param encoding null (JSON) or {@value Envelope#BASE64}
     */
    Published publish(String channel, String event, String data, String encoding, long ts, String idempotencyKey);

    /**
     * Returns up to {@code limit} envelopes with offset greater than {@code since}, oldest first, with the stream's
     * bounds. Expired messages (past the configured age) are never returned.
     */
    HistoryPage history(String channel, long since, int limit);

    /** This node starts receiving the channel's envelopes. Counted: call {@link #unsubscribe} as often. */
    void subscribe(String channel);

    /** This node stops receiving the channel's envelopes. */
    void unsubscribe(String channel);

    /**
     * What the engine holds and what it gave up, for {@code GET /api/stats}. Cheap: no scan of the channels.
     * An engine that cannot tell a figure reports -1 for it.
     */
    default Usage usage() {
        return Usage.UNKNOWN;
    }

    /**
     * An engine's memory, as {@code GET /api/stats} reports it under {@code "memory"}. The memory engine estimates
     * the heap its channels and history take; a Redis engine would report Redis' own {@code used_memory},
     * {@code maxmemory} and evicted streams.
     *
     * @param bytes           bytes held for channels and history now (an estimate for the memory engine), or -1
     * @param maxBytes        the bound on {@code bytes} past which history is evicted, or -1 if there is none
     * @param channels        channels held (with history, or subscribers on this node), or -1
     * @param evictedChannels channels whose history was evicted to stay within {@code maxBytes} since the start
     */
    record Usage(long bytes, long maxBytes, long channels, long evictedChannels) {
        /** What an engine that reports nothing reports. */
        public static final Usage UNKNOWN = new Usage(-1, -1, -1, 0);
    }

    /**
     * Why the engine cannot serve right now, in one line, or null when it can: for {@code {ctx}/health/ready} (with
     * {@code herald.health.engine}) and the admin page. May take one round trip (Redis: a {@code PING}, within
     * {@code herald.redis.timeout}); called on each readiness probe and admin refresh, from any thread.
     */
    default String unreachable() {
        return null;
    }

    /**
     * The engine's presence record ({@link PresenceManager}), made with the broker and closed with it; the same
     * instance on every call. {@link PresenceManager#NONE} for an engine without presence.
     */
    default PresenceManager presence() {
        return PresenceManager.NONE;
    }

    /** Releases threads and connections. */
    @Override
    void close();
}
