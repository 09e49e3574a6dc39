package dev.herald.core;

import java.time.Duration;
import java.util.Locale;
import java.util.function.Function;

/**
 * All of Herald's settings, with the contract's defaults. Read once at start-up by {@link #from(Function)} from
 * system properties ({@code herald.history.size}) or, failing that, environment variables
 * ({@code HERALD_HISTORY_SIZE}); validated here, so a bad value stops the start rather than a request.
 *
 * @param historySize     messages kept per channel (default 1000)
 * @param historyTtl      the age past which a message leaves history (default 1 hour)
 * @param maxMessageBytes the largest WebSocket frame or HTTP body accepted (default 1 MiB)
 * @param sseHeartbeat    the interval of SSE heartbeat comments (default 15 s)
 * @param sseRetry        the {@code retry:} sent to SSE clients (default 2 s)
 * @param subscriberQueue messages queued per connection before it counts as too slow and is closed (default 4096)
 * @param pollTimeout     how long a long-poll request waits for a message (default 25 s)
 * @param wsIdleTimeout   a WebSocket with no frame either way for this long is closed; zero never (default 5 min)
 * @param wsPermessageDeflate whether a WebSocket handshake may negotiate permessage-deflate (RFC 7692) when the
 *                        client offers it, as every browser does (default false: docs/performance.md, "Compression")
 * @param writeTimeout    a connection whose write stays in flight this long is closed (default 30 s)
 * @param ticker          whether the demo stock ticker publishes (default true)
 * @param tickerInterval  the demo ticker's publish interval (default 1 s)
 * @param memoryMaxBytes  bytes of heap the memory engine may hold for channels and their history, as it estimates
 *                        them; past it, the history of the channels idle longest is evicted (default 25% of the
 *                        JVM's maximum heap, {@link Runtime#maxMemory()}; at least 64 KiB)
 * @param engine          the {@link Broker} behind the bus: {@code memory} (one node, the default) or {@code redis}
 *                        (several nodes share channels through Redis; docs/scaling.md)
 * @param redisUrl        the Redis the {@code redis} engine uses, {@code redis://[user:password@]host:port[/db]} or
 *                        {@code rediss://} for TLS; several, separated by commas, are the seed nodes of a Redis
 *                        Cluster; required when {@code engine} is {@code redis}, else unused
 * @param redisTimeout    how long a Redis command may take before the call fails with {@code unavailable}
 *                        (default 2 s); also the time allowed to connect at start-up
 * @param redisCluster    whether a single {@code redisUrl} is the seed of a Redis Cluster (default false; several
 *                        URLs always are)
 * @param redisStartupWait how long start-up keeps trying to reach Redis before it fails (default 0: at once)
 * @param idempotencyWindow how long a publish's idempotency key is remembered, from that publish (default 2 min)
 * @param namespaces      the declared channel namespaces by name ({@code herald.namespaces}, each set by
 *                        {@code herald.ns.<name>.*}; default {@code chat}, with presence and join/leave on)
 * @param security        authentication, capabilities, origins and limits (docs/security.md)
 * @param ops             metrics, health, drain and the admin page (README, "Operate")
 */
public record HeraldConfig(
        int historySize,
        Duration historyTtl,
        int maxMessageBytes,
        Duration sseHeartbeat,
        Duration sseRetry,
        int subscriberQueue,
        Duration pollTimeout,
        Duration wsIdleTimeout,
        boolean wsPermessageDeflate,
        Duration writeTimeout,
        boolean ticker,
        Duration tickerInterval,
        long memoryMaxBytes,
        String engine,
        String redisUrl,
        Duration redisTimeout,
        boolean redisCluster,
        Duration redisStartupWait,
        Duration idempotencyWindow,
        java.util.Map<String, Namespace> namespaces,
        SecuritySettings security,
        OpsSettings ops) {

    /** The smallest {@code herald.memory.max-bytes} accepted: 64 KiB. */
    public static final long MIN_MEMORY_BYTES = 64 * 1024;

    public HeraldConfig {
        require(historySize >= 1, "herald.history.size must be >= 1");
        require(positive(historyTtl), "herald.history.ttl must be > 0");
        require(maxMessageBytes >= 1024, "herald.max-message-bytes must be >= 1024");
        require(positive(sseHeartbeat), "herald.sse.heartbeat must be > 0");
        require(positive(sseRetry), "herald.sse.retry must be > 0");
        require(subscriberQueue >= 16, "herald.subscriber.queue must be >= 16");
        require(positive(pollTimeout), "herald.poll.timeout must be > 0");
        require(wsIdleTimeout != null && !wsIdleTimeout.isNegative(), "herald.ws.idle-timeout must be >= 0");
        require(positive(writeTimeout), "herald.write-timeout must be > 0");
        require(positive(tickerInterval), "herald.ticker.interval must be > 0");
        require(memoryMaxBytes >= MIN_MEMORY_BYTES, "herald.memory.max-bytes must be >= 64k");
        require(ENGINE_MEMORY.equals(engine) || ENGINE_REDIS.equals(engine),
                "herald.engine must be memory or redis, not " + engine);
        require(!ENGINE_REDIS.equals(engine) || (redisUrl != null && java.util.Arrays.stream(redisUrl.split(","))
                        .map(String::trim).allMatch(u -> u.startsWith("redis://") || u.startsWith("rediss://"))),
                "herald.engine=redis needs herald.redis.url=redis://host:port (or rediss:// for TLS; several, "
                        + "separated by commas, for a Redis Cluster)"
                        + (redisUrl == null ? "" : "; the value given has another scheme")); // may hold a password
        require(positive(redisTimeout), "herald.redis.timeout must be > 0");
        require(positive(idempotencyWindow), "herald.idempotency.window must be > 0");
        require(namespaces != null, "namespaces missing");
        namespaces = java.util.Map.copyOf(namespaces);
        for (Namespace n : namespaces.values()) {
            String at = "herald.ns." + n.name() + ".";
            require(n.historySize() >= 1, at + "history.size must be >= 1");
            require(positive(n.historyTtl()), at + "history.ttl must be > 0");
            require(n.conflateKey().equals("channel") || n.conflateKey().matches("data\\.[^.\\s]{1,64}"),
                    at + "conflate-key must be channel or data.<member>, not " + n.conflateKey());
            require(n.maxMessageBytes() >= 1024 && n.maxMessageBytes() <= maxMessageBytes,
                    at + "max-message-bytes must be between 1024 and herald.max-message-bytes (" + maxMessageBytes
                            + ")");
            require(n.presence() || !n.joinLeave(), at + "join-leave=true needs " + at + "presence=true");
        }
        require(redisStartupWait != null && !redisStartupWait.isNegative(), "herald.redis.startup-wait must be >= 0");
        require(security != null, "security settings missing");
        require(ops != null, "ops settings missing");
    }

    /** {@code herald.engine} for the single-node in-memory engine (the default). */
    public static final String ENGINE_MEMORY = "memory";
    /** {@code herald.engine} for the Redis engine. */
    public static final String ENGINE_REDIS = "redis";

    /** The defaults of the wire contract. */
    public static HeraldConfig defaults() {
        return from(key -> null);
    }

    /** Reads every setting through {@code lookup} (a key such as {@code herald.history.size}), defaults elsewhere. */
    public static HeraldConfig from(Function<String, String> lookup) {
        Reader r = new Reader(lookup);
        return new HeraldConfig(
                r.integer("herald.history.size", 1000),
                r.duration("herald.history.ttl", Duration.ofHours(1)),
                r.integer("herald.max-message-bytes", 1024 * 1024),
                r.duration("herald.sse.heartbeat", Duration.ofSeconds(15)),
                r.duration("herald.sse.retry", Duration.ofMillis(2000)),
                r.integer("herald.subscriber.queue", 4096),
                r.duration("herald.poll.timeout", Duration.ofSeconds(25)),
                r.duration("herald.ws.idle-timeout", Duration.ofMinutes(5)),
                r.bool("herald.ws.permessage-deflate", false),
                r.duration("herald.write-timeout", Duration.ofSeconds(30)),
                r.bool("herald.ticker", true),
                r.duration("herald.ticker.interval", Duration.ofSeconds(1)),
                r.bytes("herald.memory.max-bytes", "25%"),
                r.string("herald.engine", ENGINE_MEMORY).toLowerCase(Locale.ROOT),
                r.string("herald.redis.url", null),
                r.duration("herald.redis.timeout", Duration.ofSeconds(2)),
                r.bool("herald.redis.cluster", false),
                r.duration("herald.redis.startup-wait", Duration.ZERO),
                r.duration("herald.idempotency.window", Duration.ofMinutes(2)),
                namespaces(r),
                SecuritySettings.from(r),
                OpsSettings.from(r));
    }

    /** The namespace of this channel ({@link Namespace#of}), if it is declared; else null (the global settings). */
    public Namespace namespace(String channel) {
        String name = Namespace.of(channel);
        return name == null ? null : namespaces.get(name);
    }

    /** The largest message accepted on this channel: its namespace's bound, else {@code herald.max-message-bytes}. */
    public int maxMessageBytes(String channel) {
        Namespace n = namespace(channel);
        return n == null ? maxMessageBytes : n.maxMessageBytes();
    }

    /** Whether the channel's subscriptions are listed in its presence: its namespace's {@code presence}. */
    public boolean presence(String channel) {
        Namespace n = namespace(channel);
        return n != null && n.presence();
    }

    /** Whether the channel's subscriptions may ask for join/leave events: its namespace's {@code join-leave}. */
    public boolean joinLeave(String channel) {
        Namespace n = namespace(channel);
        return n != null && n.joinLeave();
    }

    /** History size and age per channel: its namespace's, else the global {@code herald.history.*}. */
    public Retention retention() {
        if (namespaces.isEmpty()) {
            return Retention.fixed(historySize, historyTtl);
        }
        return new Retention() {
            @Override
            public int historySize(String channel) {
                Namespace n = namespace(channel);
                return n == null ? historySize : n.historySize();
            }

            @Override
            public Duration historyTtl(String channel) {
                Namespace n = namespace(channel);
                return n == null ? historyTtl : n.historyTtl();
            }
        };
    }

    /**
     * Settings Herald ships with, below what is configured: the {@code chat} namespace (presence and join/leave on:
     * {@link Namespace#CHAT}) and the {@code prices} namespace (the demo ticker's {@code prices:SYMBOL} channels),
     * which conflates for slow subscribers. Setting {@code herald.namespaces} replaces the
     * list; a shipped setting of a namespace applies while that namespace is declared.
     */
    static final java.util.Map<String, String> SHIPPED = java.util.Map.of(
            "herald.namespaces", "chat,prices",
            "herald.ns.prices.slow-consumer", "conflate");

    private static final java.util.regex.Pattern NAMESPACE =
            java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}");

    private static Namespace.SlowConsumer slowConsumer(String value, String at) {
        try {
            return Namespace.SlowConsumer.of(value.toLowerCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(at + "slow-consumer: " + e.getMessage(), e);
        }
    }

    /** {@code herald.namespaces} and each one's {@code herald.ns.<name>.*}, the global settings as defaults. */
    private static java.util.Map<String, Namespace> namespaces(Reader r) {
        java.util.Map<String, Namespace> all = new java.util.LinkedHashMap<>();
        String list = r.string("herald.namespaces", "");
        for (String raw : list.split(",")) {
            String name = raw.trim();
            if (name.isEmpty()) {
                continue;
            }
            require(NAMESPACE.matcher(name).matches(), "herald.namespaces: " + name + " is not a namespace name "
                    + "(1 to 64 of A-Z a-z 0-9 _ . @ -, no ':')");
            require(!all.containsKey(name), "herald.namespaces names " + name + " twice");
            String at = "herald.ns." + name + ".";
            all.put(name, new Namespace(name,
                    r.integer(at + "history.size", r.integer("herald.history.size", 1000)),
                    r.duration(at + "history.ttl", r.duration("herald.history.ttl", Duration.ofHours(1))),
                    r.integer(at + "max-message-bytes", r.integer("herald.max-message-bytes", 1024 * 1024)),
                    r.bool(at + "publish", true),
                    r.bool(at + "presence", Namespace.CHAT.equals(name)),
                    r.bool(at + "join-leave", r.bool(at + "presence", Namespace.CHAT.equals(name))),
                    slowConsumer(r.string(at + "slow-consumer", "disconnect"), at),
                    r.string(at + "conflate-key", "channel")));
        }
        return all;
    }

    /**
     * Refuses a {@code herald.ns.*} system property or {@code HERALD_NS_*} environment variable that names no
     * declared namespace or no known setting (a typo would otherwise be ignored silently). Called at start-up.
     *
     * @throws IllegalArgumentException naming the first such key
     */
    public void checkNamespaceKeys(java.util.Set<String> propertyKeys, java.util.Set<String> environmentKeys) {
        java.util.Set<String> known = new java.util.HashSet<>();
        java.util.Set<String> knownEnv = new java.util.HashSet<>();
        for (String name : namespaces.keySet()) {
            for (String setting : Namespace.SETTINGS) {
                String key = "herald.ns." + name + "." + setting;
                known.add(key);
                knownEnv.add(key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_'));
            }
        }
        for (String key : propertyKeys) {
            require(!key.startsWith("herald.ns.") || known.contains(key), key + " is not a setting of a namespace "
                    + "in herald.namespaces (settings: " + String.join(", ", Namespace.SETTINGS) + ")");
        }
        for (String key : environmentKeys) {
            require(!key.startsWith("HERALD_NS_") || knownEnv.contains(key), key + " is not a setting of a "
                    + "namespace in herald.namespaces (settings: " + String.join(", ", Namespace.SETTINGS) + ")");
        }
    }

    /** System properties first, then environment variables ({@code herald.sse.retry} -> {@code HERALD_SSE_RETRY}). */
    public static HeraldConfig fromEnvironment() {
        return from(HeraldConfig::environment);
    }

    /** The system property {@code key}, else its environment variable ({@code HERALD_SSE_RETRY}), else null. */
    public static String environment(String key) {
        String value = System.getProperty(key);
        if (value == null) {
            value = System.getenv(key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_'));
        }
        return value;
    }

    private static boolean positive(Duration d) {
        return d != null && !d.isNegative() && !d.isZero();
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    record Reader(Function<String, String> lookup) {
        String string(String key, String fallback) {
            String v = lookup.apply(key);
            if (v == null) {
                v = SHIPPED.get(key);
            }
            return v == null || v.isBlank() ? fallback : v.trim();
        }

        int integer(String key, int fallback) {
            String v = string(key, null);
            try {
                return v == null ? fallback : Integer.parseInt(v);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(key + " is not an integer: " + v, e);
            }
        }

        boolean bool(String key, boolean fallback) {
            String v = string(key, null);
            return v == null ? fallback : Boolean.parseBoolean(v);
        }

        /**
         * A size in bytes: {@code 1048576}, with a binary unit {@code 64k}, {@code 256m}, {@code 1g} (KiB, MiB,
         * GiB; upper case too), or a share of the JVM's maximum heap, {@code 25%}.
         */
        long bytes(String key, String fallback) {
            String v = string(key, fallback);
            try {
                String s = v.toLowerCase(Locale.ROOT);
                if (s.endsWith("%")) {
                    double share = Double.parseDouble(s.substring(0, s.length() - 1));
                    if (!(share > 0 && share <= 100)) {
                        throw new IllegalArgumentException("a share of the heap is > 0% and <= 100%");
                    }
                    return (long) (Runtime.getRuntime().maxMemory() * share / 100);
                }
                int shift = switch (s.charAt(s.length() - 1)) {
                    case 'k' -> 10;
                    case 'm' -> 20;
                    case 'g' -> 30;
                    default -> 0;
                };
                long n = Long.parseLong(shift == 0 ? s : s.substring(0, s.length() - 1));
                if (n < 0 || n > Long.MAX_VALUE >> shift) {
                    throw new IllegalArgumentException("out of range");
                }
                return n << shift;
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(key + " is not a size (e.g. 64m, 1g, 25%, or bytes): " + v, e);
            }
        }

        /** {@code 15s}, {@code 2000ms}, {@code 1h}, {@code 5m}, or ISO-8601 ({@code PT15S}); a bare number is ms. */
        Duration duration(String key, Duration fallback) {
            String v = string(key, null);
            if (v == null) {
                return fallback;
            }
            try {
                String s = v.toLowerCase(Locale.ROOT);
                if (s.startsWith("pt") || s.startsWith("p")) {
                    return Duration.parse(v.toUpperCase(Locale.ROOT));
                }
                if (s.chars().allMatch(Character::isDigit)) {
                    return Duration.ofMillis(Long.parseLong(s)); // a bare number (0 included) is ms
                }
                if (s.endsWith("ms")) {
                    return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
                }
                long n = Long.parseLong(s.substring(0, s.length() - 1));
                switch (s.charAt(s.length() - 1)) {
                    case 's': return Duration.ofSeconds(n);
                    case 'm': return Duration.ofMinutes(n);
                    case 'h': return Duration.ofHours(n);
                    default: return Duration.ofMillis(Long.parseLong(s));
                }
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(key + " is not a duration (e.g. 15s, 500ms, 1h): " + v, e);
            }
        }
    }
}