package dev.herald.core;

import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * This node's subscribers, by channel. Receives every envelope from the {@link Broker} and offers it to each local
 * subscriber of its channel. Registers the node's interest in a channel with the broker when the channel gets its
 * first local subscriber, and withdraws it when the last one leaves.
 *
 * <p>Fan-out is split over {@link Lane}s, one per fan-out thread; a subscriber always belongs to the same lane. A
 * channel's subscribers are kept as one immutable {@link Roster} per lane: a publish hands each lane its roster (a
 * snapshot taken in offset order, under the broker's channel lock) without locking or copying; subscribing and
 * unsubscribing copy a chunk or two of one roster.
 */
final class Hub implements Broker.Listener {
    private final ConcurrentHashMap<String, Roster[]> channels = new ConcurrentHashMap<>();
    private final Broker broker;
    private final Lane[] lanes;
    private final PresenceManager presence;
    private final java.util.function.Predicate<String> joinLeave;

    Hub(Broker broker, Executor executor, int lanes) {
        this(broker, executor, lanes, PresenceManager.NONE, c -> false);
    }

    /**
     * @param joinLeave which channels have join/leave events: the node listens to those channels' presence events
     *                  (through {@code presence}) while it has subscribers there
     */
    Hub(Broker broker, Executor executor, int lanes, PresenceManager presence,
        java.util.function.Predicate<String> joinLeave) {
        this.presence = presence;
        this.joinLeave = joinLeave;
        this.broker = broker;
        this.lanes = new Lane[lanes];
        for (int i = 0; i < lanes; i++) {
            this.lanes[i] = new Lane(executor);
        }
    }

    @Override
    public void onMessage(Envelope envelope) {
        Roster[] byLane = channels.get(envelope.channel());
        if (byLane != null) {
            for (int i = 0; i < lanes.length; i++) {
                if (byLane[i].size() > 0) {
                    lanes[i].offer(envelope, byLane[i]);
                }
            }
        }
    }

    /** A join or leave from the engine: queued to the local subscribers of its channel that asked for events. */
    void onPresence(PresenceEvent event) {
        Roster[] byLane = channels.get(event.channel());
        if (byLane != null) {
            for (Roster roster : byLane) {
                for (Subscriber[] chunk : roster.chunks()) {
                    for (Subscriber s : chunk) {
                        s.presence(event);
                    }
                }
            }
        }
    }

    private int lane(Subscriber s) {
        return (int) Math.floorMod(s.id(), (long) lanes.length);
    }

    void add(String channel, Subscriber s) {
        int lane = lane(s);
        channels.compute(channel, (c, byLane) -> {
            if (byLane == null) {
                broker.subscribe(channel);
                if (joinLeave.test(channel)) {
                    presence.subscribe(channel);
                }
                byLane = new Roster[lanes.length];
                Arrays.fill(byLane, Roster.EMPTY);
            } else {
                byLane = byLane.clone();
            }
            byLane[lane] = byLane[lane].with(s);
            return byLane;
        });
    }

    void remove(String channel, Subscriber s) {
        int lane = lane(s);
        channels.computeIfPresent(channel, (c, byLane) -> {
            Roster next = byLane[lane].without(s);
            if (next == byLane[lane]) {
                return byLane;
            }
            if (total(byLane) == 1) {
                broker.unsubscribe(channel);
                if (joinLeave.test(channel)) {
                    presence.unsubscribe(channel);
                }
                return null;
            }
            Roster[] copy = byLane.clone();
            copy[lane] = next;
            return copy;
        });
    }

    private static int total(Roster[] byLane) {
        int n = 0;
        for (Roster roster : byLane) {
            n += roster.size();
        }
        return n;
    }

    int count(String channel) {
        Roster[] byLane = channels.get(channel);
        return byLane == null ? 0 : total(byLane);
    }

    java.util.Map<String, Integer> counts() {
        java.util.Map<String, Integer> counts = new java.util.HashMap<>();
        channels.forEach((channel, byLane) -> counts.put(channel, total(byLane)));
        return counts;
    }

    int channelCount() {
        return channels.size();
    }
}
