package dev.herald.bench;

import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * What the subscribers received during one phase of a run: messages {@code base … base+capacity-1}. Counts each
 * message's first deliveries (so a closed loop can free its window when a message reached every subscriber), the
 * publish-to-receive latency in microseconds, and duplicates. Called from any client thread; lock-free.
 */
final class Phase {
    final long base;
    final int capacity;
    final int subscribers;
    /** Closed loop only: one permit per message that may be in flight; null in an open loop. */
    final Semaphore window;
    private final AtomicIntegerArray counts;
    private final Recorder latency = new Recorder(3);
    final LongAdder delivered = new LongAdder();
    final LongAdder duplicates = new LongAdder();
    final LongAdder publishErrors = new LongAdder();
    final LongAccumulator lastDelivery = new LongAccumulator(Math::max, Long.MIN_VALUE);

    Phase(long base, int capacity, int subscribers, Semaphore window) {
        this.base = base;
        this.capacity = capacity;
        this.subscribers = subscribers;
        this.window = window;
        this.counts = new AtomicIntegerArray(capacity);
    }

    /** True if {@code seq} belongs to this phase. */
    boolean owns(long seq) {
        return seq >= base && seq < base + capacity;
    }

    /** A first delivery of {@code seq} to one subscriber, due at {@code sentAt}, received at {@code now}. */
    void delivered(long seq, long sentAt, long now) {
        int reached = counts.incrementAndGet((int) (seq - base));
        if (reached == subscribers && window != null) {
            window.release();
        }
        delivered.increment();
        latency.recordValue(Math.max(0, (now - sentAt) / 1000));
        lastDelivery.accumulate(now);
    }

    /** The latencies recorded so far, in microseconds. Call once, at the end of the phase. */
    Histogram latency() {
        return latency.getIntervalHistogram();
    }
}
