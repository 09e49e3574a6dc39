package dev.herald.engine.memory;

import dev.herald.core.Broker;
import dev.herald.core.Envelope;
import dev.herald.core.HistoryPage;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A single-node {@link Broker}: each channel is an offset counter and a ring of its latest envelopes, guarded by the
 * channel's own lock. A publish assigns the offset, appends to history and hands the envelope to the node's listener
 * under that lock, so listeners see each channel in offset order; the listener only queues, so the lock is short.
 *
 * <p>History is bounded by count and by age. Each channel gets a random epoch when it is created; a channel with no
 * local interest and nothing left in history is forgotten by {@link #sweep()}, and if it is used again it starts a
 * new epoch at offset 1. Everything is lost when the process stops; use the Redis engine to keep history across
 * restarts and nodes.
 */
public final class MemoryBroker implements Broker {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz".toCharArray();

    private final int historySize;
    private final long ttlMillis;
    private final Clock clock;
    private final Map<String, Stream> streams = new ConcurrentHashMap<>();
    private volatile Listener listener = e -> { };
    private java.util.concurrent.ScheduledExecutorService sweeper;

    public MemoryBroker(int historySize, Duration historyTtl, Clock clock) {
        this.historySize = historySize;
        this.ttlMillis = historyTtl.toMillis();
        this.clock = clock;
    }

    /** Takes the listener and starts sweeping expired history once a minute. */
    @Override
    public void start(Listener listener) {
        this.listener = listener;
        sweeper = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "herald-memory-sweep");
            t.setDaemon(true);
            return t;
        });
        sweeper.scheduleWithFixedDelay(this::sweep, 1, 1, java.util.concurrent.TimeUnit.MINUTES);
    }

    @Override
    public Envelope publish(String channel, String event, String data, long ts) {
        return locked(channel, s -> {
            Envelope e = new Envelope(channel, ++s.latest, s.epoch, event, data, ts);
            s.history.addLast(e);
            if (s.history.size() > historySize) {
                s.history.removeFirst();
            }
            s.expire(clock.millis() - ttlMillis);
            listener.onMessage(e);
            return e;
        });
    }

    @Override
    public HistoryPage history(String channel, long since, int limit) {
        return locked(channel, s -> {
            s.expire(clock.millis() - ttlMillis);
            Long earliest = s.history.isEmpty() ? null : s.history.peekFirst().offset();
            List<Envelope> page = new ArrayList<>();
            if (limit > 0 && earliest != null && since < s.latest) {
                long skip = Math.max(0, since + 1 - earliest);
                Iterator<Envelope> it = s.history.iterator();
                for (long i = 0; i < skip; i++) {
                    it.next();
                }
                while (it.hasNext() && page.size() < limit) {
                    page.add(it.next());
                }
            }
            return new HistoryPage(channel, s.epoch, earliest, s.latest, page);
        });
    }

    @Override
    public void subscribe(String channel) {
        locked(channel, s -> ++s.interest);
    }

    @Override
    public void unsubscribe(String channel) {
        locked(channel, s -> --s.interest);
    }

    /** Runs {@code action} holding the channel's lock, on a stream that {@link #sweep} has not removed. */
    private <T> T locked(String channel, java.util.function.Function<Stream, T> action) {
        for (;;) {
            Stream s = streams.computeIfAbsent(channel, c -> new Stream(newEpoch()));
            synchronized (s) {
                if (!s.removed) {
                    return action.apply(s);
                }
            }
        }
    }

    /**
     * Drops expired history everywhere and forgets channels that nobody here subscribes to and whose history is
     * empty. Returns how many channels were forgotten. Call it now and then (the CDI producer does, every minute).
     */
    public int sweep() {
        long cutoff = clock.millis() - ttlMillis;
        int removed = 0;
        for (Map.Entry<String, Stream> entry : streams.entrySet()) {
            Stream s = entry.getValue();
            synchronized (s) {
                s.expire(cutoff);
                if (s.interest <= 0 && s.history.isEmpty()) {
                    s.removed = true;
                    streams.remove(entry.getKey(), s);
                    removed++;
                }
            }
        }
        return removed;
    }

    /** Channels currently known (with history, or subscribers on this node). */
    public int channelCount() {
        return streams.size();
    }

    @Override
    public void close() {
        if (sweeper != null) {
            sweeper.shutdownNow();
            try {
                sweeper.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        streams.clear();
    }

    static String newEpoch() {
        char[] c = new char[8];
        for (int i = 0; i < c.length; i++) {
            c[i] = ALPHABET[RANDOM.nextInt(ALPHABET.length)];
        }
        return new String(c);
    }

    /** One channel. Guarded by its own monitor. */
    private static final class Stream {
        final String epoch;
        final ArrayDeque<Envelope> history = new ArrayDeque<>();
        long latest;
        int interest;
        boolean removed;

        Stream(String epoch) {
            this.epoch = epoch;
        }

        void expire(long cutoff) {
            while (!history.isEmpty() && history.peekFirst().ts() < cutoff) {
                history.removeFirst();
            }
        }
    }
}
