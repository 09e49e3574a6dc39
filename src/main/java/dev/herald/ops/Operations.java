package dev.herald.ops;

import dev.herald.core.Bus;
import dev.herald.core.HeraldConfig;
import dev.herald.core.Probe;
import dev.herald.core.Subscriber;
import dev.herald.core.Subscription;
import dev.herald.protocol.JsonText;
import dev.herald.security.Authenticator;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import java.io.StringReader;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Herald's operations side (README, "Operate"): it reads the core and never changes what it does for clients.
 * Created when the application starts; it
 * <ul>
 *   <li>hands the core an {@link OpsProbe} ({@link Bus#observe}), which feeds the metrics when Micrometer is on the
 *   class path and {@code herald.metrics} is on (else metrics are off and {@code {ctx}/metrics} answers 404);</li>
 *   <li>answers the health checks ({@link #health}), starts drains ({@link #drain}), and gives the admin page its
 *   tickets ({@link AdminTickets}) and snapshots ({@link #snapshot});</li>
 *   <li>on its one timer thread ({@code herald-ops}): samples the connections' queue depths every 5 s, publishes
 *   this node's snapshot on {@value AdminTickets#CHANNEL} every 2 s (each node does, so every admin page sees them
 *   all), and logs a summary line at INFO every {@code herald.log.summary}.</li>
 * </ul>
 * Thread-safe. Stopped (its timer and in-process subscription ended) when the application stops.
 */
@ApplicationScoped
public class Operations {
    private static final System.Logger LOG = System.getLogger(Operations.class.getName());
    /** How often a node publishes its admin snapshot. */
    static final long SNAPSHOT_MILLIS = 2000;
    /** A node not heard from in this long leaves the admin page's list. */
    static final long NODE_TIMEOUT_MILLIS = 10_000;
    /** Channels listed on the admin page. */
    static final int TOP_CHANNELS = 20;

    @Inject
    Bus bus;
    @Inject
    HeraldConfig config;
    @Inject
    Authenticator authenticator;

    private OpsProbe probe;
    private Object metrics; // HeraldMetrics when on: typed Object so this class loads without Micrometer
    private OpsAccess access;
    private final AdminTickets tickets = new AdminTickets();
    private ScheduledExecutorService timer;
    private Subscription feed;
    private final String node = nodeName();
    private final long started = System.currentTimeMillis();
    /** The other nodes' last snapshots (raw JSON), by node name, with when they came. */
    private final Map<String, Object[]> others = new ConcurrentHashMap<>();
    private volatile Map<String, Double> rates = Map.of();
    private long lastSummaryPublishes;
    private long lastSummaryDeliveries;

    @PostConstruct
    void start() {
        access = new OpsAccess(config.ops());
        Probe next = Probe.NONE;
        if (config.ops().metrics()) {
            metrics = Metrics.create(bus, config.engine());
            if (metrics != null) {
                next = (Probe) metrics;
            }
        }
        probe = new OpsProbe(next);
        bus.observe(probe);
        bus.systemReaders(AdminTickets::reader);
        authenticator.tickets(tickets::caller);
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "herald-ops");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(guard(this::sample), 5, 5, TimeUnit.SECONDS);
        if (config.ops().adminFeed()) {
            timer.scheduleWithFixedDelay(guard(this::publishSnapshot), SNAPSHOT_MILLIS, SNAPSHOT_MILLIS,
                    TimeUnit.MILLISECONDS);
        }
        long summary = config.ops().summary().toMillis();
        if (summary > 0) {
            timer.scheduleWithFixedDelay(guard(this::summary), summary, summary, TimeUnit.MILLISECONDS);
        }
        feed = bus.subscribe(AdminTickets.CHANNEL, envelope -> {
            if ("node".equals(envelope.event())) {
                String name = nodeOf(envelope.data());
                if (name != null && !name.equals(node)) {
                    others.put(name, new Object[] {envelope.data(), System.currentTimeMillis()});
                }
            }
        });
    }

    /** Creates the bean when the application starts, so that counting starts with the first connection. */
    void started(@Observes @Initialized(ApplicationScoped.class) Object event) {
        access.getClass(); // touch the proxy
    }

    @PreDestroy
    void stop() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (feed != null) {
            feed.close();
        }
        bus.observe(Probe.NONE);
        if (metrics instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.log(System.Logger.Level.DEBUG, "closing the metrics", e);
            }
        }
    }

    private static Runnable guard(Runnable task) {
        return () -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "operations task failed", e);
            }
        };
    }

    public OpsAccess access() {
        return access;
    }

    public AdminTickets tickets() {
        return tickets;
    }

    /** The metrics in the Prometheus text format, or null when metrics are off. */
    public String scrape() {
        return metrics == null ? null : Metrics.scrape(metrics);
    }

    /** Hands the container's thread pool gauges to the metrics (see {@code HeraldMetrics#containerThreads}). */
    public void containerThreads(java.util.function.Supplier<Map<String, Number>> pool) {
        if (metrics != null) {
            Metrics.containerThreads(metrics, pool);
        }
    }

    /** This node's name in the admin page and logs: host name and process id. */
    public String node() {
        return node;
    }

    /**
     * Drains this node in the background ({@link Bus#drain}, bounded by {@code herald.drain.timeout}); returns at
     * once. For {@code POST {ctx}/admin/drain}.
     */
    public void drainLater() {
        Thread t = new Thread(() -> bus.drain(config.ops().drainTimeout()), "herald-drain");
        t.setDaemon(true);
        t.start();
    }

    // ---- health ----

    /**
     * A health answer: {@code ready} false for liveness means nothing; for readiness, false while draining, or when
     * {@code herald.health.engine} is on and the engine cannot be reached. The JSON is MicroProfile Health's shape:
     * {@code {"status":"UP|DOWN","checks":[{"name":…,"status":…,"data":{…}}]}}.
     */
    public record Health(boolean up, String json) {
    }

    public Health live() {
        return new Health(true, "{\"status\":\"UP\",\"checks\":[{\"name\":\"herald\",\"status\":\"UP\","
                + "\"data\":{\"node\":" + JsonText.quote(node) + "}}]}");
    }

    public Health ready() {
        boolean draining = bus.draining();
        String engineDown = bus.engineUnreachable();
        boolean engineCounts = config.ops().readyNeedsEngine();
        boolean up = !draining && (engineDown == null || !engineCounts);
        StringBuilder b = new StringBuilder(256).append("{\"status\":\"").append(up ? "UP" : "DOWN")
                .append("\",\"checks\":[{\"name\":\"drain\",\"status\":\"").append(draining ? "DOWN" : "UP")
                .append("\",\"data\":{\"draining\":").append(draining).append("}},{\"name\":\"engine\",\"status\":\"")
                .append(engineDown == null ? "UP" : "DOWN").append("\",\"data\":{\"engine\":")
                .append(JsonText.quote(config.engine())).append(",\"required\":").append(engineCounts);
        if (engineDown != null) {
            b.append(",\"error\":").append(JsonText.quote(engineDown));
        }
        return new Health(up, b.append("}}]}").toString());
    }

    // ---- the admin page ----

    /**
     * This node's snapshot for the admin page, as JSON: {@code {"node","started","draining","engine":{"engine",
     * "reachable","error"},"connections":{"ws":N,…},"subscriptions":N,"channels":N,"totals":{"published",
     * "delivered","publishErrors","slow","refused"},"busiest":[{"channel","subscribers","rate"}],
     * "slow":[{"transport","queued","channels"}]}}}. {@code rate} is publishes per second over the last 2 s.
     */
    public String snapshot() {
        List<Subscriber> connections = bus.connections();
        Map<String, Integer> byTransport = new TreeMap<>(Map.of("ws", 0, "sse", 0, "poll", 0));
        for (Subscriber s : connections) {
            if (!"java".equals(s.transportName())) { // clients only; in-process listeners are the application's
                byTransport.merge(s.transportName(), 1, Integer::sum);
            }
        }
        Map<String, Integer> subscribers = new java.util.HashMap<>(bus.channelSubscribers());
        subscribers.keySet().removeIf(c -> c.startsWith(dev.herald.core.Names.SYSTEM_PREFIX)); // the page's own
        Map<String, Double> r = rates;
        List<String> busiest = new ArrayList<>(subscribers.keySet());
        for (String c : r.keySet()) {
            if (!subscribers.containsKey(c)) {
                busiest.add(c);
            }
        }
        busiest.sort(Comparator.comparingDouble((String c) -> r.getOrDefault(c, 0.0))
                .thenComparingInt(c -> subscribers.getOrDefault(c, 0)).reversed().thenComparing(c -> c));
        String engineDown = bus.engineUnreachable();
        StringBuilder b = new StringBuilder(1024).append("{\"node\":").append(JsonText.quote(node))
                .append(",\"started\":").append(started).append(",\"at\":").append(System.currentTimeMillis())
                .append(",\"draining\":").append(bus.draining())
                .append(",\"engine\":{\"engine\":").append(JsonText.quote(config.engine()))
                .append(",\"reachable\":").append(engineDown == null);
        if (engineDown != null) {
            b.append(",\"error\":").append(JsonText.quote(engineDown));
        }
        b.append("},\"connections\":{");
        String sep = "";
        for (var e : byTransport.entrySet()) {
            b.append(sep).append(JsonText.quote(e.getKey())).append(':').append(e.getValue());
            sep = ",";
        }
        b.append("},\"subscriptions\":").append(subscribers.values().stream().mapToInt(Integer::intValue).sum())
                .append(",\"channels\":").append(subscribers.size())
                .append(",\"totals\":{\"published\":").append(probe.publishes.sum())
                .append(",\"delivered\":").append(probe.deliveries.sum())
                .append(",\"publishErrors\":").append(probe.publishErrors.sum())
                .append(",\"slow\":").append(probe.slow.sum())
                .append(",\"refused\":").append(probe.refused.sum()).append("},\"busiest\":[");
        sep = "";
        for (String c : busiest.subList(0, Math.min(TOP_CHANNELS, busiest.size()))) {
            b.append(sep).append("{\"channel\":").append(JsonText.quote(c)).append(",\"subscribers\":")
                    .append(subscribers.getOrDefault(c, 0)).append(",\"rate\":")
                    .append(String.format(java.util.Locale.ROOT, "%.2f", r.getOrDefault(c, 0.0))).append('}');
            sep = ",";
        }
        b.append("],\"slow\":[");
        sep = "";
        List<Subscriber> behind = connections.stream().filter(s -> s.queued() > 0)
                .sorted(Comparator.comparingInt(Subscriber::queued).reversed()).limit(10).toList();
        for (Subscriber s : behind) {
            b.append(sep).append("{\"transport\":").append(JsonText.quote(s.transportName()))
                    .append(",\"queued\":").append(s.queued()).append(",\"channels\":").append(s.channels().size())
                    .append('}');
            sep = ",";
        }
        return b.append("]}").toString();
    }

    /** Every node's snapshot, this one first: {@code {"nodes":[snapshot,…]}}. */
    public String cluster() {
        long now = System.currentTimeMillis();
        others.values().removeIf(v -> now - (Long) v[1] > NODE_TIMEOUT_MILLIS);
        StringBuilder b = new StringBuilder("{\"nodes\":[").append(snapshot());
        for (Object[] v : others.values()) {
            b.append(',').append((String) v[0]);
        }
        return b.append("]}").toString();
    }

    private void publishSnapshot() {
        Map<String, Long> counts = probe.takeChannelCounts();
        Map<String, Double> next = new java.util.HashMap<>();
        counts.forEach((c, n) -> next.put(c, n * 1000.0 / SNAPSHOT_MILLIS));
        next.remove(AdminTickets.CHANNEL);
        rates = next;
        try {
            bus.publishJson(dev.herald.security.Caller.SYSTEM, AdminTickets.CHANNEL, "node", snapshot());
        } catch (RuntimeException e) { // the engine is down: the page shows the last snapshot, and why
            LOG.log(System.Logger.Level.DEBUG, () -> "admin snapshot not published: " + e.getMessage());
        }
    }

    private void sample() {
        if (metrics != null) {
            Metrics.sample(metrics, bus.connections());
        }
    }

    private void summary() {
        long published = probe.publishes.sum();
        long delivered = probe.deliveries.sum();
        Map<String, Integer> byTransport = new TreeMap<>();
        for (Subscriber s : bus.connections()) {
            byTransport.merge(s.transportName(), 1, Integer::sum);
        }
        long p = published - lastSummaryPublishes;
        long d = delivered - lastSummaryDeliveries;
        lastSummaryPublishes = published;
        lastSummaryDeliveries = delivered;
        LOG.log(System.Logger.Level.INFO, () -> "connections " + byTransport + ", channels "
                + bus.activeChannelCount() + "; since the last summary: " + p + " published, " + d + " delivered; "
                + "totals: " + probe.slow.sum() + " slow-consumer disconnects, " + probe.refused.sum() + " refusals, "
                + probe.engineErrors.sum() + " engine errors" + (bus.draining() ? "; DRAINING" : ""));
    }

    private static String nodeOf(String json) {
        try (JsonReader r = Json.createReader(new StringReader(json))) {
            JsonObject o = r.readObject();
            return o.getString("node", null);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static String nodeName() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException | RuntimeException e) {
            host = "localhost";
        }
        String jvm = ManagementFactory.getRuntimeMXBean().getName(); // pid@host
        int at = jvm.indexOf('@');
        return host + ":" + (at > 0 ? jvm.substring(0, at) : jvm) + ":" + Long.toString(
                System.identityHashCode(Operations.class), 36);
    }
}
