package dev.herald.security;

import java.util.function.LongSupplier;

/**
 * A token bucket: holds up to {@code burst} tokens, refilled continuously at {@code rate} per second; each action
 * takes one. One per connection (publishes per WebSocket). Thread-safe; never blocks.
 */
public final class TokenBucket {
    private final double perNano;
    private final double burst;
    private final LongSupplier nanoTime;
    private double tokens;
    private long last;

    public TokenBucket(int ratePerSecond, int burst, LongSupplier nanoTime) {
        this.perNano = ratePerSecond / 1e9;
        this.burst = burst;
        this.nanoTime = nanoTime;
        this.tokens = burst;
        this.last = nanoTime.getAsLong();
    }

    /** Takes a token if one is there. */
    public synchronized boolean tryTake() {
        long now = nanoTime.getAsLong();
        tokens = Math.min(burst, tokens + (now - last) * perNano);
        last = now;
        if (tokens >= 1) {
            tokens -= 1;
            return true;
        }
        return false;
    }
}
