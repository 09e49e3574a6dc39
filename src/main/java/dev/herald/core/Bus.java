package dev.herald.core;

import dev.herald.security.Action;
import dev.herald.security.Authorizer;
import dev.herald.security.Caller;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.JsonValue;
import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Herald's facade: what applications {@code @Inject} to publish and subscribe, and what every transport calls.
 * One publish reaches every subscriber of its channel, whatever its transport, as the same {@link Envelope}.
 *
 * <pre>{@code
 * @Inject Bus bus;
 * bus.publish("prices:ACME", "price", Map.of("price", 12.5));
 * Subscription s = bus.subscribe("prices:ACME", envelope -> log(envelope.data()));
 * }</pre>
 *
 * <p>Every publish, subscribe and history read passes through the {@link Authorizer}. Publishing never waits for
 * subscribers: each {@link Subscriber} has a bounded queue drained on a small fan-out pool. Thread-safe.
 */
@ApplicationScoped
public class Bus {
    private static final System.Logger LOG = System.getLogger(Bus.class.getName());
    /** Most messages one history request returns. */
    public static final int MAX_HISTORY_LIMIT = 1000;

    private HeraldConfig config;
    private Broker broker;
    private Authorizer authorizer;
    private Clock clock;
    private Hub hub;
    private ExecutorService fanout;
    private ScheduledExecutorService timer;
    private Jsonb jsonb;
    private final AtomicLong ids = new AtomicLong();
    private PresenceManager presence;
    /** This node's part of presence client ids: random, so ids differ across nodes and restarts. */
    private final String node = Long.toString(new java.security.SecureRandom().nextLong() & Long.MAX_VALUE, 36);
    private final Set<Subscriber> connections = ConcurrentHashMap.newKeySet();
    private volatile Probe probe = Probe.NONE;
    private volatile boolean draining;
    /** Who may read the reserved {@code herald:*} channels besides {@link Caller#SYSTEM}; set by ops. */
    private volatile java.util.function.Predicate<Caller> systemReaders = c -> false;

    /** For CDI's proxies only. */
    protected Bus() {
    }

    @Inject
    public Bus(HeraldConfig config, Broker broker, Authorizer authorizer) {
        this(config, broker, authorizer, Clock.systemUTC());
    }

    public Bus(HeraldConfig config, Broker broker, Authorizer authorizer, Clock clock) {
        this.config = config;
        this.broker = broker;
        this.authorizer = authorizer;
        this.clock = clock;
        AtomicInteger n = new AtomicInteger();
        int threads = Math.max(2, Runtime.getRuntime().availableProcessors());
        this.fanout = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "herald-fanout-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.presence = broker.presence();
        this.hub = new Hub(broker, fanout, threads, presence, config::joinLeave);
        presence.start(hub::onPresence);
        this.jsonb = JsonbBuilder.create();
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "herald-timer");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::expire, 1, 1, TimeUnit.SECONDS);
        broker.start(hub);
    }

    /** Closes connections whose write is stuck or that have been idle too long (see {@link Subscriber#expire}). */
    private void expire() {
        long now = System.nanoTime();
        long writeTimeout = config.writeTimeout().toNanos();
        for (Subscriber s : connections) {
            try {
                s.expire(now, writeTimeout);
            } catch (Throwable t) {
                LOG.log(System.Logger.Level.WARNING, "expiring " + s, t);
            }
        }
    }

    public HeraldConfig config() {
        return config;
    }

    /** The JSON-B instance Herald uses for application data and client frames. Thread-safe; do not close it. */
    public Jsonb jsonb() {
        return jsonb;
    }

    // ---- publishing ----

    /**
     * Publishes {@code data} (serialised with JSON-B; a {@link JsonValue} or null as is) on {@code channel} as
     * application code. The JSON is held to the same limits as a client's ({@link StrictJson}): a string that is not
     * valid Unicode (a lone surrogate) or data nested deeper than {@value StrictJson#MAX_DEPTH} levels is refused.
     *
     * @param event the event name, or null for {@code message}
     * @return the envelope every subscriber receives
     * @throws HeraldException {@code bad_channel}, {@code bad_request}, {@code too_large} or {@code forbidden}
     */
    public Envelope publish(String channel, String event, Object data) {
        return publishJson(Caller.SYSTEM, channel, event, toJson(data));
    }

    /**
     * As {@link #publish(String, String, Object)}, at most once per idempotency key: a second publish with the same
     * key on the same channel within {@code herald.idempotency.window} (2 minutes by default) publishes nothing and
     * returns the first one's envelope (docs/protocol.md, "Idempotent publish"). Across nodes too on the Redis
     * engine. Use it where a retry must not publish twice (a payment notification, a job re-run after a crash).
     *
     * @param idempotencyKey 1 to 128 visible ASCII characters, or null for none
     * @return the envelope, and whether it was a replay of an earlier publish
     * @throws HeraldException as {@link #publish(String, String, Object)}, and {@code bad_request} for a bad key
     */
    public Published publish(String channel, String event, Object data, String idempotencyKey) {
        return publishOnce(Caller.SYSTEM, channel, event, toJson(data), idempotencyKey);
    }

    /**
     * Publishes JSON text: every entry (HTTP, WebSocket, Java) ends here, so the text is checked and made compact
     * here, once, by {@link StrictJson} (docs/protocol.md, section 3.1). No message that reaches history can make a
     * transport fail to encode it.
     *
     * @param json one JSON value, as text
     * @throws HeraldException {@code bad_channel}, {@code bad_request} (invalid JSON, a broken JSON limit, a bad
     *                         event name), {@code too_large}, {@code forbidden}, or {@code unavailable} when the
     *                         engine cannot be reached (the Redis engine, within {@code herald.redis.timeout})
     */
    public Envelope publishJson(Caller caller, String channel, String event, String json) {
        return publishOnce(caller, channel, event, json, null).envelope();
    }

    /**
     * {@link #publishJson}, at most once per idempotency key (see {@link #publish(String, String, Object, String)}):
     * the entry for HTTP's {@code Idempotency-Key} header and the WebSocket frame's {@code idempotencyKey}.
     *
     * @param idempotencyKey the key, or null (or empty) for none
     * @throws HeraldException as {@link #publishJson}, and {@code bad_request} for a key that is not 1 to 128
     *                         visible ASCII characters
     */
    public Published publishOnce(Caller caller, String channel, String event, String json, String idempotencyKey) {
        return publish(caller, channel, event, json, null, json.length(), idempotencyKey);
    }

    /**
     * Publishes binary data as application code (docs/protocol.md, "Binary messages"): WebSocket subscribers receive
     * a binary frame with the bytes, SSE and long-poll subscribers the same envelope with {@code data} in base64 and
     * {@code "encoding":"base64"}; the same offset and order for all. In-process listeners read
     * {@link Envelope#bytes()}.
     *
     * @param data the bytes (not copied; do not change them until this returns), at most the channel's
     *             {@code max-message-bytes}
     * @return the envelope every subscriber receives
     * @throws HeraldException as {@link #publish(String, String, Object)}
     */
    public Envelope publish(String channel, String event, byte[] data) {
        return publishBinary(Caller.SYSTEM, channel, event, data, null).envelope();
    }

    /** {@link #publish(String, String, byte[])} at most once per idempotency key (as for JSON data). */
    public Published publish(String channel, String event, byte[] data, String idempotencyKey) {
        return publishBinary(Caller.SYSTEM, channel, event, data, idempotencyKey);
    }

    /**
     * A binary publish from a transport (a WebSocket binary frame, an {@code application/octet-stream} POST) or from
     * {@link #publish(String, String, byte[])}: the same checks as {@link #publishOnce}, the size limit on the bytes
     * themselves (not their base64).
     */
    public Published publishBinary(Caller caller, String channel, String event, byte[] data, String idempotencyKey) {
        java.util.Objects.requireNonNull(data, "data");
        return publish(caller, channel, event, null, data, data.length, idempotencyKey);
    }

    /** Exactly one of {@code json} and {@code bytes} is given; {@code size} is its size for the message limit. */
    private Published publish(Caller caller, String channel, String event, String json, byte[] bytes, int size,
                              String idempotencyKey) {
        String name;
        String key;
        try {
            Names.channel(channel);
            name = Names.event(event);
            key = Names.idempotencyKey(idempotencyKey);
            int max = config.maxMessageBytes(channel);
            if (size > max) {
                throw new HeraldException(ErrorCode.TOO_LARGE, "message larger than " + max);
            }
        } catch (HeraldException ex) {
            safely(p -> p.publishFailed(caller.transport(), ex.code()));
            throw ex;
        }
        String transport = caller.transport();
        Published published;
        try {
            Namespace namespace = config.namespace(channel);
            if (namespace != null && !namespace.clientPublish() && caller != Caller.SYSTEM) {
                throw new HeraldException(ErrorCode.FORBIDDEN, "only the application publishes on "
                        + namespace.name() + ": channels (herald.ns." + namespace.name() + ".publish=false)");
            }
            authorize(caller, Action.PUBLISH, channel);
            String data = bytes == null ? StrictJson.normalise(json) : Envelope.base64Data(bytes);
            String encoding = bytes == null ? null : Envelope.BASE64;
            long start = System.nanoTime();
            try {
                published = broker.publish(channel, name, data, encoding, clock.millis(), key);
            } catch (RuntimeException ex) {
                engine("publish", start, ex);
                throw ex;
            }
            engine("publish", start, null);
        } catch (HeraldException ex) {
            safely(p -> p.publishFailed(transport, ex.code()));
            throw ex;
        }
        if (!published.replayed()) {
            safely(p -> p.published(transport, published.envelope()));
        }
        return published;
    }

    private void engine(String operation, long start, RuntimeException failure) {
        long nanos = System.nanoTime() - start;
        ErrorCode code = failure == null ? null
                : failure instanceof HeraldException h ? h.code() : ErrorCode.INTERNAL;
        safely(p -> p.engine(operation, nanos, code));
    }

    /** Calls the probe; a throw from it is logged and forgotten (see {@link Probe}). */
    private void safely(Consumer<Probe> call) {
        try {
            call.accept(probe);
        } catch (RuntimeException ex) {
            LOG.log(System.Logger.Level.DEBUG, () -> "probe failed: " + ex);
        }
    }

    private String toJson(Object data) {
        if (data == null) {
            return "null";
        }
        if (data instanceof JsonValue v) {
            return v.toString();
        }
        return jsonb.toJson(data);
    }

    // ---- subscribing ----

    /** In-process subscription to live messages. The listener runs on a fan-out thread, one call at a time. */
    public Subscription subscribe(String channel, Consumer<Envelope> listener) {
        return subscribe(channel, null, listener);
    }

    /**
     * In-process subscription: the messages after offset {@code since} still in history (if not null), then live
     * ones, each once and in order. The listener runs on a fan-out thread, one call at a time; if it falls more
     * than {@code herald.subscriber.queue} messages behind, the subscription is closed.
     */
    public Subscription subscribe(String channel, Long since, Consumer<Envelope> listener) {
        Subscriber s = connect(Caller.SYSTEM, new ListenerTransport(listener));
        try {
            subscribe(s, channel, since, null, null);
        } catch (RuntimeException e) {
            s.close(Disconnect.NORMAL);
            throw e;
        }
        return new Subscription() {
            @Override
            public void close() {
                s.close(Disconnect.NORMAL);
            }

            @Override
            public boolean isActive() {
                return !s.isClosed();
            }
        };
    }

    /** Registers a new connection. The transport then subscribes it to channels and closes it when done. */
    public Subscriber connect(Caller caller, Transport transport) {
        Probe p = probe;
        Subscriber s = new Subscriber(ids.incrementAndGet(), caller, transport, fanout, config.subscriberQueue(),
                this::disconnected, p);
        connections.add(s);
        safely(x -> x.opened(transport.name()));
        if (draining && !(transport instanceof ListenerTransport)) {
            s.closeGracefully(Disconnect.RESTART); // it came in while the node drains: send it elsewhere
        }
        return s;
    }

    /**
     * Subscribes a connection to a channel. Queues, in order: a {@link Subscribed}; when resuming ({@code since}
     * not null) a {@link Gap} if history no longer holds all that was missed, then the envelopes after
     * {@code since}; then live envelopes. Subscribing again to the same channel restarts the subscription.
     *
     * @param since the last offset the client has seen, or null for live messages only
     * @param epoch the epoch {@code since} belongs to, or null; a different epoch (or a {@code since} beyond the
     *              latest offset) means the stream was reset: a {@link Gap} with {@code reset} set, then all history
     * @param ref   the client's correlation string, echoed in {@link Subscribed}
     * @throws HeraldException {@code bad_channel}, {@code bad_request}, {@code forbidden}, {@code unauthorized},
     *                         {@code rate_limited} past {@code herald.limits.subscriptions} channels, or
     *                         {@code unavailable} if the engine cannot be reached (then the connection is left
     *                         unsubscribed from the channel)
     */
    public void subscribe(Subscriber s, String channel, Long since, String epoch, String ref) {
        subscribe(s, channel, since, epoch, ref, PresenceOptions.LISTED);
    }

    /**
     * As {@link #subscribe(Subscriber, String, Long, String, String)}, with what the subscription asks of presence
     * (docs/protocol.md, "Presence"). On a channel whose namespace has presence on, a {@link PresenceOptions#listed}
     * subscription joins the channel's presence once (as the token's subject when the connection is
     * authenticated, else as {@code user}) and leaves it when it ends, on unsubscribe or disconnect. With
     * {@link PresenceOptions#events} on a channel with join/leave on, it gets {@link PresenceEvent}s.
     *
     * @throws HeraldException as the other, and {@code bad_request} for a bad {@code user} or {@code info};
     *                         {@code forbidden} when events are asked for without the {@code presence} capability
     */
    public void subscribe(Subscriber s, String channel, Long since, String epoch, String ref,
                          PresenceOptions options) {
        Names.channel(channel);
        boolean listed = options.listed() && config.presence(channel) && !"java".equals(s.transportName());
        boolean events = options.events() && config.joinLeave(channel);
        String user = s.caller().anonymous() ? Names.presenceUser(options.user()) : s.caller().subject();
        String info = listed ? Names.presenceInfo(options.info()) : null;
        if (events) {
            authorize(s.caller(), Action.PRESENCE, channel);
        }
        if (since != null && (since < 0 || since > StrictJson.MAX_SAFE_INTEGER)) {
            throw new HeraldException(ErrorCode.BAD_REQUEST, "since must be an integer from 0 to "
                    + StrictJson.MAX_SAFE_INTEGER);
        }
        authorize(s.caller(), Action.SUBSCRIBE, channel);
        int max = config.security().maxSubscriptions();
        if (s.channels().size() >= max && !s.channels().contains(channel)) {
            throw new HeraldException(ErrorCode.RATE_LIMITED, "at most " + max + " subscriptions per connection");
        }
        Subscriber.ChannelState state = s.begin(channel, config.namespace(channel));
        try {
            if (state.fresh) {
                hub.add(channel, s);
            }
            if (s.isClosed()) { // closed while subscribing: make sure the hub forgets it
                hub.remove(channel, s);
                return;
            }
            state.presenceEvents = events;
            replay(s, channel, since, epoch, ref, state);
            if (listed && s.joined.putIfAbsent(channel, node + "-" + s.id()) == null) {
                presence.join(channel, new PresenceEntry(node + "-" + s.id(), user, info));
                if (s.isClosed() || !s.channels().contains(channel)) { // ended meanwhile: its end missed the join
                    String client = s.joined.remove(channel);
                    if (client != null) {
                        presence.leave(channel, client);
                    }
                }
            }
        } catch (RuntimeException e) { // the engine failed (unavailable): leave no half subscription behind
            unsubscribe(s, channel);
            throw e;
        }
    }

    private void replay(Subscriber s, String channel, Long since, String epoch, String ref,
                        Subscriber.ChannelState state) {
        int all = config.retention().historySize(channel);
        if (since != null) {
            safely(p -> p.resumed(s.transportName(), channel));
        }
        HistoryPage page = timedHistory(channel, since == null ? Long.MAX_VALUE : since, since == null ? 0 : all);
        Gap gap = null;
        long from;
        if (since == null) {
            from = page.latest();
        } else {
            boolean reset = (epoch != null && !epoch.isEmpty() && !epoch.equals(page.epoch()))
                    || since > page.latest();
            if (reset) {
                page = timedHistory(channel, 0, all);
            }
            long first = page.earliest() != null ? page.earliest() : page.latest() + 1;
            long wanted = reset ? 1 : since + 1;
            if (reset || wanted < first) {
                gap = new Gap(channel, since + 1, first, reset, page.epoch());
            }
            from = Math.max(wanted, first) - 1;
        }
        if (gap != null) {
            Gap told = gap;
            safely(p -> p.gap(s.transportName(), told));
        }
        Subscribed subscribed = new Subscribed(channel, page.latest(), page.epoch(), from, ref);
        s.finish(channel, state, subscribed, gap, page.messages());
    }

    private HistoryPage timedHistory(String channel, long since, int limit) {
        long start = System.nanoTime();
        try {
            HistoryPage page = broker.history(channel, since, limit);
            engine("history", start, null);
            return page;
        } catch (RuntimeException ex) {
            engine("history", start, ex);
            throw ex;
        }
    }

    /** Ends a connection's subscription to a channel. Returns false if it had none. */
    public boolean unsubscribe(Subscriber s, String channel) {
        if (s.end(channel)) {
            hub.remove(channel, s);
            String client = s.joined.remove(channel);
            if (client != null) {
                try {
                    presence.leave(channel, client);
                } catch (RuntimeException e) { // the engine is down: the entry expires instead (Redis)
                    LOG.log(System.Logger.Level.WARNING, "presence leave of " + client + " on " + channel
                            + " failed; it leaves when it expires", e);
                }
            }
            return true;
        }
        return false;
    }

    /**
     * Checks what a streaming request asks of presence before its stream starts, so that a bad {@code user} or
     * {@code info}, or events without the {@code presence} capability, are refused with an HTTP error rather than
     * ending a started stream.
     *
     * @throws HeraldException {@code bad_request}, {@code forbidden} or {@code unauthorized}
     */
    public void checkPresence(Caller caller, java.util.Collection<String> channels, PresenceOptions options) {
        if (caller.anonymous()) {
            Names.presenceUser(options.user());
        }
        Names.presenceInfo(options.info());
        for (String channel : channels) {
            if (options.events() && config.joinLeave(channel)) {
                authorize(caller, Action.PRESENCE, channel);
            }
        }
    }

    /**
     * Who is subscribed to the channel, across nodes on the Redis engine (docs/protocol.md, "Presence").
     *
     * @throws HeraldException {@code bad_channel}, {@code forbidden}/{@code unauthorized} without the
     *                         {@code presence} capability, {@code not_found} when the channel's namespace has presence
     *                         off, {@code unavailable} when the engine cannot be reached
     */
    public List<PresenceEntry> presence(Caller caller, String channel) {
        Names.channel(channel);
        authorize(caller, Action.PRESENCE, channel);
        if (!config.presence(channel)) {
            throw new HeraldException(ErrorCode.NOT_FOUND, "presence is off on " + channel
                    + " (herald.ns.<namespace>.presence)");
        }
        return presence.list(channel);
    }

    private void disconnected(Subscriber s) {
        if (connections.remove(s)) {
            int channels = s.channels().size();
            safely(p -> p.closed(s.transportName(), s.closeReason(), s.openNanos(), channels));
        }
        for (String channel : s.channels()) {
            unsubscribe(s, channel);
        }
    }

    // ---- history and stats ----

    /**
     * Up to {@code limit} (at most {@value #MAX_HISTORY_LIMIT}) envelopes after offset {@code since}, oldest first.
     *
     * @throws HeraldException {@code bad_channel}, {@code bad_request} or {@code forbidden}
     */
    public HistoryPage history(Caller caller, String channel, long since, int limit) {
        Names.channel(channel);
        if (since < 0 || limit < 0) {
            throw new HeraldException(ErrorCode.BAD_REQUEST, "since and limit must be >= 0");
        }
        authorize(caller, Action.HISTORY, channel);
        return timedHistory(channel, since, Math.min(limit, MAX_HISTORY_LIMIT));
    }

    /**
     * The channel's position (no messages), for a caller allowed its {@code presence}.
     *
     * @throws HeraldException {@code bad_channel}, {@code forbidden} or {@code unauthorized}
     */
    public HistoryPage position(Caller caller, String channel) {
        Names.channel(channel);
        authorize(caller, Action.PRESENCE, channel);
        return broker.history(channel, Long.MAX_VALUE, 0);
    }

    /**
     * A connection presents new credentials (a WebSocket {@code auth} frame): from now on it acts as
     * {@code caller}. Each of its subscriptions that {@code caller} may not subscribe to is ended.
     *
     * @return the channels whose subscription was ended
     */
    public List<String> reauthenticate(Subscriber s, Caller caller) {
        s.caller(caller);
        List<String> dropped = new java.util.ArrayList<>();
        for (String channel : List.copyOf(s.channels())) {
            if (authorizer.authorize(caller, Action.SUBSCRIBE, channel) != null) {
                unsubscribe(s, channel);
                dropped.add(channel);
            }
        }
        return dropped;
    }

    /** Subscribers of the channel on this node. */
    public int subscriberCount(String channel) {
        return hub.count(channel);
    }

    /** Open connections on this node (WebSocket, SSE, in-process). */
    public int connectionCount() {
        return connections.size();
    }

    /** Channels with at least one subscriber on this node. */
    public int activeChannelCount() {
        return hub.channelCount();
    }

    /** Why the engine cannot serve now (one line), or null when it can: see {@link Broker#unreachable}. */
    public String engineUnreachable() {
        try {
            return broker.unreachable();
        } catch (RuntimeException e) {
            return String.valueOf(e.getMessage());
        }
    }

    /** The engine's memory: bytes held, its bound, channels held, channels evicted (see {@link Broker#usage}). */
    public Broker.Usage memory() {
        return broker.usage();
    }

    /** The Authorizer's verdict as an exception; transports that check before starting a stream call it. */
    public void authorize(Caller caller, Action action, String channel) {
        if (channel.startsWith(Names.SYSTEM_PREFIX) && !Caller.SYSTEM.equals(caller)
                && (action == Action.PUBLISH || !systemReaders.test(caller))) {
            safely(p -> p.refused(caller.transport(), ErrorCode.FORBIDDEN));
            throw new HeraldException(ErrorCode.FORBIDDEN, Names.SYSTEM_PREFIX
                    + "* channels are Herald's own: only Herald publishes there, only its admin page reads them");
        }
        Authorizer.Decision refusal = authorizer.authorize(caller, action, channel);
        if (refusal != null) {
            ErrorCode code = refusal.authenticate() ? ErrorCode.UNAUTHORIZED : ErrorCode.FORBIDDEN;
            safely(p -> p.refused(caller.transport(), code));
            throw new HeraldException(code, refusal.reason() == null ? "not allowed" : refusal.reason());
        }
    }

    // ---- operations: the probe, drain, what the admin page shows ----

    /**
     * Hands the core's events to {@code probe} from now on (connections registered before keep the previous one).
     * Called by {@code dev.herald.ops} when the application starts; {@link Probe#NONE} stops it.
     */
    public void observe(Probe probe) {
        this.probe = probe == null ? Probe.NONE : probe;
    }

    /**
     * Lets {@code readers} (besides application code) subscribe to and read the reserved {@code herald:*} channels
     * ({@link Names#SYSTEM_PREFIX}); nobody but application code ever publishes there. Set by {@code dev.herald.ops}
     * for its admin page. Any thread.
     */
    public void systemReaders(java.util.function.Predicate<Caller> readers) {
        this.systemReaders = readers;
    }

    /** True once {@link #drain} began: this node takes no new connections and is not ready for traffic. */
    public boolean draining() {
        return draining;
    }

    /**
     * Drains this node for a rolling restart or an undeploy: from now on {@link #draining()} is true (the transports
     * refuse new requests with 503, readiness fails), and every client connection is ended gracefully with
     * {@link Disconnect#RESTART} (WebSocket close 1012, SSE {@code event: herald-reconnect}, a long-poll answered with
     * {@code "reconnect":true}; docs/protocol.md, section 9), so that clients reconnect at once to another node and
     * resume. In-process subscriptions ({@link #subscribe(String, Consumer)}) stay. Waits up to {@code timeout} for
     * the connections to be gone, then closes what is left with the same reason. Idempotent; any thread; blocks.
     *
     * @return the client connections that were open when the drain began
     */
    public int drain(java.time.Duration timeout) {
        boolean first = !draining;
        draining = true;
        List<Subscriber> remote = connections.stream().filter(s -> !(s.transport() instanceof ListenerTransport))
                .toList();
        if (first) {
            LOG.log(System.Logger.Level.INFO, () -> "draining: ending " + remote.size()
                    + " connections with 1012 service restart / herald-reconnect");
        }
        for (Subscriber s : remote) {
            s.closeGracefully(Disconnect.RESTART);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (remote.stream().anyMatch(s -> !s.isClosed()) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        for (Subscriber s : remote) {
            s.close(Disconnect.RESTART); // what did not take its farewell in time
        }
        return remote.size();
    }

    /** The open connections, for the admin page and the metrics: a snapshot, any thread. */
    public List<Subscriber> connections() {
        return List.copyOf(connections);
    }

    /** The channels with subscribers on this node, each with their number; a snapshot, any thread. */
    public java.util.Map<String, Integer> channelSubscribers() {
        return hub.counts();
    }

    /** Closes every connection ({@link Disconnect#SHUTDOWN}) and stops the fan-out threads. */
    @PreDestroy
    public void stop() {
        drain(config.ops().drainTimeout());
        timer.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Subscriber s : List.copyOf(connections)) {
            s.close(Disconnect.SHUTDOWN);
        }
        fanout.shutdown();
        try {
            if (!fanout.awaitTermination(5, TimeUnit.SECONDS)) {
                fanout.shutdownNow();
            }
        } catch (InterruptedException e) {
            fanout.shutdownNow();
            Thread.currentThread().interrupt();
        }
        try {
            jsonb.close();
        } catch (Exception e) {
            LOG.log(System.Logger.Level.DEBUG, "closing JSON-B", e);
        }
    }

    /** Delivers envelopes to an in-process listener. */
    private record ListenerTransport(Consumer<Envelope> listener) implements Transport {
        @Override
        public void write(List<Outbound> batch, WriteCallback callback) {
            for (Outbound item : batch) {
                if (item instanceof Envelope e) {
                    try {
                        listener.accept(e);
                    } catch (RuntimeException ex) {
                        LOG.log(System.Logger.Level.WARNING, "subscriber listener failed on " + e, ex);
                    }
                }
            }
            callback.succeeded();
        }

        @Override
        public void close(Disconnect reason) {
        }

        @Override
        public String name() {
            return "java";
        }
    }
}
