package dev.herald.engine.memory;

import dev.herald.core.Broker;
import dev.herald.core.Envelope;
import dev.herald.core.Published;
import dev.herald.core.Retention;
import dev.herald.core.HeraldConfig;
import dev.herald.core.HistoryPage;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * A single-node {@link Broker}: each channel is an offset counter and a ring of its latest envelopes (a
 * {@link Stream}), guarded by the channel's own lock. A publish assigns the offset, appends to history and hands the
 * envelope to the node's listener under that lock, so listeners see each channel in offset order; the listener only
 * queues, so the lock is short.
 *
 * <p>History is bounded by count and by age per channel, and by bytes in all ({@code herald.memory.max-bytes}). The
 * broker estimates the heap each channel and each kept envelope takes ({@link Footprint}) and keeps the total in one
 * counter, updated under the channel's lock: no global lock on the publish path. When a publish takes the total past
 * the bound, that publishing thread (one at a time; the others go on publishing) evicts until the total is 10% under
 * the bound:
 * <ol>
 *   <li>whole channels with no subscriber on this node, the oldest last publish first: the channel is forgotten, so
 *   its next use starts a new epoch at offset 1 and a client resuming there gets the reset gap;</li>
 *   <li>only if that is not enough, the history of channels that do have subscribers here, again the oldest last
 *   publish first. Those keep their epoch and offsets (their subscribers are live and must go on seeing offsets
 *   grow by one), so a client resuming there gets an ordinary gap: nothing kept after what it asked for.</li>
 * </ol>
 * The order is exact at the moment of the scan, which costs one pass over the channels and a sort of the candidates
 * per eviction round; as a round frees a tenth of the bound, that is a few entries per publish. Publishing never
 * fails for want of memory: only history is given up. If even that cannot bring the total under the bound (say
 * channels with subscribers and nothing left to evict), the next round waits until the total has grown by a
 * sixteenth of the bound, or the next sweep. The first time the bound is reached, one WARN line is logged.
 *
 * <p>Each channel gets an epoch when it is created. Channels created between two removals share one epoch string
 * (an epoch only has to differ from the one the channel had before it was forgotten). A channel with no local
 * interest and nothing left in history is forgotten by {@link #sweep()}, and if it is used again it starts a new
 * epoch at offset 1. Everything is lost when the process stops; use the Redis engine to keep history across
 * restarts and nodes.
 */
public final class MemoryBroker implements Broker {
    private static final System.Logger LOG = System.getLogger(MemoryBroker.class.getName());
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz".toCharArray();

    private final Retention retention;
    private final long maxBytes;
    private final Clock clock;
    private final long idempotencyWindowMillis;
    private final Map<String, Stream> streams = new ConcurrentHashMap<>();
    /** Bytes accounted for all streams ({@link Stream#bytes}), changed under each stream's lock. */
    private final AtomicLong held = new AtomicLong();
    private final AtomicLong evicted = new AtomicLong();
    private final AtomicBoolean evicting = new AtomicBoolean();
    private final AtomicBoolean warned = new AtomicBoolean();
    /** After a round that could not get under the bound: no new round until {@link #held} passes this. */
    private volatile long retryAbove;
    /** Streams removed so far; incremented before each removal, so a stream created later sees a new value. */
    private final AtomicLong removals = new AtomicLong();
    private volatile Epoch epoch = new Epoch(0, newEpoch());
    private volatile Listener listener = e -> { };
    private ScheduledExecutorService sweeper;

    /** A broker bounded by the default of {@code herald.memory.max-bytes} (25% of the maximum heap). */
    public MemoryBroker(int historySize, Duration historyTtl, Clock clock) {
        this(historySize, historyTtl, HeraldConfig.defaults().memoryMaxBytes(), clock);
    }

    /**
     * @param historySize messages kept per channel
     * @param historyTtl  age past which a message leaves history
     * @param maxBytes    bytes of heap, as estimated, that channels and history may take in all before eviction
     * @param clock       gives publish times for age and eviction order
     */
    public MemoryBroker(int historySize, Duration historyTtl, long maxBytes, Clock clock) {
        this(historySize, historyTtl, maxBytes, DEFAULT_IDEMPOTENCY_WINDOW, clock);
    }

    /** The default of {@code herald.idempotency.window}: 2 minutes. */
    public static final Duration DEFAULT_IDEMPOTENCY_WINDOW = Duration.ofMinutes(2);

    /**
     * @param historySize       messages kept per channel
     * @param historyTtl        age past which a message leaves history
     * @param maxBytes          bytes of heap, as estimated, that channels, history and idempotency keys may take in
     *                          all before eviction
     * @param idempotencyWindow how long a publish's idempotency key is remembered, from that publish
     * @param clock             gives publish times for age and eviction order
     */
    public MemoryBroker(int historySize, Duration historyTtl, long maxBytes, Duration idempotencyWindow,
                        Clock clock) {
        this(Retention.fixed(historySize, historyTtl), maxBytes, idempotencyWindow, clock);
    }

    /**
     * @param retention         history size and age per channel (by namespace: {@link HeraldConfig#retention()})
     * @param maxBytes          bytes of heap, as estimated, that channels, history and idempotency keys may take in
     *                          all before eviction
     * @param idempotencyWindow how long a publish's idempotency key is remembered, from that publish
     * @param clock             gives publish times for age and eviction order
     */
    public MemoryBroker(Retention retention, long maxBytes, Duration idempotencyWindow, Clock clock) {
        this.idempotencyWindowMillis = idempotencyWindow.toMillis();
        this.retention = retention;
        this.maxBytes = maxBytes;
        this.clock = clock;
    }

    /** Takes the listener and starts sweeping expired history once a minute. */
    @Override
    public void start(Listener listener) {
        this.listener = listener;
        sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "herald-memory-sweep");
            t.setDaemon(true);
            return t;
        });
        sweeper.scheduleWithFixedDelay(this::sweep, 1, 1, TimeUnit.MINUTES);
    }

    /**
     * Evicts history (see the class) if this publish takes the total past the bound; never fails for memory. An
     * idempotency key is remembered with its channel for the window (accounted like history, and given up with it).
     */
    @Override
    public Published publish(String channel, String event, String data, String encoding, long ts,
                             String idempotencyKey) {
        long now = clock.millis();
        Published published = locked(channel, s -> {
            if (idempotencyKey != null) {
                held.addAndGet(s.forgetKeys(now - idempotencyWindowMillis));
                Envelope first = s.replay(idempotencyKey);
                if (first != null) {
                    return new Published(first, true);
                }
            }
            Envelope e = new Envelope(s.channel, ++s.latest, s.epoch, s.share(event), data, encoding, ts);
            s.lastPublish = now;
            held.addAndGet(s.append(e.withoutMemo(), s.historySize) + s.expire(now - s.ttlMillis));
            if (idempotencyKey != null) {
                held.addAndGet(s.remember(idempotencyKey, e.withoutMemo(), now));
            }
            listener.onMessage(e);
            return new Published(e, false);
        });
        if (held.get() > maxBytes) {
            evict();
        }
        return published;
    }

    /** Does not create the channel: reading a channel that nobody uses costs nothing. */
    @Override
    public HistoryPage history(String channel, long since, int limit) {
        for (;;) {
            Stream s = streams.get(channel);
            if (s == null) {
                return new HistoryPage(channel, currentEpoch(), null, 0, List.of());
            }
            synchronized (s) {
                if (!s.removed) {
                    return page(s, since, limit);
                }
            }
        }
    }

    private HistoryPage page(Stream s, long since, int limit) {
        held.addAndGet(s.expire(clock.millis() - s.ttlMillis));
        Long earliest = s.size() == 0 ? null : s.get(0).offset();
        List<Envelope> page = new ArrayList<>();
        if (limit > 0 && earliest != null && since < s.latest) {
            long skip = Math.max(0, since + 1 - earliest);
            for (long i = skip; i < s.size() && page.size() < limit; i++) {
                page.add(s.get((int) i));
            }
        }
        return new HistoryPage(s.channel, s.epoch, earliest, s.latest, page);
    }

    @Override
    public void subscribe(String channel) {
        locked(channel, s -> ++s.interest);
    }

    @Override
    public void unsubscribe(String channel) {
        locked(channel, s -> --s.interest);
    }

    /** Bytes held (estimated), the bound, channels held, and channels whose history was evicted since the start. */
    @Override
    public Usage usage() {
        return new Usage(Math.max(0, held.get()), maxBytes, streams.size(), evicted.get());
    }

    /** Runs {@code action} holding the channel's lock, on a stream that is not removed; creates the stream if need be. */
    private <T> T locked(String channel, Function<Stream, T> action) {
        for (;;) {
            Stream s = streams.computeIfAbsent(channel, c -> {
                Stream created = new Stream(c, currentEpoch(), clock.millis(), retention.historySize(c),
                        retention.historyTtl(c).toMillis());
                held.addAndGet(created.bytes);
                return created;
            });
            synchronized (s) {
                if (!s.removed) {
                    return action.apply(s);
                }
            }
        }
    }

    /** Forgets a stream; call holding its lock. Its next use creates a new stream with a new epoch. */
    private void remove(Stream s) {
        s.removed = true;
        removals.incrementAndGet(); // before the map removal, so that whoever creates it again sees a new count
        streams.remove(s.channel, s);
        held.addAndGet(-s.bytes);
    }

    /** The epoch for a stream created now: shared with the others created since the last removal. */
    private String currentEpoch() {
        long r = removals.get();
        Epoch e = epoch;
        if (e.removals != r) {
            e = new Epoch(r, newEpoch());
            epoch = e;
        }
        return e.value;
    }

    /**
     * Drops expired history everywhere and forgets channels that nobody here subscribes to and whose history is
     * empty, then evicts if the total is still over the bound. Returns how many channels were forgotten. Call it
     * now and then (the broker does, once a minute, from {@link #start}).
     */
    public int sweep() {
        long now = clock.millis();
        int removed = 0;
        for (Stream s : streams.values()) {
            synchronized (s) {
                if (!s.removed) {
                    held.addAndGet(s.expire(now - s.ttlMillis));
                    if (s.interest <= 0 && s.size() == 0) {
                        remove(s);
                        removed++;
                    }
                }
            }
        }
        retryAbove = 0;
        if (held.get() > maxBytes) {
            evict();
        }
        return removed;
    }

    /** One eviction round (see the class), unless another thread runs one or the last could not help. */
    private void evict() {
        long total = held.get();
        if (total <= retryAbove || !evicting.compareAndSet(false, true)) {
            return;
        }
        try {
            if (warned.compareAndSet(false, true)) {
                LOG.log(System.Logger.Level.WARNING, "The memory engine reached herald.memory.max-bytes ({0} bytes, "
                        + "{1} channels): evicting the history of the channels idle longest. Raise the setting (and "
                        + "the heap) if that is too soon; GET /api/stats shows memory.evictedChannels.",
                        Long.toString(maxBytes), Integer.toString(streams.size()));
            }
            long target = maxBytes - maxBytes / 10;
            List<Candidate> idle = new ArrayList<>();
            List<Candidate> busy = new ArrayList<>();
            for (Stream s : streams.values()) {
                (s.interest > 0 ? busy : idle).add(new Candidate(s, s.lastPublish)); // racy reads: checked below
            }
            Comparator<Candidate> oldestFirst = Comparator.comparingLong(Candidate::lastPublish);
            idle.sort(oldestFirst);
            for (int i = 0; i < idle.size() && held.get() > target; i++) {
                Stream s = idle.get(i).stream;
                synchronized (s) {
                    if (!s.removed && s.interest <= 0) {
                        if (s.size() > 0) {
                            evicted.incrementAndGet();
                        }
                        remove(s);
                    }
                }
            }
            busy.sort(oldestFirst);
            for (int i = 0; i < busy.size() && held.get() > target; i++) {
                Stream s = busy.get(i).stream;
                synchronized (s) {
                    if (!s.removed && s.size() > 0) {
                        evicted.incrementAndGet();
                        held.addAndGet(s.clear());
                    }
                }
            }
            long after = held.get();
            retryAbove = after > maxBytes ? after + maxBytes / 16 : 0;
        } finally {
            evicting.set(false);
        }
    }

    private final MemoryPresence presence = new MemoryPresence();

    /** This node's presence record. */
    @Override
    public MemoryPresence presence() {
        return presence;
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
                sweeper.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        streams.clear();
        held.set(0);
    }

    static String newEpoch() {
        char[] c = new char[8];
        for (int i = 0; i < c.length; i++) {
            c[i] = ALPHABET[RANDOM.nextInt(ALPHABET.length)];
        }
        return new String(c);
    }

    /** The epoch given to streams created while {@link #removals} is {@code removals}. */
    private record Epoch(long removals, String value) {
    }

    /** A stream and its last publish time as read when the eviction round started. */
    private record Candidate(Stream stream, long lastPublish) {
    }
}
