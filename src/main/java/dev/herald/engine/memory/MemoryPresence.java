package dev.herald.engine.memory;

import dev.herald.core.PresenceEntry;
import dev.herald.core.PresenceEvent;
import dev.herald.core.PresenceManager;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Presence for one node ({@link MemoryBroker#presence()}): each channel's entries in a map guarded by the channel's
 * own monitor, events emitted to the listener under that monitor, so a channel's events come in the order applied.
 * Nothing expires: a node's subscriptions leave when they end, and there is no other node to die. Thread-safe.
 */
public final class MemoryPresence implements PresenceManager {
    private final Map<String, Map<String, PresenceEntry>> channels = new ConcurrentHashMap<>();
    private volatile Listener listener = e -> { };

    @Override
    public void start(Listener listener) {
        this.listener = listener;
    }

    @Override
    public void join(String channel, PresenceEntry entry) {
        for (;;) {
            Map<String, PresenceEntry> entries = channels.computeIfAbsent(channel, c -> new LinkedHashMap<>());
            synchronized (entries) {
                if (channels.get(channel) != entries) {
                    continue; // emptied and removed meanwhile: take the new map
                }
                if (entries.putIfAbsent(entry.client(), entry) == null) {
                    listener.onPresence(new PresenceEvent(true, channel, entry));
                }
                return;
            }
        }
    }

    @Override
    public void leave(String channel, String client) {
        Map<String, PresenceEntry> entries = channels.get(channel);
        if (entries == null) {
            return;
        }
        synchronized (entries) {
            PresenceEntry gone = entries.remove(client);
            if (gone != null) {
                listener.onPresence(new PresenceEvent(false, channel, gone));
            }
            if (entries.isEmpty()) {
                channels.remove(channel, entries);
            }
        }
    }

    @Override
    public List<PresenceEntry> list(String channel) {
        Map<String, PresenceEntry> entries = channels.get(channel);
        if (entries == null) {
            return List.of();
        }
        synchronized (entries) {
            return List.copyOf(entries.values());
        }
    }

    @Override
    public void subscribe(String channel) {
    }

    @Override
    public void unsubscribe(String channel) {
    }
}
