package dev.herald.core;

import java.util.List;

/**
 * A slice of one channel's history.
 *
 * @param channel  the channel
 * @param epoch    the channel's current epoch
 * @param earliest the oldest offset still kept, or null when nothing is kept
 * @param latest   the latest offset ever assigned in this epoch, 0 when none
 * @param messages envelopes with offset greater than the requested one, oldest first
 */
public record HistoryPage(String channel, String epoch, Long earliest, long latest, List<Envelope> messages) {
    public HistoryPage {
        messages = List.copyOf(messages);
    }
}
