package dev.herald.engine.redis;

import dev.herald.core.ErrorCode;
import dev.herald.core.HeraldException;
import dev.herald.core.PresenceEntry;
import dev.herald.core.PresenceEvent;
import dev.herald.core.PresenceManager;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonString;
import java.io.StringReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Presence across nodes on Redis ({@link RedisBroker#presence()}), on the broker's connections. A channel's presence
 * is two keys under its hash tag, so one script sees both on a Redis Cluster: {@code {herald:C}:presence}, a hash of
 * client id to entry JSON ({@code {"client":…,"user":…,"info":…}}), and {@code {herald:C}:presence:exp}, a sorted
 * set of client id to expiry (Redis' clock, ms). {@code presence.lua} does each operation in one step and SPUBLISHes
 * {@code j<entry>} or {@code l<entry>} to the shard channel {@code {herald:C}:presence-events}.
 *
 * <p><b>Expiry.</b> Every {@code ttl / 3} this node pushes the expiry of the entries it joined to now + {@code ttl}
 * (15 s by default). A node that dies stops doing so: once expired, its entries are removed, each with its leave
 * event, by the next script on the channel: the once-a-second sweep of every node subscribed to the channel's events,
 * or any join or list. Removing and publishing are one step, so each leave is published once.
 *
 * <p>Threads: calls block for at most the broker's {@code herald.redis.timeout}; events arrive on Lettuce's pub/sub
 * thread; one daemon thread refreshes and sweeps.
 */
public final class RedisPresence implements PresenceManager {
    private static final System.Logger LOG = System.getLogger(RedisPresence.class.getName());
    /** How long an entry outlives its node's last refresh by default. */
    public static final Duration DEFAULT_TTL = Duration.ofSeconds(15);
    private static final String PREFIX = "{herald:";
    private static final String EVENTS = "}:presence-events";
    private static final String SCRIPT = RedisBroker.script("presence.lua");

    private final RedisLink link;
    private final Duration timeout;
    private final long ttlMillis;
    /** This node's entries by channel: what it refreshes. */
    private final Map<String, Set<String>> mine = new ConcurrentHashMap<>();
    /** Channels whose events this node receives, with their interest count. */
    private final Map<String, Integer> interest = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer;
    private volatile Listener listener = e -> { };
    private long ticks;

    RedisPresence(RedisLink link, Duration timeout, Duration ttl) {
        this.link = link;
        this.timeout = timeout;
        this.ttlMillis = ttl.toMillis();
        link.pubsub().addListener(new RedisPubSubAdapter<>() {
            @Override
            public void smessage(String shardChannel, String message) {
                String channel = channelOf(shardChannel);
                if (channel != null && interest.containsKey(channel) && !message.isEmpty()) {
                    try {
                        listener.onPresence(new PresenceEvent(message.charAt(0) == 'j', channel,
                                decode(message.substring(1))));
                    } catch (RuntimeException e) {
                        LOG.log(System.Logger.Level.WARNING, "dropping a presence event on " + shardChannel, e);
                    }
                }
            }
        });
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "herald-redis-presence");
            t.setDaemon(true);
            return t;
        });
        long period = Math.max(100, Math.min(1000, ttlMillis / 3));
        timer.scheduleWithFixedDelay(this::tick, period, period, TimeUnit.MILLISECONDS);
    }

    @Override
    public void start(Listener listener) {
        this.listener = listener;
    }

    @Override
    public void join(String channel, PresenceEntry entry) {
        mine.computeIfAbsent(channel, c -> ConcurrentHashMap.newKeySet()).add(entry.client());
        run(channel, "join", entry.client(), encode(entry));
    }

    @Override
    public void leave(String channel, String client) {
        mine.computeIfPresent(channel, (c, set) -> {
            set.remove(client);
            return set.isEmpty() ? null : set;
        });
        run(channel, "leave", client);
    }

    @Override
    public List<PresenceEntry> list(String channel) {
        List<PresenceEntry> all = new ArrayList<>();
        for (Object v : run(channel, "list")) {
            all.add(decode((String) v));
        }
        return all;
    }

    @Override
    public void subscribe(String channel) {
        if (interest.merge(channel, 1, Integer::sum) == 1) {
            await(link.pubsub().async().ssubscribe(events(channel)));
        }
    }

    @Override
    public void unsubscribe(String channel) {
        Integer left = interest.computeIfPresent(channel, (c, n) -> n == 1 ? null : n - 1);
        if (left == null) {
            link.pubsub().async().sunsubscribe(events(channel));
        }
    }

    /** Stops refreshing: this node's entries then expire as a dead node's would, unless left first. */
    void close() {
        timer.shutdownNow();
    }

    /** Sweeps the channels this node listens to every tick; refreshes its own entries every third. */
    private void tick() {
        boolean refresh = ticks++ % 3 == 0;
        try {
            if (refresh) {
                for (Map.Entry<String, Set<String>> e : mine.entrySet()) {
                    List<String> args = new ArrayList<>(List.of("refresh"));
                    args.addAll(e.getValue());
                    run(e.getKey(), args.toArray(String[]::new));
                }
            }
            for (String channel : interest.keySet()) {
                if (!refresh || !mine.containsKey(channel)) {
                    run(channel, "list");
                }
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "presence refresh failed; retrying", e);
        }
    }

    private List<Object> run(String channel, String... opAndArgs) {
        String[] keys = {PREFIX + channel + "}:presence", PREFIX + channel + "}:presence:exp"};
        String[] args = new String[opAndArgs.length + 2];
        args[0] = opAndArgs[0];
        args[1] = events(channel);
        args[2] = Long.toString(ttlMillis);
        System.arraycopy(opAndArgs, 1, args, 3, opAndArgs.length - 1);
        return await(link.scripts().<List<Object>>eval(SCRIPT, ScriptOutputType.MULTI, keys, args));
    }

    private <T> T await(java.util.concurrent.Future<T> future) {
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HeraldException(ErrorCode.UNAVAILABLE, "interrupted waiting for Redis");
        } catch (Exception e) {
            throw new HeraldException(ErrorCode.UNAVAILABLE, "Redis did not answer a presence command: " + e);
        }
    }

    static String events(String channel) {
        return PREFIX + channel + EVENTS;
    }

    private static String channelOf(String shardChannel) {
        return shardChannel.startsWith(PREFIX) && shardChannel.endsWith(EVENTS)
                ? shardChannel.substring(PREFIX.length(), shardChannel.length() - EVENTS.length()) : null;
    }

    static String encode(PresenceEntry e) {
        JsonObjectBuilder b = Json.createObjectBuilder().add("client", e.client());
        if (e.user() != null) {
            b.add("user", e.user());
        }
        if (e.info() != null) {
            b.add("info", e.info());
        }
        return b.build().toString();
    }

    static PresenceEntry decode(String json) {
        try (var r = Json.createReader(new StringReader(json))) {
            JsonObject o = r.readObject();
            return new PresenceEntry(o.getString("client"), o.get("user") instanceof JsonString s ? s.getString()
                    : null, o.get("info") instanceof JsonString s ? s.getString() : null);
        }
    }
}
