package dev.herald.ops.metrics;

import dev.herald.core.Bus;
import dev.herald.core.Disconnect;
import dev.herald.core.Envelope;
import dev.herald.core.ErrorCode;
import dev.herald.core.Gap;
import dev.herald.core.Namespace;
import dev.herald.core.Probe;
import dev.herald.core.Subscriber;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Herald's metrics in Micrometer, scraped in the Prometheus text format at {@code {ctx}/metrics}. Names follow
 * Prometheus' conventions: the {@code herald_} prefix, {@code _total} on counters, seconds; the table is in
 * docs/operations.md. JVM metrics come from Micrometer's binders (memory, GC, threads, class loading, CPU, uptime),
 * and the container's thread pool from what the standalone runner hands over ({@link #containerThreads}).
 *
 * <p>The only class of Herald that touches Micrometer: the rest of {@code dev.herald.ops} loads it only when
 * Micrometer is on the class path (the WARs and the standalone runner have it; the library jar leaves it to the
 * application). As a {@link Probe}: thread-safe, lock-free on the hot paths (meters are looked up once per
 * transport and cached).
 */
public final class HeraldMetrics implements Probe, AutoCloseable {
    /** The scrape's {@code Content-Type}: Prometheus text format 0.0.4. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    private static final Duration[] LATENCY_BUCKETS = {
            Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
            Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
            Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10)};
    /** The policies that keep a slow subscriber connected: what they did is counted (disconnects are counted apart). */
    private static final Namespace.SlowConsumer[] POLICIES = {Namespace.SlowConsumer.DROP_OLDEST,
            Namespace.SlowConsumer.CONFLATE};

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final String engine;
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private final Map<String, AtomicLong> open = new ConcurrentHashMap<>();
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();
    /** The per-delivery meters, by transport: looked up once per delivery without building a key. */
    private final Map<String, Counter> deliveries = new ConcurrentHashMap<>();
    private final Map<String, Timer> latencies = new ConcurrentHashMap<>();
    private final DistributionSummary queueDepth;
    private final AtomicLong queueDepthMax = new AtomicLong();

    /**
     * @param bus    read for the gauges that are cheaper to read than to count (subscriptions, channels)
     * @param engine {@code herald.engine}, the {@code engine} tag of the engine metrics
     */
    public HeraldMetrics(Bus bus, String engine) {
        this.engine = engine;
        // no pause detector: the default one runs a thread of its own, which an undeploy would leave behind
        registry.config().pauseDetector(new io.micrometer.core.instrument.distribution.pause.NoPauseDetector());
        // two of Micrometer's JVM names break Prometheus' naming rules (promtool check metrics): a count that is a
        // gauge, and a unit abbreviated (process_cpu_usage and the GC and thread metrics remain)
        registry.config().meterFilter(new MeterFilter() {
            @Override
            public Meter.Id map(Meter.Id id) {
                return "system.cpu.count".equals(id.getName()) ? id.withName("system.cpus") : id;
            }
        }).meterFilter(MeterFilter.denyNameStartsWith("process.cpu.time"));
        for (String t : new String[] {"ws", "sse", "poll"}) {
            gaugeOf(t); // present (at 0) from the start, so that a query never finds nothing
            counter("herald.publishes", "Messages published, by the publisher's transport", "transport", t);
            counter("herald.deliveries", "Messages written to subscribers, by transport", "transport", t);
            for (Namespace.SlowConsumer p : POLICIES) {
                behindCounter(t, p);
                skippedCounter(t, p);
            }
        }
        counter("herald.publishes", "Messages published, by the publisher's transport", "transport", "http");
        Gauge.builder("herald.subscriptions", bus, b -> b.channelSubscribers().values().stream()
                        .mapToInt(Integer::intValue).sum())
                .description("Subscriptions on this node (a connection subscribed to 3 channels counts 3)")
                .register(registry);
        Gauge.builder("herald.channels", bus, Bus::activeChannelCount)
                .description("Channels with at least one subscriber on this node").register(registry);
        Gauge.builder("herald.draining", bus, b -> b.draining() ? 1 : 0)
                .description("1 while this node drains (not ready; new connections refused)").register(registry);
        queueDepth = DistributionSummary.builder("herald.subscriber.queue.depth")
                .description("Messages waiting in each connection's outgoing queue, sampled every few seconds")
                .baseUnit("messages")
                .serviceLevelObjectives(1, 10, 100, 1000, 4096, 16384)
                .register(registry);
        Gauge.builder("herald.subscriber.queue.depth.max", queueDepthMax, AtomicLong::get)
                .description("The longest outgoing queue at the last sample").baseUnit("messages")
                .register(registry);
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
    }

    /**
     * Gauges of the container's request thread pool, from a supplier the standalone runner hands over as the context
     * attribute {@code dev.herald.container.threads} (JDK types only: the runner's classes are not the WAR's):
     * {@code min}, {@code max}, {@code current}, {@code busy}, {@code idle}, {@code queue}. Named as Micrometer's
     * Jetty binder names them ({@code jetty_threads_*}).
     */
    public void containerThreads(Supplier<Map<String, Number>> pool) {
        Map<String, String[]> names = Map.of(
                "min", new String[] {"jetty.threads.config.min", "The minimum number of threads in the pool"},
                "max", new String[] {"jetty.threads.config.max", "The maximum number of threads in the pool"},
                "current", new String[] {"jetty.threads.current", "The total number of threads in the pool"},
                "busy", new String[] {"jetty.threads.busy", "The number of busy threads in the pool"},
                "idle", new String[] {"jetty.threads.idle", "The number of idle threads in the pool"},
                "queue", new String[] {"jetty.threads.jobs", "Jobs queued waiting for a thread"});
        names.forEach((key, name) -> Gauge.builder(name[0], pool, p -> {
            Number n = p.get().get(key);
            return n == null ? Double.NaN : n.doubleValue();
        }).description(name[1]).register(registry));
    }

    /** Samples every connection's queue depth into the distribution; called every few seconds by ops' timer. */
    public void sample(Iterable<Subscriber> connections) {
        long max = 0;
        for (Subscriber s : connections) {
            int q = s.queued();
            queueDepth.record(q);
            max = Math.max(max, q);
        }
        queueDepthMax.set(max);
    }

    /** The Prometheus text format of every metric. Any thread. */
    public String scrape() {
        return registry.scrape();
    }

    private AtomicLong gaugeOf(String transport) {
        return open.computeIfAbsent(transport, t -> {
            AtomicLong n = new AtomicLong();
            Gauge.builder("herald.connections", n, AtomicLong::get)
                    .description("Open connections on this node, by transport").tag("transport", t)
                    .register(registry);
            return n;
        });
    }

    private Counter counter(String name, String description, String... tags) {
        String key = name + '|' + String.join("|", tags);
        Counter c = counters.get(key);
        if (c == null) {
            c = counters.computeIfAbsent(key, k -> Counter.builder(name).description(description).tags(tags)
                    .register(registry));
        }
        return c;
    }

    private Timer timer(String key, Function<String, Timer> create) {
        Timer t = timers.get(key);
        return t != null ? t : timers.computeIfAbsent(key, create);
    }

    @Override
    public void opened(String transport) {
        gaugeOf(transport).incrementAndGet();
        counter("herald.connections.opened", "Connections opened, by transport", "transport", transport).increment();
    }

    @Override
    public void closed(String transport, Disconnect reason, long openNanos, int channels) {
        gaugeOf(transport).decrementAndGet();
        String code = reason == null ? "1000" : Integer.toString(reason.code());
        counter("herald.connections.closed", "Connections closed, by transport and close code (docs/protocol.md)",
                "transport", transport, "code", code).increment();
        if (Disconnect.SLOW.equals(reason) || Disconnect.WRITE_TIMEOUT.equals(reason)) {
            counter("herald.slow.consumer.disconnects",
                    "Connections closed because they could not keep up (queue full or write timed out)",
                    "transport", transport, "reason", Disconnect.SLOW.equals(reason) ? "queue_full" : "write_timeout")
                    .increment();
        }
    }

    @Override
    public void published(String transport, Envelope envelope) {
        counter("herald.publishes", "Messages published, by the publisher's transport", "transport", transport)
                .increment();
    }

    @Override
    public void publishFailed(String transport, ErrorCode code) {
        counter("herald.publish.errors", "Publishes refused or failed, by transport and error code",
                "transport", transport, "code", code.wire()).increment();
    }

    @Override
    public void delivered(String transport, Envelope envelope, long latencyMillis) {
        Counter c = deliveries.get(transport);
        if (c == null) {
            c = deliveries.computeIfAbsent(transport, t -> counter("herald.deliveries",
                    "Messages written to subscribers, by transport", "transport", t));
        }
        c.increment();
        Timer t = latencies.get(transport);
        if (t == null) {
            t = latencies.computeIfAbsent(transport, x -> Timer.builder("herald.delivery.latency")
                    .description("From publish (the envelope's ts) to the write to a subscriber completing")
                    .tags(Tags.of("transport", x)).serviceLevelObjectives(LATENCY_BUCKETS).register(registry));
        }
        t.record(Math.max(0, latencyMillis), TimeUnit.MILLISECONDS);
    }

    @Override
    public void resumed(String transport, String channel) {
        counter("herald.resumes", "Subscriptions resumed from a position (since, Last-Event-ID, poll cursor)",
                "transport", transport).increment();
    }

    @Override
    public void gap(String transport, Gap gap) {
        counter("herald.gaps", "Gaps told to resuming subscribers (history no longer held what they missed)",
                "transport", transport, "reset", Boolean.toString(gap.reset())).increment();
    }

    private Counter behindCounter(String transport, Namespace.SlowConsumer policy) {
        return counter("herald.slow.consumer.behind",
                "Times a subscription fell behind and its namespace's slow-consumer policy held its envelopes",
                "transport", transport, "policy", policy.wire());
    }

    private Counter skippedCounter(String transport, Namespace.SlowConsumer policy) {
        return counter("herald.slow.consumer.skipped",
                "Envelopes a subscriber that fell behind was not sent: dropped (drop-oldest) or superseded (conflate)",
                "transport", transport, "policy", policy.wire());
    }

    @Override
    public void fellBehind(String transport, Namespace.SlowConsumer policy) {
        behindCounter(transport, policy).increment();
    }

    @Override
    public void skipped(String transport, Namespace.SlowConsumer policy, int envelopes) {
        skippedCounter(transport, policy).increment(envelopes);
    }

    @Override
    public void refused(String transport, ErrorCode code) {
        counter("herald.auth.refusals", "Actions the Authorizer refused, by transport and code",
                "transport", transport, "code", code.wire()).increment();
    }

    @Override
    public void engine(String operation, long nanos, ErrorCode failure) {
        timer("engine|" + operation, k -> Timer.builder("herald.engine.latency")
                .description("Round trip of a call to the engine (Redis: one command or script)")
                .tags(Tags.of("engine", engine, "operation", operation)).serviceLevelObjectives(LATENCY_BUCKETS)
                .register(registry)).record(nanos, TimeUnit.NANOSECONDS);
        if (failure != null) {
            counter("herald.engine.errors", "Calls to the engine that failed, by operation and code",
                    "engine", engine, "operation", operation, "code", failure.wire()).increment();
        }
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
