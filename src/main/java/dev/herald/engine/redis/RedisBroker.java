package dev.herald.engine.redis;

import dev.herald.core.Broker;
import dev.herald.core.Envelope;
import dev.herald.core.ErrorCode;
import dev.herald.core.HeraldException;
import dev.herald.core.HistoryPage;
import dev.herald.core.Published;
import dev.herald.core.Retention;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.event.connection.ConnectionActivatedEvent;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A {@link Broker} on Redis, so that several Herald nodes serve one set of channels (docs/scaling.md). Each channel
 * is two keys sharing the hash tag {@code {herald:<channel>}}: {@code :meta}, a hash holding the epoch and the last
 * offset, and {@code :history}, a sorted set of the latest envelopes' JSON scored by offset. A publish is one Lua
 * script ({@code publish.lua}, beside this class) run with EVALSHA: it assigns the offset, appends, trims, refreshes
 * the keys' expiry and SPUBLISHes the envelope to the channel's shard channel {@code {herald:<channel>}:live}, in one
 * round trip and atomically. History is read by {@code history.lua}. Every key and the shard channel of a channel
 * share its hash tag, so on a Redis Cluster one master serves all of a channel and the scripts run there. Needs
 * Redis 7.0 or later (sharded pub/sub).
 *
 * <p><b>Connections and threads.</b> One command connection (shared by all callers; Lettuce pipelines their commands)
 * and one pub/sub connection ({@link RedisLink}; on a cluster, one per master). {@link #publish}, {@link #history}
 * and {@link #subscribe} block the calling thread for at most {@code herald.redis.timeout}; when Redis is not
 * connected they fail at once. Either way they throw {@link HeraldException} {@code unavailable}: never a hang. A
 * publish that timed out may still have been applied.
 *
 * <p><b>Live delivery.</b> {@link #subscribe} SSUBSCRIBEs the node to the channel's shard channel when the node's
 * first subscriber arrives and returns once Redis confirmed it, so that the history read that follows cannot miss a
 * message. Lettuce delivers one connection's pub/sub messages in order on its event loop thread; each is passed to
 * the {@link Listener} there, under the channel's own lock, dropping any whose offset was already delivered: in
 * offset order, one call at a time per channel. When a pub/sub connection reconnects, the subscriptions are made
 * again (by Lettuce on one server; by this broker, one SSUBSCRIBE per channel, on a cluster, where Lettuce's single
 * SSUBSCRIBE of every channel fails across slots); on each confirmation this broker reads the channel's history
 * after the last offset it delivered and delivers what it missed before the live messages that arrived meanwhile.
 * If Redis lost the channel (a restart without persistence), or came back with its offset behind one this node
 * already delivered (lost writes), the channel has a new epoch, and its envelopes carry it: the {@code Bus} tells
 * subscribers of the reset. An offset is never reused within an epoch.
 */
public final class RedisBroker implements Broker {
    private static final System.Logger LOG = System.getLogger(RedisBroker.class.getName());
    private static final char[] ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz".toCharArray();
    private static final String PREFIX = "{herald:";
    private static final String LIVE = "}:live";
    /** How much longer than its history a channel's offset and epoch are kept after its last publish. */
    private static final Duration META_GRACE = Duration.ofDays(1);
    private static final String PUBLISH = script("floor.lua") + script("publish.lua");
    private static final String HISTORY = script("floor.lua") + script("history.lua");

    private final RedisLink link;
    private final Retention retention;
    private final Duration timeout;
    private final Clock clock;
    private final String publishSha;
    private final String historySha;
    private final Map<String, Channel> channels = new ConcurrentHashMap<>();
    /**
     * Orders what this node sends about its subscriptions: SSUBSCRIBE of a first subscriber, SUNSUBSCRIBE of the
     * last, and the clean-up of a subscription no longer wanted, so that an SUNSUBSCRIBE never overtakes a later
     * SSUBSCRIBE of the same channel. Held only while sending, never while waiting for Redis, and never on Lettuce's
     * event loop.
     */
    private final ReentrantLock sending = new ReentrantLock();
    private final long idempotencyWindowMillis;
    private volatile Listener listener = e -> { };
    private volatile RedisPresence presence;

    private RedisBroker(RedisLink link, Retention retention, Duration idempotencyWindow, Duration timeout,
                        Clock clock) {
        this.link = link;
        this.idempotencyWindowMillis = idempotencyWindow.toMillis();
        this.retention = retention;
        this.timeout = timeout;
        this.clock = clock;
        // loaded now (on every master of a cluster), not on the first NOSCRIPT: publishes racing in before the
        // first EVAL landed would each pay a second round trip (EVALSHA, NOSCRIPT, EVAL); after a Redis restart,
        // run() still falls back to EVAL
        this.publishSha = await(link.scripts().scriptLoad(PUBLISH));
        this.historySha = await(link.scripts().scriptLoad(HISTORY));
        link.pubsub().addListener(new Dispatcher());
        this.presence = new RedisPresence(link, timeout, RedisPresence.DEFAULT_TTL);
        if (link.cluster()) {
            link.client().getResources().eventBus().get()
                    .filter(ConnectionActivatedEvent.class::isInstance)
                    .subscribe(e -> resubscribeAll());
        }
    }

    /**
     * Connects to one Redis server; as {@link #connect(String, boolean, int, Duration, Duration, Duration, Clock)}
     * with no cluster and no start-up wait.
     */
    public static RedisBroker connect(String url, int historySize, Duration historyTtl, Duration timeout,
                                      Clock clock) {
        return connect(url, false, historySize, historyTtl, timeout, Duration.ZERO, clock);
    }

    /**
     * Connects to Redis (both connections) and checks it answers; called once at start-up.
     *
     * @param urls        {@code redis://[user:password@]host:port[/db]}, or {@code rediss://} for TLS; several,
     *                    separated by commas, are the seeds of a Redis Cluster
     * @param cluster     whether a single URL is a Redis Cluster's seed ({@code herald.redis.cluster})
     * @param historySize messages kept per channel
     * @param historyTtl  age past which a message leaves history; also the idle time after which Redis drops the
     *                    history key
     * @param timeout     the longest a command may take (and connecting)
     * @param startupWait how long to keep trying while Redis cannot be reached ({@code herald.redis.startup-wait};
     *                    zero: fail at once)
     * @param clock       gives the time messages are aged against
     * @throws IllegalStateException with a one-line message if a URL is malformed or Redis cannot be reached
     */
    public static RedisBroker connect(String urls, boolean cluster, int historySize, Duration historyTtl,
                                      Duration timeout, Duration startupWait, Clock clock) {
        return connect(urls, cluster, historySize, historyTtl, DEFAULT_IDEMPOTENCY_WINDOW, timeout, startupWait, clock);
    }

    /** The default of {@code herald.idempotency.window}: 2 minutes. */
    public static final Duration DEFAULT_IDEMPOTENCY_WINDOW = Duration.ofMinutes(2);

    /**
     * As {@link #connect(String, boolean, int, Duration, Duration, Duration, Clock)}, remembering idempotency keys
     * for {@code idempotencyWindow} from their first publish ({@code herald.idempotency.window}).
     */
    public static RedisBroker connect(String urls, boolean cluster, int historySize, Duration historyTtl,
                                      Duration idempotencyWindow, Duration timeout, Duration startupWait,
                                      Clock clock) {
        return connect(urls, cluster, Retention.fixed(historySize, historyTtl), idempotencyWindow, timeout,
                startupWait, clock);
    }

    /**
     * As {@link #connect(String, boolean, int, Duration, Duration, Duration, Clock)}, with each channel's history
     * size and age from {@code retention} (by namespace: {@code HeraldConfig.retention()}).
     */
    public static RedisBroker connect(String urls, boolean cluster, Retention retention, Duration idempotencyWindow,
                                      Duration timeout, Duration startupWait, Clock clock) {
        List<RedisURI> uris = new ArrayList<>();
        for (String url : urls.split(",")) {
            try {
                uris.add(RedisURI.create(url.trim()));
            } catch (RuntimeException e) {
                throw new IllegalStateException("herald.redis.url is not a Redis URL (redis://host:port): "
                        + e.getMessage(), e);
            }
        }
        boolean isCluster = cluster || uris.size() > 1;
        try {
            RedisLink link = RedisLink.connect(uris, isCluster, timeout, startupWait);
            try {
                return new RedisBroker(link, retention, idempotencyWindow, timeout, clock);
            } catch (RuntimeException e) {
                link.close();
                throw e;
            }
        } catch (RuntimeException e) {
            throw new IllegalStateException("herald.engine=redis: cannot connect to Redis"
                    + (isCluster ? " Cluster" : "") + " at " + safe(uris) + ": " + rootMessage(e), e);
        }
    }

    @Override
    public void start(Listener listener) {
        this.listener = listener;
    }

    /**
     * Runs {@code publish.lua}: one round trip. Throws {@code unavailable} if Redis is not connected or does not
     * answer within {@code herald.redis.timeout}.
     */
    @Override
    public Published publish(String channel, String event, String data, String encoding, long ts,
                             String idempotencyKey) {
        StringBuilder tail = new StringBuilder(data.length() + event.length() + 72).append("\"event\":\"");
        escape(tail, event).append("\",\"ts\":").append(ts);
        if (encoding != null) {
            tail.append(",\"encoding\":\"").append(encoding).append('"');
        }
        tail.append(",\"data\":").append(data).append('}');
        String[] keys = idempotencyKey == null ? new String[] {meta(channel), history(channel)}
                : new String[] {meta(channel), history(channel), idempotency(channel, idempotencyKey)};
        String[] floor = floor(channel);
        long ttlMillis = retention.historyTtl(channel).toMillis();
        String[] args = {newEpoch(), tail.toString(), Integer.toString(retention.historySize(channel)),
                Long.toString(ttlMillis), Long.toString(ttlMillis + META_GRACE.toMillis()), live(channel),
                floor[0], floor[1], floor[2],
                Long.toString(idempotencyWindowMillis)};
        List<Object> result = run(PUBLISH, publishSha, keys, args);
        if (result.size() > 2) {
            return new Published(decode(channel, (String) result.get(2)), true);
        }
        return new Published(new Envelope(channel, (Long) result.get(0), (String) result.get(1), event, data,
                encoding, ts), false);
    }

    /** Runs {@code history.lua}: one round trip; drops the channel's entries older than the ttl first. */
    @Override
    public HistoryPage history(String channel, long since, int limit) {
        return page(channel, run(HISTORY, historySha, keys(channel), historyArgs(channel, since, limit)));
    }

    /**
     * The epoch, the last offset and the print ({@code <ts>:<bytes of data>}) of the last envelope this node
     * delivered on the channel ({@code "", "0", ""} when it knows none): the scripts ({@code floor.lua}) start a new
     * epoch when Redis holds that epoch behind it (Redis lost writes this node saw).
     */
    private String[] floor(String channel) {
        Channel c = channels.get(channel);
        return c == null ? NO_FLOOR : c.floor();
    }

    private static final String[] NO_FLOOR = {"", "0", ""};

    /**
     * SSUBSCRIBEs this node to the channel's envelopes when it is the first subscribe for the channel, and returns
     * once Redis confirmed it. Throws {@code unavailable} (and counts nothing) if Redis does not confirm in time.
     */
    @Override
    public void subscribe(String channel) {
        for (;;) {
            Channel c = channels.computeIfAbsent(channel, Channel::new);
            synchronized (c.interestLock) {
                if (c.removed) {
                    continue;
                }
                if (c.interest == 0) {
                    try {
                        RedisFuture<Void> confirmed;
                        sending.lock();
                        try {
                            confirmed = link.pubsub().async().ssubscribe(live(channel));
                        } finally {
                            sending.unlock();
                        }
                        await(confirmed);
                        // where the channel stands now: what a catch-up after a reconnect starts from
                        HistoryPage now = history(channel, Long.MAX_VALUE, 0);
                        c.seed(now.epoch(), now.latest());
                    } catch (HeraldException e) {
                        c.removed = true;
                        channels.remove(channel, c);
                        sunsubscribe(channel);
                        throw e;
                    }
                }
                c.interest++;
                return;
            }
        }
    }

    /** SUNSUBSCRIBEs when it is the last; does not wait for Redis (messages that still come are dropped). */
    @Override
    public void unsubscribe(String channel) {
        Channel c = channels.get(channel);
        if (c == null) {
            return;
        }
        synchronized (c.interestLock) {
            if (c.removed || --c.interest > 0) {
                return;
            }
            c.removed = true;
            channels.remove(channel, c);
        }
        sunsubscribe(channel);
    }

    /**
     * Sends SUNSUBSCRIBE unless the channel is wanted again by then; does not wait. If Redis is down, the
     * subscription Lettuce restores on reconnect is dropped when its confirmation arrives ({@link Dispatcher}).
     */
    private void sunsubscribe(String channel) {
        sending.lock();
        try {
            if (channels.containsKey(channel)) {
                return; // a new first subscriber: its SSUBSCRIBE is sent after this check
            }
            link.pubsub().async().sunsubscribe(live(channel)).exceptionally(e -> {
                LOG.log(System.Logger.Level.DEBUG, "unsubscribing from " + channel + " failed", e);
                return null;
            });
        } catch (RedisException e) {
            LOG.log(System.Logger.Level.DEBUG, "unsubscribing from " + channel + " failed", e);
        } finally {
            sending.unlock();
        }
    }

    /**
     * On a cluster, after any connection to it (re)connects: SSUBSCRIBE every wanted channel again, one command
     * each (Lettuce's own restore sends one SSUBSCRIBE for all of a master's channels, which Redis refuses when they
     * span slots). A channel already subscribed is confirmed again, which makes it catch up: harmless. Runs on
     * Lettuce's event bus thread.
     */
    private void resubscribeAll() {
        for (String channel : channels.keySet()) {
            resubscribe(channel);
        }
    }

    private void resubscribe(String channel) {
        sending.lock();
        try {
            if (channels.containsKey(channel)) {
                link.pubsub().async().ssubscribe(live(channel)).exceptionally(e -> {
                    LOG.log(System.Logger.Level.DEBUG, "subscribing to " + channel + " again failed", e);
                    return null;
                });
            }
        } catch (RedisException e) {
            LOG.log(System.Logger.Level.DEBUG, "subscribing to " + channel + " again failed", e);
        } finally {
            sending.unlock();
        }
    }

    /**
     * Redis' {@code used_memory} and {@code maxmemory} (-1 when it has none), -1 channels (Redis cannot tell the
     * channels with history without a scan), and Redis' {@code evicted_keys} (keys, not channels: a channel has
     * two). All -1 (and 0 evicted) if Redis does not answer. On a cluster, the sums over its masters.
     */
    @Override
    public Usage usage() {
        try {
            long used = 0;
            long max = 0;
            long evicted = 0;
            for (String info : link.info().get().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                used += Math.max(0, infoField(info, "used_memory"));
                long m = infoField(info, "maxmemory");
                max = max < 0 || m <= 0 ? -1 : max + m;
                evicted += Math.max(0, infoField(info, "evicted_keys"));
            }
            return new Usage(used, max <= 0 ? -1 : max, -1, evicted);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Usage.UNKNOWN;
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            return Usage.UNKNOWN;
        }
    }

    /** Not connected (both connections: commands and pub/sub), or no answer to a PING within the timeout. */
    @Override
    public String unreachable() {
        if (!link.connection().isOpen() || !link.pubsub().isOpen()) {
            return "Redis is not connected";
        }
        try {
            link.base().ping().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            return "Redis does not answer: " + rootMessage(e);
        }
    }

    /** Presence across nodes, on this broker's connections (see {@link RedisPresence}). */
    @Override
    public RedisPresence presence() {
        return presence;
    }

    /** For tests: presence whose entries expire {@code ttl} after their node's last refresh (15 s otherwise). */
    void presenceTtl(Duration ttl) {
        presence.close();
        presence = new RedisPresence(link, timeout, ttl);
    }

    @Override
    public void close() {
        presence.close();
        link.close();
    }

    // ---- pub/sub ----

    /** Lettuce's pub/sub callbacks, on the pub/sub connection's event loop thread, in the order Redis sent them. */
    private final class Dispatcher extends RedisPubSubAdapter<String, String> {
        @Override
        public void smessage(String liveChannel, String message) {
            String channel = channelOf(liveChannel);
            Channel c = channel == null ? null : channels.get(channel);
            if (c == null) {
                return;
            }
            Envelope e;
            try {
                e = decode(channel, message);
            } catch (RuntimeException ex) {
                LOG.log(System.Logger.Level.WARNING, "dropping a malformed message on " + liveChannel, ex);
                return;
            }
            c.offer(e);
        }

        /**
         * A first confirmation, or one after a reconnect (catch up). A channel no longer wanted (left while Redis was
         * down, and restored by Lettuce on reconnect) is unsubscribed, off this thread.
         */
        @Override
        public void ssubscribed(String liveChannel, long count) {
            String channel = channelOf(liveChannel);
            if (channel == null) {
                return;
            }
            Channel c = channels.get(channel);
            LOG.log(System.Logger.Level.DEBUG, "subscribed to " + liveChannel + (c == null ? " (no longer wanted)" : ""));
            if (c != null) {
                c.confirmed();
            } else {
                CompletableFuture.runAsync(() -> sunsubscribe(channel));
            }
        }

        /**
         * Redis ends a shard channel's subscriptions itself when its slot moves to another master: subscribe again
         * (Lettuce routes it to the new owner), off this thread; the confirmation makes the channel catch up.
         */
        @Override
        public void sunsubscribed(String liveChannel, long count) {
            String channel = channelOf(liveChannel);
            if (channel != null && channels.containsKey(channel)) {
                CompletableFuture.runAsync(() -> resubscribe(channel));
            }
        }
    }

    /**
     * A channel this node subscribes to: its interest count (guarded by {@link #interestLock}, held by the thread that
     * SUBSCRIBEs while it waits for Redis) and the last envelope delivered to the listener (guarded by the object
     * itself, taken on Lettuce's event loop: never held while waiting for Redis).
     */
    private final class Channel {
        private final String name;
        private final Object interestLock = new Object();
        private int interest;
        private volatile boolean removed;
        private boolean confirmedBefore;
        private String epoch;
        private long last;
        /** The last envelope delivered, or null (seeded from history: nothing delivered yet). */
        private Envelope lastDelivered;
        /**
         * Its print for {@link #floor} ({@code <ts>:<bytes of data>}), made at most once per envelope (by the first
         * publish or history read after it was delivered, not by each); null until then.
         */
        private String lastPrint;
        /** Epochs this channel had before the current one: their envelopes still in flight are dropped. */
        private final java.util.Set<String> retired = new java.util.LinkedHashSet<>();
        /** Live envelopes held back while a catch-up read runs; null when none runs. */
        private List<Envelope> held;

        Channel(String name) {
            this.name = name;
        }

        /** {epoch or "", last offset delivered}, for the scripts' check that Redis did not go back. */
        synchronized String[] floor() {
            if (epoch == null) {
                return NO_FLOOR;
            }
            if (lastDelivered == null || lastDelivered.offset() != last) {
                return new String[] {epoch, Long.toString(last), ""};
            }
            if (lastPrint == null) {
                lastPrint = lastDelivered.ts() + ":" + utf8Length(lastDelivered.data());
            }
            return new String[] {epoch, Long.toString(last), lastPrint};
        }

        /** Where the channel stood when the node subscribed, unless something was delivered since. */
        synchronized void seed(String epoch, long latest) {
            if (this.epoch == null) {
                this.epoch = epoch;
                this.last = latest;
            }
        }

        synchronized void offer(Envelope e) {
            if (held != null) {
                held.add(e);
            } else {
                deliver(e);
            }
        }

        /** Delivers unless already delivered; call holding this lock. */
        private void deliver(Envelope e) {
            if (e.epoch().equals(epoch) ? e.offset() <= last : retired.contains(e.epoch())) {
                return;
            }
            if (epoch != null && !e.epoch().equals(epoch)) {
                retired.add(epoch);
                if (retired.size() > 8) {
                    retired.remove(retired.iterator().next());
                }
            }
            epoch = e.epoch();
            last = e.offset();
            lastDelivered = e;
            lastPrint = null;
            listener.onMessage(e);
        }

        /** Redis confirmed a SUBSCRIBE: the first time, nothing to do; again (a reconnect), catch up. */
        void confirmed() {
            long since;
            String known;
            synchronized (this) {
                if (!confirmedBefore) {
                    confirmedBefore = true;
                    return;
                }
                if (removed || held != null || epoch == null) {
                    return; // not seeded yet: the subscribe that seeds it reads the channel after this
                }
                held = new ArrayList<>();
                since = last;
                known = epoch;
            }
            LOG.log(System.Logger.Level.INFO, "Redis confirmed the subscription to " + name + " again (a reconnect): "
                    + "catching up after offset " + since + " of epoch " + known);
            readAsync(name, since)
                    .thenCompose(page -> page.epoch().equals(known)
                            ? CompletableFuture.completedFuture(page) : readAsync(name, 0))
                    .whenComplete((page, failure) -> {
                        if (failure != null) {
                            LOG.log(System.Logger.Level.WARNING, "catching up on " + name + " after a Redis "
                                    + "reconnect failed; its subscribers may see a gap", failure);
                        }
                        synchronized (this) {
                            if (page != null) {
                                LOG.log(System.Logger.Level.INFO, "caught up on " + name + ": "
                                        + page.messages().size() + " messages of epoch " + page.epoch() + ", "
                                        + held.size() + " live ones held meanwhile");
                                page.messages().forEach(this::deliver);
                            }
                            List<Envelope> live = held;
                            held = null;
                            live.forEach(this::deliver);
                        }
                    });
        }
    }

    private CompletionStage<HistoryPage> readAsync(String channel, long since) {
        return runAsync(HISTORY, historySha, keys(channel), historyArgs(channel, since, retention.historySize(channel)))
                .thenApply(r -> page(channel, r));
    }

    // ---- commands ----

    private String[] historyArgs(String channel, long since, int limit) {
        String[] floor = floor(channel);
        long ttlMillis = retention.historyTtl(channel).toMillis();
        return new String[] {newEpoch(), Long.toString(since), Integer.toString(limit),
                Long.toString(clock.millis() - ttlMillis), Long.toString(ttlMillis + META_GRACE.toMillis()),
                floor[0], floor[1], floor[2]};
    }

    @SuppressWarnings("unchecked")
    private HistoryPage page(String channel, List<Object> r) {
        long earliest = (Long) r.get(2);
        List<Envelope> messages = new ArrayList<>();
        for (Object entry : (List<Object>) r.get(3)) {
            messages.add(decode(channel, (String) entry));
        }
        return new HistoryPage(channel, (String) r.get(0), earliest < 0 ? null : earliest, (Long) r.get(1),
                messages);
    }

    /** EVALSHA, or EVAL when Redis does not know the script (a restarted Redis); {@code unavailable} on failure. */
    private List<Object> run(String script, String sha, String[] keys, String[] args) {
        CompletableFuture<List<Object>> result;
        try {
            result = runAsync(script, sha, keys, args).toCompletableFuture();
        } catch (RedisException e) {
            throw unavailable(e);
        }
        return await(result);
    }

    /**
     * EVALSHA, then EVAL if Redis does not know the script (a restarted Redis, or a cluster master that never ran
     * it); on a cluster, Lettuce sends both to the master of the first key's slot.
     */
    private CompletionStage<List<Object>> runAsync(String script, String sha, String[] keys, String[] args) {
        RedisFuture<List<Object>> first = link.scripts().evalsha(sha, ScriptOutputType.MULTI, keys, args);
        return first
                .handle((r, e) -> e == null ? CompletableFuture.completedFuture(r)
                        : noScript(e) ? link.scripts().<List<Object>>eval(script, ScriptOutputType.MULTI, keys, args)
                        : CompletableFuture.<List<Object>>failedFuture(e))
                .thenCompose(stage -> stage);
    }

    private static boolean noScript(Throwable e) {
        Throwable t = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
        return t instanceof RedisNoScriptException;
    }

    /** The future's value within {@code herald.redis.timeout}, else {@code unavailable}. */
    private <T> T await(java.util.concurrent.Future<T> future) {
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unavailable(e);
        } catch (ExecutionException e) {
            throw unavailable(e.getCause());
        } catch (TimeoutException | RedisException e) {
            throw unavailable(e);
        }
    }

    private static HeraldException unavailable(Throwable cause) {
        return new HeraldException(ErrorCode.UNAVAILABLE, "Redis unavailable: " + rootMessage(cause), cause);
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
        return m.replaceAll("[\\r\\n]+", " ");
    }

    // ---- keys and encoding ----

    static String meta(String channel) {
        return PREFIX + channel + "}:meta";
    }

    static String history(String channel) {
        return PREFIX + channel + "}:history";
    }

    /** The key remembering a publish's idempotency key: the first envelope's JSON, for the window. */
    static String idempotency(String channel, String key) {
        return PREFIX + channel + "}:idem:" + key;
    }

    static String live(String channel) {
        return PREFIX + channel + LIVE;
    }

    private static String[] keys(String channel) {
        return new String[] {meta(channel), history(channel)};
    }

    private static String channelOf(String live) {
        return live.startsWith(PREFIX) && live.endsWith(LIVE)
                ? live.substring(PREFIX.length(), live.length() - LIVE.length()) : null;
    }

    /**
     * Reads what the publish script wrote: {@code {"offset":N,"epoch":"E","event":"V","ts":T,"data":D}}, in that
     * order, with {@code V} escaped by {@link #escape} and {@code D} compact JSON; a binary message has
     * {@code "encoding":"base64"} between {@code ts} and {@code data}.
     */
    static Envelope decode(String channel, String json) {
        int p = expect(json, 0, "{\"offset\":");
        int end = json.indexOf(',', p);
        long offset = Long.parseLong(json, p, end, 10);
        p = expect(json, end, ",\"epoch\":\"");
        end = json.indexOf('"', p);
        String epoch = json.substring(p, end);
        p = expect(json, end, "\",\"event\":\"");
        StringBuilder event = new StringBuilder();
        for (char c = json.charAt(p); c != '"'; c = json.charAt(p)) {
            if (c == '\\') {
                c = json.charAt(++p);
            }
            event.append(c);
            p++;
        }
        p = expect(json, p, "\",\"ts\":");
        end = json.indexOf(',', p);
        long ts = Long.parseLong(json, p, end, 10);
        String encoding = null;
        if (json.startsWith(BASE64_MEMBER, end)) {
            encoding = Envelope.BASE64;
            end += BASE64_MEMBER.length();
        }
        p = expect(json, end, ",\"data\":");
        return new Envelope(channel, offset, epoch, event.toString(), json.substring(p, json.length() - 1), encoding,
                ts);
    }

    private static final String BASE64_MEMBER = ",\"encoding\":\"" + Envelope.BASE64 + "\"";

    private static int expect(String json, int at, String literal) {
        if (!json.startsWith(literal, at)) {
            throw new IllegalArgumentException("not a Herald envelope at " + at + ": expected " + literal);
        }
        return at + literal.length();
    }

    /** Escapes {@code "} and {@code \}; an event name has no control characters ({@code Names.event}). */
    private static StringBuilder escape(StringBuilder b, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\');
            }
            b.append(c);
        }
        return b;
    }

    private static long infoField(String info, String name) {
        for (String line : info.split("\r?\n")) {
            if (line.startsWith(name + ":")) {
                return Long.parseLong(line.substring(name.length() + 1).trim());
            }
        }
        return -1;
    }

    private static String safe(List<RedisURI> uris) {
        return String.join(",", uris.stream().map(RedisBroker::safe).toList());
    }

    private static String safe(RedisURI uri) {
        return (uri.isSsl() ? "rediss://" : "redis://") + uri.getHost() + ":" + uri.getPort() + "/"
                + uri.getDatabase();
    }

    /** Bytes of {@code s} in UTF-8 (as Lua's {@code #} counts them), without encoding it. */
    static int utf8Length(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }

    /**
     * A candidate epoch, passed with every publish and history read and used only by the one that finds the channel
     * without one: unique enough (36^8) and not secret (every subscriber sees it), so no SecureRandom, whose global
     * lock and /dev/urandom reads cost 4-25 µs per call on the bench machine.
     */
    private static String newEpoch() {
        char[] c = new char[8];
        for (int i = 0; i < c.length; i++) {
            c[i] = ALPHABET[ThreadLocalRandom.current().nextInt(ALPHABET.length)];
        }
        return new String(c);
    }

    static String script(String name) {
        try (InputStream in = RedisBroker.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is missing beside " + RedisBroker.class.getName());
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
