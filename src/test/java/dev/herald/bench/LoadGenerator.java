package dev.herald.bench;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.StringRequestContent;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.io.ArrayByteBufferPool;
import org.eclipse.jetty.util.component.LifeCycle;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;
import org.eclipse.jetty.websocket.client.WebSocketClient;

/**
 * Opens N subscribers to one {@link Target} and drives publishes at them, counting what arrives. Subscribers are
 * spread over several loopback source addresses (127.0.0.1, .2, …) so that tens of thousands of connections never
 * run out of ephemeral ports; each address has its own Jetty client, all sharing one thread pool.
 *
 * <ul>
 *   <li>{@link #closedLoop}: at most {@code window} messages in flight, a message leaving the window when it has
 *       reached every subscriber; measures the deliveries per second the server sustains.</li>
 *   <li>{@link #openLoop}: publishes at a fixed rate chosen for a target number of deliveries per second; latency is
 *       counted from each message's scheduled send time, so a stall is not hidden by the publisher waiting.</li>
 * </ul>
 * Publishes are HTTP POSTs of {@link Payload#json}. Not thread-safe: one phase at a time.
 *
 * <p>Given several targets (Herald nodes sharing one Redis, all of one transport), subscriber {@code i} connects to
 * target {@code i % targets} and message {@code seq} is published on target {@code seq % targets}: subscribers and
 * publishers spread evenly over the nodes.
 */
public final class LoadGenerator implements AutoCloseable {
    /** Connections per loopback source address. */
    public static final int PER_ADDRESS = 4000;
    private static final long QUIET_NANOS = TimeUnit.SECONDS.toNanos(5);
    private final List<Target> targets;
    private final QueuedThreadPool pool;
    private final ScheduledExecutorScheduler scheduler;
    private final ArrayByteBufferPool buffers = new ArrayByteBufferPool();
    private final List<HttpClient> clients = new ArrayList<>();
    private final List<WebSocketClient> wsClients = new ArrayList<>();
    private boolean offerDeflate;
    private final HttpClient publisher;
    private final List<Connection> connections = new ArrayList<>();
    private final LongAdder errors = new LongAdder();
    private volatile Phase phase;
    private volatile String firstPublishError;
    private long nextSeq = 1;

    /** Connect figures: how long N subscribers took to be subscribed, and how many failed. */
    public record Connected(int subscribers, int failed, double seconds, double p50Millis, double p99Millis) {
    }

    /** The outcome of one phase. Latencies in microseconds. */
    public record Outcome(String kind, long published, long delivered, long duplicates, long lost, long publishErrors,
                          long connectionErrors, double seconds, Histogram latency, ServerProcess.Usage usage,
                          ServerProcess.Usage clientUsage) {
        /** First deliveries per second. */
        public double rate() {
            return seconds <= 0 ? 0 : delivered / seconds;
        }
    }

    /**
     * Makes the WebSocket subscribers offer permessage-deflate (RFC 7692) as browsers do
     * ({@code permessage-deflate; client_max_window_bits}); the server decides whether to take it. Call before
     * {@link #connect}.
     */
    public LoadGenerator offerDeflate(boolean offer) {
        this.offerDeflate = offer;
        return this;
    }

    /** The extensions the server accepted on the first WebSocket subscriber, e.g. {@code [permessage-deflate]}. */
    public List<String> negotiatedExtensions() {
        for (Connection c : connections) {
            if (c instanceof WsConnection ws) {
                return ws.extensions();
            }
        }
        return List.of();
    }

    public LoadGenerator(Target target) throws Exception {
        this(List.of(target));
    }

    /** Subscribers and publishes spread over {@code targets} (one transport), round robin. */
    public LoadGenerator(List<Target> targets) throws Exception {
        if (targets.isEmpty() || targets.stream().map(Target::transport).distinct().count() != 1) {
            throw new IllegalArgumentException("targets of one transport, at least one: " + targets);
        }
        this.targets = List.copyOf(targets);
        pool = new QueuedThreadPool(Math.max(16, 4 * Runtime.getRuntime().availableProcessors()), 4);
        pool.setName("bench");
        pool.setDaemon(true);
        scheduler = new ScheduledExecutorScheduler("bench-scheduler", true);
        LifeCycle.start(pool);
        LifeCycle.start(scheduler);
        publisher = httpClient("127.0.0.1");
        publisher.setMaxConnectionsPerDestination(256);
        publisher.setIdleTimeout(20_000); // below Jetty's 30 s, so the client closes idle connections first; peers never do
        publisher.start();
    }

    private HttpClient httpClient(String bindAddress) {
        HttpClient http = new HttpClient();
        http.setExecutor(pool);
        http.setScheduler(scheduler);
        http.setByteBufferPool(buffers);
        http.setBindAddress(new InetSocketAddress(bindAddress, 0));
        http.setMaxConnectionsPerDestination(200_000);
        http.setMaxRequestsQueuedPerDestination(200_000);
        http.setIdleTimeout(0);
        http.setConnectTimeout(30_000);
        http.setFollowRedirects(false);
        return http;
    }

    /**
     * Opens {@code n} subscribers, at most {@code concurrency} connecting at a time, and waits until each one is
     * subscribed or failed.
     */
    public Connected connect(int n, int concurrency) throws Exception {
        int addresses = Math.max(1, (n + PER_ADDRESS - 1) / PER_ADDRESS);
        for (int i = clients.size(); i < addresses; i++) {
            HttpClient http = httpClient("127.0.0." + (1 + i));
            http.start();
            clients.add(http);
            if (transport().equals("ws")) {
                WebSocketClient ws = new WebSocketClient(http);
                ws.setIdleTimeout(Duration.ZERO);
                ws.setMaxTextMessageSize(1 << 20);
                ws.start();
                wsClients.add(ws);
            }
        }
        Semaphore inflight = new Semaphore(concurrency);
        Histogram times = new Histogram(3);
        long start = System.nanoTime();
        List<CompletableFuture<Void>> all = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            inflight.acquire();
            Connection c = open(i % addresses);
            c.ready.whenComplete((v, e) -> inflight.release());
            all.add(c.ready);
        }
        int failed = 0;
        Throwable firstFailure = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); // for all together, not 60 s each
        for (int i = 0; i < all.size(); i++) {
            try {
                all.get(i).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                Connection c = connections.get(connections.size() - n + i);
                times.recordValue(Math.max(0, (c.readyAt - c.startedAt) / 1000));
            } catch (java.util.concurrent.ExecutionException | TimeoutException e) {
                failed++;
                if (firstFailure == null) {
                    firstFailure = e instanceof java.util.concurrent.ExecutionException ? e.getCause() : e;
                    System.out.println("  first subscriber failure: " + firstFailure);
                }
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Connected(n, failed, seconds, times.getValueAtPercentile(50) / 1000.0,
                times.getValueAtPercentile(99) / 1000.0);
    }

    private String transport() {
        return targets.get(0).transport();
    }

    private Connection open(int address) throws Exception {
        Runnable onError = errors::increment;
        Connection c;
        Target target = targets.get(connections.size() % targets.size());
        if (target.transport().equals("ws")) {
            WsConnection ws = new WsConnection(target.dialect(), () -> phase, onError);
            c = ws;
            c.startedAt = System.nanoTime();
            org.eclipse.jetty.websocket.client.ClientUpgradeRequest upgrade =
                    new org.eclipse.jetty.websocket.client.ClientUpgradeRequest();
            if (offerDeflate) {
                upgrade.addExtensions(org.eclipse.jetty.websocket.api.ExtensionConfig.parse(
                        "permessage-deflate; client_max_window_bits"));
            }
            wsClients.get(address).connect(ws, target.subscribe(), upgrade).whenComplete((s, e) -> {
                if (e != null) {
                    ws.failed(e);
                }
            });
        } else {
            SseConnection sse = new SseConnection(() -> phase, onError);
            c = sse;
            c.startedAt = System.nanoTime();
            clients.get(address).newRequest(target.subscribe())
                    .headers(h -> h.put(HttpHeader.ACCEPT, "text/event-stream"))
                    .idleTimeout(1, TimeUnit.DAYS)
                    .send(sse);
        }
        connections.add(c);
        return c;
    }

    /** Subscribers open now. */
    public int subscribers() {
        return connections.size();
    }

    /**
     * Publishes flat out for {@code duration} with at most {@code window} messages not yet delivered to every
     * subscriber, then waits for the last deliveries.
     */
    public Outcome closedLoop(Duration duration, int window, UsageProbe probe) {
        int n = connections.size();
        int capacity = 4_000_000 / Math.max(1, n) + 1000;
        Phase p = begin(capacity, n, new Semaphore(window));
        ServerProcess.Usage before = probe.get();
        ServerProcess.Usage self = ServerProcess.usage(ProcessHandle.current().pid());
        long start = System.nanoTime();
        long deadline = start + duration.toNanos();
        long published = 0;
        try {
            while (System.nanoTime() < deadline && published < capacity) {
                if (!p.window.tryAcquire(QUIET_NANOS, TimeUnit.NANOSECONDS)) {
                    break; // stalled: something was lost; the drain below reports it
                }
                publish(p, p.base + published, System.nanoTime());
                published++;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return finish("closed", p, published, start, before, self, probe);
    }

    /**
     * Publishes at {@code deliveriesPerSecond / subscribers} messages per second for {@code duration} (at least
     * {@code minMessages}), then waits for the last deliveries. Latency counts from each scheduled send time.
     */
    public Outcome openLoop(double deliveriesPerSecond, Duration duration, int minMessages, UsageProbe probe) {
        int n = connections.size();
        double rate = deliveriesPerSecond / n;
        int count = (int) Math.max(minMessages, Math.round(rate * duration.toNanos() / 1e9));
        long interval = (long) (1e9 / rate);
        Phase p = begin(count, n, null);
        ServerProcess.Usage before = probe.get();
        ServerProcess.Usage self = ServerProcess.usage(ProcessHandle.current().pid());
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
        for (int i = 0; i < count; i++) {
            long due = start + i * interval;
            long wait;
            while ((wait = due - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
            }
            publish(p, p.base + i, due);
        }
        return finish("open", p, count, start, before, self, probe);
    }

    private Phase begin(int capacity, int n, Semaphore window) {
        Phase p = new Phase(nextSeq, capacity, n, window);
        nextSeq += capacity;
        phase = p;
        return p;
    }

    private void publish(Phase p, long seq, long due) {
        publisher.newRequest(targets.get((int) (seq % targets.size())).publish()).method(HttpMethod.POST)
                .idleTimeout(2, TimeUnit.MINUTES) // a backlogged peer may answer late; the message still counts
                .body(new StringRequestContent("application/json", Payload.json(seq, due)))
                .send(result -> {
                    if (result.isFailed() || result.getResponse().getStatus() >= 300) {
                        if (firstPublishError == null) {
                            firstPublishError = result.isFailed() ? String.valueOf(result.getFailure())
                                    : "HTTP " + result.getResponse().getStatus();
                            System.out.println("  first publish error: " + firstPublishError);
                        }
                        p.publishErrors.increment();
                    }
                });
    }

    private Outcome finish(String kind, Phase p, long published, long start, ServerProcess.Usage before,
                           ServerProcess.Usage self, UsageProbe probe) {
        long expected = published * p.subscribers;
        long seen = -1;
        long quietSince = System.nanoTime();
        while (p.delivered.sum() < expected) {
            long now = p.delivered.sum();
            if (now != seen) {
                seen = now;
                quietSince = System.nanoTime();
            } else if (System.nanoTime() - quietSince > QUIET_NANOS) {
                break;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        ServerProcess.Usage used = probe.get().minus(before);
        ServerProcess.Usage client = ServerProcess.usage(ProcessHandle.current().pid()).minus(self);
        long delivered = p.delivered.sum();
        long last = p.lastDelivery.get();
        double seconds = last == Long.MIN_VALUE ? 0 : (last - start) / 1e9;
        return new Outcome(kind, published, delivered, p.duplicates.sum(), expected - delivered,
                p.publishErrors.sum(), errors.sumThenReset(), seconds, p.latency(), used, client);
    }

    /** Server usage at one moment; {@link #NONE} when the server is not ours to look at. */
    @FunctionalInterface
    public interface UsageProbe {
        UsageProbe NONE = () -> new ServerProcess.Usage(0, 0, 0);

        ServerProcess.Usage get();

    }

    @Override
    public void close() {
        phase = null;
        for (Connection c : connections) {
            try {
                c.close();
            } catch (RuntimeException e) {
                // closing anyway
            }
        }
        for (WebSocketClient ws : wsClients) {
            LifeCycle.stop(ws);
        }
        for (HttpClient http : clients) {
            LifeCycle.stop(http);
        }
        LifeCycle.stop(publisher);
        LifeCycle.stop(scheduler);
        LifeCycle.stop(pool);
    }
}
