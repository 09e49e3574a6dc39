package dev.herald.core;

import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

/**
 * This node's subscribers, by channel. Receives every envelope from the {@link Broker} and offers it to each local
 * subscriber of its channel. Registers the node's interest in a channel with the broker when the channel gets its
 * first local subscriber, and withdraws it when the last one leaves.
 *
 * <p>Subscriber lists are copy-on-write arrays: fan-out iterates a plain array without locking; subscribing and
 * unsubscribing copy it.
 */
final class Hub implements Broker.Listener {
    private static final Subscriber[] NONE = new Subscriber[0];
    private final ConcurrentHashMap<String, Subscriber[]> channels = new ConcurrentHashMap<>();
    private final Broker broker;

    Hub(Broker broker) {
        this.broker = broker;
    }

    @Override
    public void onMessage(Envelope envelope) {
        Subscriber[] subscribers = channels.get(envelope.channel());
        if (subscribers != null) {
            for (Subscriber s : subscribers) {
                s.deliver(envelope);
            }
        }
    }

    void add(String channel, Subscriber s) {
        channels.compute(channel, (c, list) -> {
            if (list == null) {
                broker.subscribe(channel);
                return new Subscriber[] {s};
            }
            Subscriber[] next = Arrays.copyOf(list, list.length + 1);
            next[list.length] = s;
            return next;
        });
    }

    void remove(String channel, Subscriber s) {
        channels.computeIfPresent(channel, (c, list) -> {
            int i = Arrays.asList(list).indexOf(s);
            if (i < 0) {
                return list;
            }
            if (list.length == 1) {
                broker.unsubscribe(channel);
                return null;
            }
            Subscriber[] next = new Subscriber[list.length - 1];
            System.arraycopy(list, 0, next, 0, i);
            System.arraycopy(list, i + 1, next, i, list.length - i - 1);
            return next;
        });
    }

    int count(String channel) {
        return channels.getOrDefault(channel, NONE).length;
    }

    int channelCount() {
        return channels.size();
    }
}
