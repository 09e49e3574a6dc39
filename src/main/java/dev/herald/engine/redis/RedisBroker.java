package dev.herald.engine.redis;

import dev.herald.core.Broker;
import dev.herald.core.Envelope;
import dev.herald.core.ErrorCode;
import dev.herald.core.HeraldException;
import dev.herald.core.HistoryPage;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * A {@link Broker} on Redis, so that several Herald nodes serve one set of channels (docs/scaling.md). Each channel
 * is two keys sharing the hash tag {@code {herald:<channel>}}: {@code :meta}, a hash holding the epoch and the last
 * offset, and {@code :history}, a sorted set of the latest envelopes' JSON scored by offset. A publish is one Lua
 * script ({@code publish.lua}, beside this class) run with EVALSHA: it assigns the offset, appends, trims, refreshes
 * the keys' expiry and PUBLISHes the envelope to the channel's pub/sub channel {@code {herald:<channel>}:live}, in one
 * round trip and atomically. History is read by {@code history.lua}.
 *
 * <p><b>Connections and threads.</b> One command connection (shared by all callers; Lettuce pipelines their commands)
 * and one pub/sub connection. {@link #publish}, {@link #history} and {@link #subscribe} block the calling thread
 * for at most {@code herald.redis.timeout}; when Redis is not connected they fail at once. Either way they throw
 * {@link HeraldException} {@code unavailable}: never a hang. A publish that timed out may still have been applied.
 *
 * <p><b>Live delivery.</b> {@link #subscribe} SUBSCRIBEs the node to the channel's pub/sub channel when the node's
 * first subscriber arrives and returns once Redis confirmed it, so that the history read that follows cannot miss a
 * message. Lettuce delivers one connection's pub/sub messages in order on its event loop thread; each is passed to
 * the {@link Listener} there, under the channel's own lock, dropping any whose offset was already delivered: in
 * offset order, one call at a time per channel. When the pub/sub connection reconnects, Lettuce subscribes again;
 * on each confirmation this broker reads the channel's history after the last offset it delivered and delivers what
 * it missed before the live messages that arrived meanwhile. If Redis lost the channel (a restart without
 * persistence), the channel has a new epoch, and its envelopes carry it: the {@code Bus} tells subscribers of the
 * reset.
 */
public final class RedisBroker implements Broker {
    private static final System.Logger LOG = System.getLogger(RedisBroker.class.getName());
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz".toCharArray();
    private static final String PREFIX = "{herald:";
    private static final String LIVE = "}:live";
    /** How much longer than its history a channel's offset and epoch are kept after its last publish. */
    private static final Duration META_GRACE = Duration.ofDays(1);
    /** The least time start-up allows Redis to answer, whatever {@code herald.redis.timeout}. */
    private static final Duration STARTUP = Duration.ofSeconds(10);
    private static final String PUBLISH = script("publish.lua");
    private static final String HISTORY = script("history.lua");

    private final RedisClient client;
    private final StatefulRedisConnection<String, String> connection;
    private final StatefulRedisPubSubConnection<String, String> pubsub;
    private final int historySize;
    private final long ttlMillis;
    private final long metaTtlMillis;
    private final Duration timeout;
    private final Clock clock;
    private final String publishSha;
    private final String historySha;
    private final Map<String, Channel> channels = new ConcurrentHashMap<>();
    private volatile Listener listener = e -> { };

    private RedisBroker(RedisClient client, StatefulRedisConnection<String, String> connection,
                        StatefulRedisPubSubConnection<String, String> pubsub, int historySize, Duration historyTtl,
                        Duration timeout, Clock clock) {
        this.client = client;
        this.connection = connection;
        this.pubsub = pubsub;
        this.historySize = historySize;
        this.ttlMillis = historyTtl.toMillis();
        this.metaTtlMillis = historyTtl.plus(META_GRACE).toMillis();
        this.timeout = timeout;
        this.clock = clock;
        this.publishSha = connection.sync().digest(PUBLISH);
        this.historySha = connection.sync().digest(HISTORY);
        pubsub.addListener(new Dispatcher());
    }

    /**
     * Connects to Redis (both connections) and checks it answers; called once at start-up.
     *
     * @param url         {@code redis://[user:password@]host:port[/db]}, or {@code rediss://} for TLS
     * @param historySize messages kept per channel
     * @param historyTtl  age past which a message leaves history; also the idle time after which Redis drops the
     *                    history key
     * @param timeout     the longest a command may take (and connecting)
     * @param clock       gives the time messages are aged against
     * @throws IllegalStateException with a one-line message if the URL is malformed or Redis cannot be reached
     */
    public static RedisBroker connect(String url, int historySize, Duration historyTtl, Duration timeout,
                                      Clock clock) {
        RedisURI uri;
        try {
            uri = RedisURI.create(url);
        } catch (RuntimeException e) {
            throw new IllegalStateException("herald.redis.url is not a Redis URL (redis://host:port): "
                    + e.getMessage(), e);
        }
        uri.setTimeout(timeout);
        // reconnect soon after an outage (Lettuce's default backs off to 30 s): 50 ms doubling up to 1 s
        ClientResources resources = DefaultClientResources.builder()
                .reconnectDelay(Delay.exponential(Duration.ofMillis(50), Duration.ofSeconds(1), 2,
                        TimeUnit.MILLISECONDS))
                .build();
        RedisClient client = RedisClient.create(resources, uri);
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .socketOptions(SocketOptions.builder().connectTimeout(timeout).build())
                .timeoutOptions(TimeoutOptions.enabled(timeout))
                .build());
        StatefulRedisConnection<String, String> connection = null;
        try {
            connection = client.connect();
            awaitPing(connection, System.nanoTime() + Math.max(timeout.toNanos(), STARTUP.toNanos()));
            StatefulRedisPubSubConnection<String, String> pubsub = client.connectPubSub();
            return new RedisBroker(client, connection, pubsub, historySize, historyTtl, timeout, clock);
        } catch (RuntimeException e) {
            if (connection != null) {
                connection.close();
            }
            client.shutdown(0, 2, TimeUnit.SECONDS);
            resources.shutdown(0, 2, TimeUnit.SECONDS);
            throw new IllegalStateException("herald.engine=redis: cannot connect to Redis at " + safe(uri)
                    + ": " + rootMessage(e), e);
        }
    }

    /**
     * PING until Redis answers: a connection made on a busy machine may drop and reconnect once before it is ready.
     * Redis refusing the connection fails {@code connect} itself, at once.
     */
    private static void awaitPing(StatefulRedisConnection<String, String> connection, long deadline) {
        for (;;) {
            try {
                connection.sync().ping();
                return;
            } catch (RedisException e) {
                if (System.nanoTime() - deadline > 0) {
                    throw e;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
            }
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
    public Envelope publish(String channel, String event, String data, long ts) {
        StringBuilder tail = new StringBuilder(data.length() + event.length() + 48).append("\"event\":\"");
        escape(tail, event).append("\",\"ts\":").append(ts).append(",\"data\":").append(data).append('}');
        String[] keys = {meta(channel), history(channel)};
        String[] args = {newEpoch(), tail.toString(), Integer.toString(historySize), Long.toString(ttlMillis),
                Long.toString(metaTtlMillis), live(channel)};
        List<Object> result = run(PUBLISH, publishSha, keys, args);
        return new Envelope(channel, (Long) result.get(0), (String) result.get(1), event, data, ts);
    }

    /** Runs {@code history.lua}: one round trip; drops the channel's entries older than the ttl first. */
    @Override
    public HistoryPage history(String channel, long since, int limit) {
        return page(channel, run(HISTORY, historySha, keys(channel), historyArgs(since, limit)));
    }

    /**
     * SUBSCRIBEs this node to the channel's envelopes when it is the first subscribe for the channel, and returns
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
                        await(pubsub.async().subscribe(live(channel)));
                        // where the channel stands now: what a catch-up after a reconnect starts from
                        HistoryPage now = history(channel, Long.MAX_VALUE, 0);
                        c.seed(now.epoch(), now.latest());
                    } catch (HeraldException e) {
                        c.removed = true;
                        channels.remove(channel, c);
                        pubsub.async().unsubscribe(live(channel));
                        throw e;
                    }
                }
                c.interest++;
                return;
            }
        }
    }

    /** UNSUBSCRIBEs when it is the last; does not wait for Redis (messages that still come are dropped). */
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
        pubsub.async().unsubscribe(live(channel)).exceptionally(e -> {
            LOG.log(System.Logger.Level.DEBUG, "unsubscribing from " + channel + " failed", e);
            return null;
        });
    }

    /**
     * Redis' {@code used_memory} and {@code maxmemory} (-1 when it has none), -1 channels (Redis cannot tell the
     * channels with history without a scan), and Redis' {@code evicted_keys} (keys, not channels: a channel has
     * two). All -1 (and 0 evicted) if Redis does not answer.
     */
    @Override
    public Usage usage() {
        try {
            String info = connection.async().info().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            long used = infoField(info, "used_memory");
            long max = infoField(info, "maxmemory");
            long evicted = infoField(info, "evicted_keys");
            return new Usage(used, max <= 0 ? -1 : max, -1, Math.max(0, evicted));
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
        if (!connection.isOpen() || !pubsub.isOpen()) {
            return "Redis is not connected";
        }
        try {
            connection.async().ping().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            return "Redis does not answer: " + rootMessage(e);
        }
    }

    @Override
    public void close() {
        try {
            pubsub.close();
            connection.close();
        } finally {
            client.shutdown(0, 2, TimeUnit.SECONDS);
            client.getResources().shutdown(0, 2, TimeUnit.SECONDS);
        }
    }

    // ---- pub/sub ----

    /** Lettuce's pub/sub callbacks, on the pub/sub connection's event loop thread, in the order Redis sent them. */
    private final class Dispatcher extends RedisPubSubAdapter<String, String> {
        @Override
        public void message(String liveChannel, String message) {
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

        @Override
        public void subscribed(String liveChannel, long count) {
            String channel = channelOf(liveChannel);
            Channel c = channel == null ? null : channels.get(channel);
            LOG.log(System.Logger.Level.DEBUG, "subscribed to " + liveChannel + (c == null ? " (no longer wanted)" : ""));
            if (c != null) {
                c.confirmed();
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
        /** Live envelopes held back while a catch-up read runs; null when none runs. */
        private List<Envelope> held;

        Channel(String name) {
            this.name = name;
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
            if (e.epoch().equals(epoch) && e.offset() <= last) {
                return;
            }
            epoch = e.epoch();
            last = e.offset();
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
        RedisAsyncCommands<String, String> async = connection.async();
        String[] args = historyArgs(since, historySize);
        RedisFuture<List<Object>> first = async.evalsha(historySha, ScriptOutputType.MULTI, keys(channel), args);
        return first
                .handle((r, e) -> e == null ? CompletableFuture.completedFuture(r)
                        : (CompletionStage<List<Object>>) async.<List<Object>>eval(HISTORY, ScriptOutputType.MULTI,
                                keys(channel), args))
                .thenCompose(s -> s)
                .thenApply(r -> page(channel, r));
    }

    // ---- commands ----

    private String[] historyArgs(long since, int limit) {
        return new String[] {newEpoch(), Long.toString(since), Integer.toString(limit),
                Long.toString(clock.millis() - ttlMillis), Long.toString(metaTtlMillis)};
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
        try {
            try {
                return connection.sync().evalsha(sha, ScriptOutputType.MULTI, keys, args);
            } catch (RedisNoScriptException e) {
                return connection.sync().eval(script, ScriptOutputType.MULTI, keys, args);
            }
        } catch (RedisException e) {
            throw unavailable(e);
        }
    }

    private void await(RedisFuture<?> future) {
        try {
            future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
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
     * order, with {@code V} escaped by {@link #escape} and {@code D} compact JSON.
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
        p = expect(json, end, ",\"data\":");
        return new Envelope(channel, offset, epoch, event.toString(), json.substring(p, json.length() - 1), ts);
    }

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

    private static String safe(RedisURI uri) {
        return (uri.isSsl() ? "rediss://" : "redis://") + uri.getHost() + ":" + uri.getPort() + "/"
                + uri.getDatabase();
    }

    private static String newEpoch() {
        char[] c = new char[8];
        for (int i = 0; i < c.length; i++) {
            c[i] = ALPHABET[RANDOM.nextInt(ALPHABET.length)];
        }
        return new String(c);
    }

    private static String script(String name) {
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
