package dev.herald.core;

import java.time.Duration;

/**
 * How much history a channel keeps, for the {@link Broker}: its namespace's {@code history.size} and
 * {@code history.ttl}, else the global ones ({@link HeraldConfig#retention()}). Called by an engine when it creates a
 * channel or appends to it, from any thread; must be cheap and always give the same answer for a channel.
 */
public interface Retention {

    /** Messages kept per channel, at least 1. */
    int historySize(String channel);

    /** The age past which a message of the channel leaves history; positive. */
    Duration historyTtl(String channel);

    /** The same for every channel. */
    static Retention fixed(int historySize, Duration historyTtl) {
        return new Retention() {
            @Override
            public int historySize(String channel) {
                return historySize;
            }

            @Override
            public Duration historyTtl(String channel) {
                return historyTtl;
            }
        };
    }
}
