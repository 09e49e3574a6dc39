package dev.herald.core;

import java.util.List;

/**
 * The engine's record of who is subscribed to each channel, beside the {@link Broker} that carries its messages
 * ({@link Broker#presence()}): {@code MemoryPresence} for one node, {@code RedisPresence} across nodes. Every
 * implementation passes the shared {@code PresenceContractTest}. Only channels whose namespace has
 * {@code herald.ns.<name>.presence=true} are recorded; the {@link Bus} decides that.
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li><b>Once</b>: a client id joins once and leaves once. {@link #join} of a listed client changes nothing and
 *   emits nothing; {@link #leave} of a client not listed emits nothing. So a leave event is emitted exactly once per
 *   join, whichever of an explicit leave or an expiry comes first, across nodes too.</li>
 *   <li><b>Expiry</b>: an engine with several nodes keeps each entry only while the node that joined it refreshes it
 *   (the Redis engine: every few seconds, entries expire 15 s after the last refresh); a dead node's entries leave,
 *   with their leave events, once expired.</li>
 *   <li><b>Events</b>: {@link Listener#onPresence} is called on every node that {@link #subscribe}d to the channel,
 *   for joins and leaves after that call; a channel's events in the order the engine applied them. At most once.</li>
 * </ul>
 *
 * <h2>Threading</h2>
 * All methods from any thread, concurrently. {@link #join}/{@link #leave} once per subscription of a presence
 * channel; {@link #list} per presence request; {@link #subscribe}/{@link #unsubscribe} once per channel per node when
 * its first subscriber arrives or its last leaves. The listener must not block. Engine failures surface as
 * {@link HeraldException} {@code unavailable}.
 */
public interface PresenceManager {

    /** Receives join and leave events of the channels this node subscribed to. Must not block. */
    @FunctionalInterface
    interface Listener {
        void onPresence(PresenceEvent event);
    }

    /** An engine without presence: lists nobody, emits nothing. */
    PresenceManager NONE = new PresenceManager() {
        @Override
        public void start(Listener listener) {
        }

        @Override
        public void join(String channel, PresenceEntry entry) {
        }

        @Override
        public void leave(String channel, String client) {
        }

        @Override
        public List<PresenceEntry> list(String channel) {
            return List.of();
        }

        @Override
        public void subscribe(String channel) {
        }

        @Override
        public void unsubscribe(String channel) {
        }
    };

    /** Called once, before any other method, with the node's listener. */
    void start(Listener listener);

    /** Lists the entry under the channel and emits a join, unless its client is already listed. */
    void join(String channel, PresenceEntry entry);

    /** Removes the client from the channel's list and emits a leave, if it was listed. */
    void leave(String channel, String client);

    /** The channel's entries (expired ones never), in no particular order. */
    List<PresenceEntry> list(String channel);

    /** This node starts receiving the channel's join/leave events. Counted: call {@link #unsubscribe} as often. */
    void subscribe(String channel);

    /** This node stops receiving the channel's events. */
    void unsubscribe(String channel);
}
