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
 * channel's subscribers are kept as one copy-on-write array per lane: a publish hands each lane its array (a
 * snapshot taken in offset order, under the broker's channel lock) without locking or copying; subscribing and
 * unsubscribing copy one array.
 */
final class Hub implements Broker.Listener {
    private final ConcurrentHashMap<String, Subscriber[][]> channels = new ConcurrentHashMap<>();
    private final Broker broker;
    private final Lane[] lanes;

    Hub(Broker broker, Executor executor, int lanes) {
        this.broker = broker;
        this.lanes = new Lane[lanes];
        for (int i = 0; i < lanes; i++) {
            this.lanes[i] = new Lane(executor);
        }
    }

    @Override
    public void onMessage(Envelope envelope) {
        Subscriber[][] byLane = channels.get(envelope.channel());
        if (byLane != null) {
            for (int i = 0; i < lanes.length; i++) {
                if (byLane[i].length > 0) {
                    lanes[i].offer(envelope, byLane[i]);
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
                byLane = new Subscriber[lanes.length][];
                Arrays.fill(byLane, new Subscriber[0]);
            } else {
                byLane = byLane.clone();
            }
            Subscriber[] list = byLane[lane];
            Subscriber[] next = Arrays.copyOf(list, list.length + 1);
            next[list.length] = s;
            byLane[lane] = next;
            return byLane;
        });
    }

    void remove(String channel, Subscriber s) {
        int lane = lane(s);
        channels.computeIfPresent(channel, (c, byLane) -> {
            Subscriber[] list = byLane[lane];
            int i = Arrays.asList(list).indexOf(s);
            if (i < 0) {
                return byLane;
            }
            if (total(byLane) == 1) {
                broker.unsubscribe(channel);
                return null;
            }
            Subscriber[] next = new Subscriber[list.length - 1];
            System.arraycopy(list, 0, next, 0, i);
            System.arraycopy(list, i + 1, next, i, list.length - i - 1);
            Subscriber[][] copy = byLane.clone();
            copy[lane] = next;
            return copy;
        });
    }

    private static int total(Subscriber[][] byLane) {
        int n = 0;
        for (Subscriber[] list : byLane) {
            n += list.length;
        }
        return n;
    }

    int count(String channel) {
        Subscriber[][] byLane = channels.get(channel);
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
