package dev.herald.ops;

import dev.herald.core.Disconnect;
import dev.herald.core.Envelope;
import dev.herald.core.ErrorCode;
import dev.herald.core.Gap;
import dev.herald.core.Namespace;
import dev.herald.core.Probe;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The {@link Probe} Herald's core reports to: keeps the few running totals the INFO summary line and the admin page
 * show, logs each connection's open and close at DEBUG, and hands every event on to the metrics ({@code next},
 * {@link Probe#NONE} without Micrometer or with {@code herald.metrics=false}). Thread-safe and lock-free: adders and
 * concurrent maps only; called on container and fan-out threads.
 */
public final class OpsProbe implements Probe {
    private static final System.Logger LOG = System.getLogger("dev.herald.ops.connections");
    /** Most channels whose publishes are counted between two admin snapshots (the busiest are kept). */
    static final int MAX_CHANNELS = 10_000;

    private final Probe next;
    final LongAdder publishes = new LongAdder();
    final LongAdder publishErrors = new LongAdder();
    final LongAdder deliveries = new LongAdder();
    final LongAdder slow = new LongAdder();
    final LongAdder refused = new LongAdder();
    final LongAdder opened = new LongAdder();
    final LongAdder closed = new LongAdder();
    final LongAdder engineErrors = new LongAdder();
    /** Publishes per channel since the last {@link #takeChannelCounts}. */
    private final ConcurrentHashMap<String, LongAdder> channelPublishes = new ConcurrentHashMap<>();
    /** Slow-consumer disconnects by transport, since the start. */
    final ConcurrentHashMap<String, LongAdder> slowByTransport = new ConcurrentHashMap<>();

    public OpsProbe(Probe next) {
        this.next = next;
    }

    @Override
    public void opened(String transport) {
        opened.increment();
        LOG.log(System.Logger.Level.DEBUG, () -> transport + " connection opened");
        next.opened(transport);
    }

    @Override
    public void closed(String transport, Disconnect reason, long openNanos, int channels) {
        closed.increment();
        if (reason != null && (reason.equals(Disconnect.SLOW) || reason.equals(Disconnect.WRITE_TIMEOUT))) {
            slow.increment();
            slowByTransport.computeIfAbsent(transport, t -> new LongAdder()).increment();
        }
        LOG.log(System.Logger.Level.DEBUG, () -> String.format(java.util.Locale.ROOT,
                "%s connection closed after %.3f s: %s (%d channels)", transport, openNanos / 1e9,
                reason == null ? "closed" : reason.code() + " " + reason.reason(), channels));
        next.closed(transport, reason, openNanos, channels);
    }

    @Override
    public void published(String transport, Envelope envelope) {
        if (envelope.channel().startsWith(dev.herald.core.Names.SYSTEM_PREFIX)) {
            next.published(transport, envelope); // the admin snapshots: counted in the metrics, not in the totals
            return;
        }
        publishes.increment();
        LongAdder n = channelPublishes.get(envelope.channel());
        if (n == null && channelPublishes.size() < MAX_CHANNELS) {
            n = channelPublishes.computeIfAbsent(envelope.channel(), c -> new LongAdder());
        }
        if (n != null) {
            n.increment();
        }
        next.published(transport, envelope);
    }

    @Override
    public void publishFailed(String transport, ErrorCode code) {
        publishErrors.increment();
        next.publishFailed(transport, code);
    }

    @Override
    public void delivered(String transport, Envelope envelope, long latencyMillis) {
        if (!envelope.channel().startsWith(dev.herald.core.Names.SYSTEM_PREFIX)) {
            deliveries.increment();
        }
        next.delivered(transport, envelope, latencyMillis);
    }

    @Override
    public void resumed(String transport, String channel) {
        next.resumed(transport, channel);
    }

    @Override
    public void gap(String transport, Gap gap) {
        next.gap(transport, gap);
    }

    @Override
    public void fellBehind(String transport, Namespace.SlowConsumer policy) {
        next.fellBehind(transport, policy);
    }

    @Override
    public void skipped(String transport, Namespace.SlowConsumer policy, int envelopes) {
        next.skipped(transport, policy, envelopes);
    }

    @Override
    public void refused(String transport, ErrorCode code) {
        refused.increment();
        next.refused(transport, code);
    }

    @Override
    public void engine(String operation, long nanos, ErrorCode failure) {
        if (failure != null) {
            engineErrors.increment();
        }
        next.engine(operation, nanos, failure);
    }

    /** Publishes per channel since the previous call, and starts counting afresh. */
    Map<String, Long> takeChannelCounts() {
        Map<String, Long> counts = new java.util.HashMap<>();
        for (var it = channelPublishes.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            it.remove();
            counts.put(e.getKey(), e.getValue().sum());
        }
        return counts;
    }
}
