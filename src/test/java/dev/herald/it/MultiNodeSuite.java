package dev.herald.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * docs/scaling.md, "Tested": several Herald nodes (standalone runners with {@code herald.engine=redis}) on one Redis
 * serve one set of channels. A subclass provides the Redis: {@link MultiNodeRedisIT} one {@code redis-server} (and
 * the Redis outage cases), {@link MultiNodeRedisClusterIT} a three-master Redis Cluster with each test's channels
 * spread over every master. Node {@code a} runs the demo ticker (a publisher in Java, through the {@code Bus}), node
 * {@code b} does not; the churn case adds a third. Embedded only: the nodes and Redis are started here.
 *
 * <p>Every case checks offsets and ids, not only counts, and waits for the last expected envelope before comparing
 * whole lists, so that a duplicate (which would arrive before it, a channel being delivered in order) fails too.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class MultiNodeSuite {
    /** The longest a test waits for a delivery or a node: generous, the machine is shared. */
    static final Duration WAIT = Duration.ofSeconds(60);
    /** Channels of the demo ticker (dev.herald.demo.StockTicker) compared on both nodes. */
    static final List<String> TICKER = List.of("prices:ACME", "prices:BOLT", "prices:CRUX");

    String redisUrl;
    HeraldTarget.Standalone a;
    HeraldTarget.Standalone b;

    /** Starts this class's Redis; returns the {@code herald.redis.url} for it. */
    abstract String startRedis();

    abstract void stopRedis();

    /** Fresh channel names for one test, at least one (on a cluster, some on every master). */
    abstract List<String> channels(String prefix);

    /** Names the nodes' logs: {@code target/<name>-a.log}. */
    abstract String name();

    @BeforeAll
    void startNodes() {
        assumeTrue(System.getProperty("herald.test.url", "").isBlank(), "starts Redis and nodes of its own");
        redisUrl = startRedis();
        CompletableFuture<HeraldTarget.Standalone> second = CompletableFuture.supplyAsync(
                () -> node(name() + "-b", redisUrl, false), MultiNodeSuite::inNewThread);
        try {
            a = node(name() + "-a", redisUrl, true);
        } finally {
            b = second.join();
        }
    }

    /** Nodes without the ticker, started side by side (a start takes seconds on a loaded machine). */
    static List<HeraldTarget.Standalone> nodes(String url, String... names) {
        List<CompletableFuture<HeraldTarget.Standalone>> starting = new ArrayList<>();
        for (String name : names) {
            starting.add(CompletableFuture.supplyAsync(() -> node(name, url, false), MultiNodeSuite::inNewThread));
        }
        List<HeraldTarget.Standalone> started = new ArrayList<>();
        RuntimeException failed = null;
        for (CompletableFuture<HeraldTarget.Standalone> s : starting) {
            try {
                started.add(s.join());
            } catch (RuntimeException e) {
                failed = e;
            }
        }
        if (failed != null) {
            close(started.toArray(AutoCloseable[]::new));
            throw failed;
        }
        return started;
    }

    @AfterAll
    void stopNodes() {
        close(a, b);
        if (redisUrl != null) {
            stopRedis();
        }
    }

    /** An executor for a start: a thread of its own (the common pool has one thread on two cores). */
    private static void inNewThread(Runnable task) {
        Thread t = new Thread(task, "multinode-start");
        t.setDaemon(true);
        t.start();
    }

    /**
     * A node on {@code url}; {@code ticker}: whether it runs the demo ticker (one node only, as README says). Redis
     * commands may take 5 s rather than 2 before {@code unavailable}: the machine is shared, and a node that is not
     * connected refuses at once whatever the setting. The ticker's {@code prices} namespace, which conflates for
     * slow subscribers by default, sends every envelope here, so that offsets can be compared one by one on a loaded
     * machine (conflation is ConflationIT's).
     */
    static HeraldTarget.Standalone node(String name, String url, boolean ticker) {
        return HeraldTarget.startAnother(name, "-Xmx256m", "-Dherald.engine=redis", "-Dherald.redis.url=" + url,
                "-Dherald.ticker=" + ticker, "-Dherald.ticker.interval=200ms", "-Dherald.sse.heartbeat=1s",
                "-Dherald.poll.timeout=2s", "-Dherald.redis.timeout=5s",
                "-Dherald.ns.prices.slow-consumer=disconnect");
    }

    static void close(AutoCloseable... all) {
        for (AutoCloseable c : all) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception e) {
                    // stopping anyway
                }
            }
        }
    }

    // ---- the cases ----

    /** docs/protocol.md section 2: one publish, one envelope, the same on every transport, on every node. */
    @Test
    void aWebSocketOnAAndAnSseStreamOnBGetTheSameEnvelopesForPublishesOverHttpOnAAndOverWebSocketOnB() {
        List<String> channels = channels("same");
        try (WsClient onA = WsClient.connect(ws(a)); SseClient onB = sse(b, channels, Map.of());
             WsClient publisherOnB = WsClient.connect(ws(b))) {
            subscribeAll(channels, List.of(onA), List.of(onB));
            Map<String, List<String>> ids = new LinkedHashMap<>();
            for (int i = 1; i <= 10; i++) {
                for (String channel : channels) {
                    JsonObject answer = i % 2 == 1 ? publish(a, channel, Integer.toString(i))
                            : publishWs(publisherOnB, channel, Integer.toString(i));
                    assertThat(answer.getJsonNumber("offset").longValue()).isEqualTo(i);
                    ids.computeIfAbsent(channel, k -> new ArrayList<>()).add(answer.getString("id"));
                }
            }
            for (String channel : channels) {
                List<JsonObject> ws = awaitMessages(onA, channel, 10);
                List<JsonObject> sse = awaitEnvelopes(onB, channel, 10);
                assertThat(offsets(ws)).as(channel).containsExactlyElementsOf(range(1, 10));
                assertThat(ws).extracting(o -> o.getString("id")).containsExactlyElementsOf(ids.get(channel));
                assertThat(ws).extracting(o -> o.getInt("data")).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
                assertThat(sse).as("SSE on b, the same envelopes as the WebSocket on a")
                        .containsExactlyElementsOf(ws.stream().map(MultiNodeSuite::envelope).toList());
            }
            assertNoGap(onA, onB);
        }
    }

    /** The demo ticker publishes from Java on node a only; both nodes deliver its envelopes alike. */
    @Test
    void theTickerPublishingFromJavaOnAReachesAWebSocketOnAAndAnSseStreamOnBAlike() {
        Map<String, JsonObject> at = new LinkedHashMap<>();
        for (String channel : TICKER) {
            at.put(channel, info(b, channel));
        }
        String token = at.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue().getString("epoch") + "-"
                + latest(e.getValue())).collect(Collectors.joining(","));
        try (WsClient onA = WsClient.connect(ws(a)); SseClient onB = sse(b, TICKER, Map.of("Last-Event-ID", token))) {
            assertThat(onB.status()).isEqualTo(200);
            for (String channel : TICKER) {
                JsonObject subscribed = subscribe(onA, channel, latest(at.get(channel)),
                        at.get(channel).getString("epoch"));
                assertThat(subscribed.getString("epoch")).isEqualTo(at.get(channel).getString("epoch"));
            }
            for (String channel : TICKER) {
                long from = latest(at.get(channel));
                List<JsonObject> ws = awaitMessages(onA, channel, 5);
                List<JsonObject> sse = awaitEnvelopes(onB, channel, 5);
                int n = Math.min(ws.size(), sse.size());
                assertThat(offsets(ws.subList(0, n))).as(channel).containsExactlyElementsOf(range(from + 1, from + n));
                assertThat(sse.subList(0, n)).as(channel + " on b as on a")
                        .containsExactlyElementsOf(ws.subList(0, n).stream().map(MultiNodeSuite::envelope).toList());
                assertThat(ws).allSatisfy(o -> {
                    assertThat(o.getString("event")).isEqualTo("price");
                    assertThat(o.getJsonObject("data").getString("symbol")).isEqualTo(channel.substring(7));
                    assertThat(epoch(o)).isEqualTo(at.get(channel).getString("epoch"));
                });
            }
            assertNoGap(onA, onB);
        }
    }

    /** docs/protocol.md section 6.1: an SSE resume token from node a resumes every channel on node b. */
    @Test
    void anSseStreamResumesOnBWithTheLastEventIdOfAStreamOnA() {
        List<String> channels = channels("resume-sse");
        String token;
        try (SseClient onA = sse(a, channels, Map.of())) {
            awaitSubscribed(onA, channels);
            for (String channel : channels) {
                publish(a, channel, "1");
                publish(b, channel, "2");
            }
            for (String channel : channels) {
                awaitEnvelopes(onA, channel, 2);
            }
            Awaitility.await("the last event's id").atMost(WAIT).until(() -> onA.events().size() == 2 * channels.size()
                    && onA.lastEventId().equals(onA.events().get(onA.events().size() - 1).id()));
            token = onA.lastEventId();
        }
        for (String channel : channels) {
            assertThat(token).contains(channel + "=");
            publish(b, channel, "3");
            publish(a, channel, "4");
            publish(b, channel, "5");
        }
        try (SseClient onB = sse(b, channels, Map.of("Last-Event-ID", token))) {
            assertThat(onB.status()).isEqualTo(200);
            for (String channel : channels) {
                awaitEnvelopes(onB, channel, 3);
                publish(a, channel, "6");
            }
            for (String channel : channels) {
                List<JsonObject> all = awaitEnvelopes(onB, channel, 4);
                assertThat(offsets(all)).as(channel).containsExactly(3L, 4L, 5L, 6L);
                assertThat(all).extracting(o -> o.getInt("data")).containsExactly(3, 4, 5, 6);
            }
            assertThat(onB.events("herald-gap")).isEmpty();
        }
    }

    /** docs/protocol.md section 7: {@code since} and {@code epoch} from node a resume on node b. */
    @Test
    void aWebSocketResumesOnBWithSinceAndEpochFromA() {
        List<String> channels = channels("resume-ws");
        Map<String, JsonObject> last = new LinkedHashMap<>();
        try (WsClient onA = WsClient.connect(ws(a))) {
            for (String channel : channels) {
                subscribe(onA, channel, null, null);
                publish(a, channel, "1");
                publish(b, channel, "2");
            }
            for (String channel : channels) {
                last.put(channel, awaitMessages(onA, channel, 2).get(1));
            }
        }
        for (String channel : channels) {
            publish(b, channel, "3");
            publish(a, channel, "4");
        }
        try (WsClient onB = WsClient.connect(ws(b))) {
            for (String channel : channels) {
                JsonObject seen = last.get(channel);
                JsonObject subscribed = subscribe(onB, channel, seen.getJsonNumber("offset").longValue(), epoch(seen));
                assertThat(subscribed.getString("epoch")).isEqualTo(epoch(seen));
                assertThat(subscribed.getJsonNumber("offset").longValue()).isEqualTo(4);
                publish(a, channel, "5");
            }
            for (String channel : channels) {
                List<JsonObject> messages = awaitMessages(onB, channel, 3);
                assertThat(offsets(messages)).as(channel).containsExactly(3L, 4L, 5L);
                assertThat(messages).extracting(o -> o.getInt("data")).containsExactly(3, 4, 5);
                assertThat(messages).extracting(MultiNodeSuite::epoch).containsOnly(epoch(last.get(channel)));
            }
            assertNoGap(onB);
        }
    }

    /** docs/protocol.md section 6.2: a long-poll cursor from node a goes on on node b, and back. */
    @Test
    void aLongPollCursorFromAResumesOnBAndBack() {
        List<String> channels = channels("resume-poll");
        String query = channels.stream().map(c -> "channel=" + enc(c)).collect(Collectors.joining("&", "?", ""));
        String cursor = poll(a, query).getString("cursor");
        for (String channel : channels) {
            publish(b, channel, "1");
            publish(a, channel, "2");
        }
        List<JsonObject> received = new ArrayList<>();
        cursor = pollUntil(a, query, cursor, channels, 2, received);
        for (String channel : channels) {
            publish(a, channel, "3");
            publish(b, channel, "4");
        }
        cursor = pollUntil(b, query, cursor, channels, 4, received);
        for (String channel : channels) {
            publish(b, channel, "5");
        }
        pollUntil(a, query, cursor, channels, 5, received);
        for (String channel : channels) {
            List<JsonObject> mine = received.stream().filter(o -> o.getString("channel").equals(channel)).toList();
            assertThat(offsets(mine)).as(channel).containsExactly(1L, 2L, 3L, 4L, 5L);
            assertThat(mine).extracting(o -> o.getInt("data")).containsExactly(1, 2, 3, 4, 5);
            assertThat(mine).extracting(MultiNodeSuite::epoch).containsOnly(epoch(mine.get(0)));
        }
    }

    /**
     * A third node joins, serves subscribers and publishes, stops cleanly, joins again and is killed ({@code kill -9}),
     * while publishing through every live node goes on: subscribers on a (WebSocket) and b (SSE) get every offset of
     * every channel once, in order, and every acknowledged publish. A publish in flight to the killed node may or may
     * not have been applied (its caller cannot tell), but it never leaves a hole.
     */
    @Test
    void aThirdNodeStartedStoppedAndKilledWhilePublishingGoesOnCostsSubscribersOnAAndBNothing() throws Exception {
        List<String> channels = channels("churn");
        HeraldTarget.Standalone c = null;
        HeraldTarget.Standalone c2 = null;
        try (WsClient onA = WsClient.connect(ws(a)); SseClient onB = sse(b, channels, Map.of());
             Publisher publisher = new Publisher(channels, a, b)) {
            subscribeAll(channels, List.of(onA), List.of(onB));
            publisher.start();
            publisher.awaitAcks(a, 10);

            c = node(name() + "-c", redisUrl, false);
            try (WsClient onC = WsClient.connect(ws(c))) {
                for (String channel : channels) {
                    subscribe(onC, channel, null, null);
                }
                publisher.add(c);
                publisher.awaitAcks(c, 10);
                awaitMessages(onC, channels.get(0), 5);
            }
            c.close(); // SIGTERM while publishes go to it
            publisher.remove(c);

            c2 = node(name() + "-c2", redisUrl, false);
            WsClient onC2 = WsClient.connect(ws(c2));
            for (String channel : channels) {
                subscribe(onC2, channel, null, null);
            }
            publisher.add(c2);
            publisher.awaitAcks(c2, 10);
            c2.kill(); // kill -9 while publishes go to it and its subscriber is open
            publisher.remove(c2);
            onC2.close();
            int acked = publisher.acks(a);
            publisher.awaitAcks(a, acked + 10);
            publisher.stop();
            assertThat(publisher.failures()).as("publishes through a and b").isEmpty();

            for (String channel : channels) {
                long latest = latest(info(a, channel));
                assertThat(latest(info(b, channel))).isEqualTo(latest);
                List<JsonObject> ws = awaitMessages(onA, channel, (int) latest);
                List<JsonObject> sse = awaitEnvelopes(onB, channel, (int) latest);
                assertThat(offsets(ws)).as("offsets on a, " + channel).containsExactlyElementsOf(range(1, latest));
                assertThat(sse).as("SSE on b, " + channel)
                        .containsExactlyElementsOf(ws.stream().map(MultiNodeSuite::envelope).toList());
                List<Integer> data = ws.stream().map(o -> o.getInt("data")).toList();
                assertThat(data).as("every acknowledged publish on " + channel)
                        .containsAll(publisher.acked(channel)).doesNotHaveDuplicates();
            }
            assertNoGap(onA, onB);
        } finally {
            close(c, c2);
        }
    }

    /**
     * docs/protocol.md section 4.1, across nodes: a publish over HTTP with an {@code Idempotency-Key} on node a, sent
     * again on node b (a client retrying elsewhere after a timeout), is published once: b answers 201 with a's
     * envelope, whatever the repeat carried, and {@code Idempotent-Replayed: true}. The same key sent to both nodes
     * at once is published once too. Subscribers on a (WebSocket) and b (SSE) receive each once: the next thing they
     * receive is the marker published after it, and history holds nothing more.
     */
    @Test
    void theSameIdempotencyKeyOverHttpOnAAndOnBPublishesOneEnvelope() {
        List<String> channels = channels("idem-http");
        try (WsClient onA = WsClient.connect(ws(a)); SseClient onB = sse(b, channels, Map.of())) {
            subscribeAll(channels, List.of(onA), List.of(onB));
            for (String channel : channels) {
                String key = "pay-" + channel;
                HttpResponse<String> first = post(a, channel, "1", key);
                assertThat(first.statusCode()).as(first.body()).isEqualTo(201);
                assertThat(first.headers().firstValue("Idempotent-Replayed")).isEmpty();
                HttpResponse<String> again = post(b, channel, "2", key);
                assertThat(again.statusCode()).as(again.body()).isEqualTo(201);
                assertThat(again.headers().firstValue("Idempotent-Replayed")).contains("true");
                assertThat(Http.json(again)).isEqualTo(Http.json(first));
                assertThat(Http.json(first).getJsonNumber("offset").longValue()).isEqualTo(1);

                String raced = "race-" + channel;
                CompletableFuture<HttpResponse<String>> fromA = CompletableFuture.supplyAsync(
                        () -> post(a, channel, "3", raced), MultiNodeSuite::inNewThread);
                HttpResponse<String> fromB = post(b, channel, "3", raced);
                List<HttpResponse<String>> both = List.of(fromA.join(), fromB);
                assertThat(both).allSatisfy(r -> assertThat(r.statusCode()).as(r.body()).isEqualTo(201));
                assertThat(both).as("one of the two is the publish, the other its replay")
                        .filteredOn(r -> r.headers().firstValue("Idempotent-Replayed").isPresent()).hasSize(1)
                        .allSatisfy(r -> assertThat(r.headers().firstValue("Idempotent-Replayed")).contains("true"));
                assertThat(Http.json(both.get(0))).isEqualTo(Http.json(both.get(1)));
                assertThat(Http.json(fromB).getJsonNumber("offset").longValue()).isEqualTo(2);

                assertThat(publish(b, channel, "4").getJsonNumber("offset").longValue()).as("the marker").isEqualTo(3);
            }
            for (String channel : channels) {
                List<JsonObject> ws = awaitMessages(onA, channel, 3);
                assertThat(offsets(ws)).as(channel).containsExactly(1L, 2L, 3L);
                assertThat(ws).extracting(o -> o.getInt("data")).containsExactly(1, 3, 4);
                assertThat(awaitEnvelopes(onB, channel, 3)).as("SSE on b, the same envelopes as the WebSocket on a")
                        .containsExactlyElementsOf(ws.stream().map(MultiNodeSuite::envelope).toList());
                HttpResponse<String> history = get(b, "api/messages?channel=" + enc(channel) + "&since=0");
                assertThat(history.statusCode()).as(history.body()).isEqualTo(200);
                assertThat(offsets(Http.json(history).getJsonArray("messages").getValuesAs(JsonObject.class)))
                        .containsExactly(1L, 2L, 3L);
            }
            assertNoGap(onA, onB);
        }
    }

    /**
     * docs/protocol.md section 4.1, across nodes: a WebSocket {@code publish} frame with an {@code idempotencyKey} on
     * node a, sent again on node b, is acked on b with a's offset and id and {@code "replayed":true}; the same key
     * over HTTP on a is a replay too. WebSocket subscribers on both nodes receive the envelope once: the next thing
     * they receive is the marker published after it.
     */
    @Test
    void theSameIdempotencyKeyInWebSocketPublishFramesOnAAndOnBPublishesOneEnvelope() {
        List<String> channels = channels("idem-ws");
        try (WsClient onA = WsClient.connect(ws(a)); WsClient onB = WsClient.connect(ws(b))) {
            subscribeAll(channels, List.of(onA, onB), List.of());
            for (String channel : channels) {
                String key = "order-" + channel;
                JsonObject first = publishWs(onA, channel, "1", key);
                assertThat(first.containsKey("replayed")).as(first.toString()).isFalse();
                assertThat(first.getJsonNumber("offset").longValue()).isEqualTo(1);
                JsonObject again = publishWs(onB, channel, "2", key);
                assertThat(again.getBoolean("replayed", false)).as(again.toString()).isTrue();
                assertThat(again.getJsonNumber("offset").longValue()).isEqualTo(1);
                assertThat(again.getString("id")).isEqualTo(first.getString("id"));
                HttpResponse<String> overHttp = post(a, channel, "3", key);
                assertThat(overHttp.headers().firstValue("Idempotent-Replayed")).contains("true");
                assertThat(Http.json(overHttp).getString("id")).isEqualTo(first.getString("id"));

                JsonObject marker = publishWs(onB, channel, "4");
                assertThat(marker.containsKey("replayed")).isFalse();
                assertThat(marker.getJsonNumber("offset").longValue()).isEqualTo(2);
            }
            for (String channel : channels) {
                List<JsonObject> onNodeA = awaitMessages(onA, channel, 2);
                assertThat(offsets(onNodeA)).as(channel).containsExactly(1L, 2L);
                assertThat(onNodeA).extracting(o -> o.getInt("data")).containsExactly(1, 4);
                assertThat(awaitMessages(onB, channel, 2)).as("on b as on a").isEqualTo(onNodeA);
            }
            assertNoGap(onA, onB);
        }
    }

    // ---- publishing in the background ----

    /**
     * Publishes over HTTP in a thread of its own, round-robin over the channels and the nodes it is given, each
     * message a distinct number, paced (at most about 100 a second) so that a loaded machine keeps up. Every
     * publish through one of the stable nodes given to the constructor must answer 201, else it is a failure; one
     * through a node {@link #add}ed later may fail (that node is being stopped or killed, and is {@link #remove}d
     * only after, so that publishes to it as it goes are part of the test).
     */
    static final class Publisher implements AutoCloseable {
        private final List<String> channels;
        private final List<HeraldTarget.Standalone> nodes = new CopyOnWriteArrayList<>();
        private final Map<HeraldTarget.Standalone, AtomicInteger> acks = new ConcurrentHashMap<>();
        private final Map<String, List<Integer>> acked = new ConcurrentHashMap<>();
        private final List<String> failures = new CopyOnWriteArrayList<>();
        private final Thread thread;
        private final List<HeraldTarget.Standalone> stable;
        private volatile boolean running = true;

        Publisher(List<String> channels, HeraldTarget.Standalone... stable) {
            this.channels = channels;
            this.stable = List.of(stable);
            for (HeraldTarget.Standalone n : stable) {
                add(n);
            }
            channels.forEach(c -> acked.put(c, new CopyOnWriteArrayList<>()));
            thread = new Thread(this::run, "multinode-publisher");
            thread.setDaemon(true);
        }

        void start() {
            thread.start();
        }

        void add(HeraldTarget.Standalone node) {
            acks.putIfAbsent(node, new AtomicInteger());
            nodes.add(node);
        }

        void remove(HeraldTarget.Standalone node) {
            nodes.remove(node);
        }

        int acks(HeraldTarget.Standalone node) {
            return acks.get(node).get();
        }

        void awaitAcks(HeraldTarget.Standalone node, int n) {
            Awaitility.await(n + " publishes acknowledged by " + node.base()).atMost(WAIT)
                    .until(() -> acks(node) >= n || !failures.isEmpty());
            assertThat(failures).isEmpty();
        }

        List<Integer> acked(String channel) {
            return List.copyOf(acked.get(channel));
        }

        List<String> failures() {
            return List.copyOf(failures);
        }

        private void run() {
            int n = 0;
            while (running) {
                List<HeraldTarget.Standalone> now = List.copyOf(nodes);
                String channel = channels.get(n % channels.size());
                HeraldTarget.Standalone node = now.get((n / channels.size()) % now.size());
                n++;
                try {
                    HttpResponse<String> r = post(node, channel, Integer.toString(n));
                    if (r.statusCode() == 201) {
                        acked.get(channel).add(n);
                        acks.get(node).incrementAndGet();
                    } else if (stable.contains(node)) {
                        failures.add(node.base() + " answered " + r.statusCode() + ": " + r.body());
                    }
                } catch (RuntimeException e) {
                    if (stable.contains(node)) {
                        failures.add(node.base() + ": " + e);
                    }
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10)); // pacing, not waiting for anything
            }
        }

        void stop() throws InterruptedException {
            running = false;
            thread.join(WAIT.toMillis());
            assertThat(thread.isAlive()).as("publisher stopped").isFalse();
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join(WAIT.toMillis());
        }
    }

    // ---- helpers ----

    static URI ws(HeraldTarget.Standalone node) {
        return URI.create(node.base().toString().replaceFirst("^http", "ws")).resolve("ws");
    }

    static SseClient sse(HeraldTarget.Standalone node, List<String> channels, Map<String, String> headers) {
        String query = channels.stream().map(c -> "channel=" + enc(c)).collect(Collectors.joining("&", "?", ""));
        return SseClient.open(node.base().resolve("sse" + query), headers);
    }

    /** Waits until the stream's id names every channel: each subscription has started. */
    static void awaitSubscribed(SseClient sse, List<String> channels) {
        Awaitility.await("SSE subscribed to " + channels).atMost(WAIT)
                .until(() -> channels.stream().allMatch(c -> sse.lastEventId().contains(c + "=")));
    }

    /**
     * Subscribes each WebSocket to every channel (asserting each {@code subscribed}) and waits until each SSE stream
     * (opened on those channels) has started every subscription.
     */
    static void subscribeAll(List<String> channels, List<WsClient> sockets, List<SseClient> streams) {
        for (String channel : channels) {
            for (WsClient ws : sockets) {
                subscribe(ws, channel, null, null);
            }
        }
        for (SseClient sse : streams) {
            awaitSubscribed(sse, channels);
        }
    }

    /** Sends a subscribe frame ({@code since}, {@code epoch} optional) and returns its {@code subscribed} reply. */
    static JsonObject subscribe(WsClient client, String channel, Long since, String epoch) {
        String ref = "s-" + channel + "-" + System.nanoTime();
        client.send("{\"type\":\"subscribe\",\"channel\":\"" + channel + "\""
                + (since == null ? "" : ",\"since\":" + since) + (epoch == null ? "" : ",\"epoch\":\"" + epoch + "\"")
                + ",\"ref\":\"" + ref + "\"}");
        JsonObject reply = awaitReply(client, ref);
        assertThat(reply.getString("type")).as(reply.toString()).isEqualTo("subscribed");
        return reply;
    }

    static JsonObject awaitReply(WsClient client, String ref) {
        Awaitility.await("reply " + ref).atMost(WAIT)
                .until(() -> client.frames().stream().anyMatch(f -> ref.equals(f.getString("ref", null))));
        return client.frames().stream().filter(f -> ref.equals(f.getString("ref", null))).findFirst().orElseThrow();
    }

    static List<JsonObject> awaitMessages(WsClient client, String channel, int n) {
        Awaitility.await(n + " messages of " + channel).atMost(WAIT).until(() -> client.messages(channel).size() >= n);
        return client.messages(channel);
    }

    static List<JsonObject> awaitEnvelopes(SseClient sse, String channel, int n) {
        Awaitility.await(n + " SSE envelopes of " + channel).atMost(WAIT)
                .until(() -> sse.envelopes(channel).size() >= n);
        return sse.envelopes(channel);
    }

    static HttpResponse<String> post(HeraldTarget.Standalone node, String channel, String body) {
        return post(node, channel, body, null);
    }

    /** A publish over HTTP with an {@code Idempotency-Key} header, unless {@code key} is null. */
    static HttpResponse<String> post(HeraldTarget.Standalone node, String channel, String body, String key) {
        HttpRequest.Builder request = HttpRequest.newBuilder(node.base().resolve("api/messages?channel="
                        + enc(channel))).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            request.header("Idempotency-Key", key);
        }
        return Http.send(request.build());
    }

    /** Publishes over HTTP, asserting 201; returns the envelope. */
    static JsonObject publish(HeraldTarget.Standalone node, String channel, String body) {
        HttpResponse<String> r = post(node, channel, body);
        assertThat(r.statusCode()).as(node.base() + ": " + r.body()).isEqualTo(201);
        return Http.json(r);
    }

    /** Publishes over the WebSocket, asserting an {@code ack}; returns it. */
    static JsonObject publishWs(WsClient client, String channel, String data) {
        return publishWs(client, channel, data, null);
    }

    /** Publishes over the WebSocket with an {@code idempotencyKey}, unless {@code key} is null; returns the ack. */
    static JsonObject publishWs(WsClient client, String channel, String data, String key) {
        String ref = "p-" + channel + "-" + System.nanoTime();
        client.send("{\"type\":\"publish\",\"channel\":\"" + channel + "\",\"data\":" + data
                + (key == null ? "" : ",\"idempotencyKey\":\"" + key + "\"") + ",\"ref\":\"" + ref + "\"}");
        JsonObject reply = awaitReply(client, ref);
        assertThat(reply.getString("type")).as(reply.toString()).isEqualTo("ack");
        return reply;
    }

    static HttpResponse<String> get(HeraldTarget.Standalone node, String path) {
        return Http.send(HttpRequest.newBuilder(node.base().resolve(path)).timeout(Duration.ofSeconds(30)).GET()
                .build());
    }

    /** {@code GET api/channels?channel=}: epoch, earliest, latest and this node's subscribers. */
    static JsonObject info(HeraldTarget.Standalone node, String channel) {
        HttpResponse<String> r = get(node, "api/channels?channel=" + enc(channel));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Http.json(r);
    }

    static long latest(JsonObject info) {
        return info.isNull("latest") ? 0 : info.getJsonNumber("latest").longValue();
    }

    static JsonObject poll(HeraldTarget.Standalone node, String query) {
        HttpResponse<String> r = get(node, "poll" + query);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Http.json(r);
    }

    /**
     * Polls as a client does (each answer's cursor in the next request) until every channel has reached offset
     * {@code upTo} in {@code received}; asserts no gap; returns the last cursor.
     */
    static String pollUntil(HeraldTarget.Standalone node, String query, String cursor, List<String> channels,
                            long upTo, List<JsonObject> received) {
        String[] at = {cursor};
        Awaitility.await("polls on " + node.base() + " up to offset " + upTo).atMost(WAIT).until(() -> {
            JsonObject answer = poll(node, query + "&since=" + enc(at[0]));
            assertThat(answer.getJsonArray("gaps")).isEmpty();
            received.addAll(answer.getJsonArray("messages").getValuesAs(JsonObject.class));
            at[0] = answer.getString("cursor");
            return channels.stream().allMatch(c -> received.stream()
                    .anyMatch(o -> o.getString("channel").equals(c) && o.getJsonNumber("offset").longValue() >= upTo));
        });
        return at[0];
    }

    /** The envelope inside a WebSocket {@code message} frame. */
    static JsonObject envelope(JsonObject frame) {
        return Json.createObjectBuilder(frame).remove("type").build();
    }

    static String epoch(JsonObject envelope) {
        String id = envelope.getString("id");
        return id.substring(0, id.lastIndexOf('-'));
    }

    static List<Long> offsets(List<JsonObject> envelopes) {
        return envelopes.stream().map(o -> o.getJsonNumber("offset").longValue()).toList();
    }

    static List<Long> range(long from, long to) {
        return LongStream.rangeClosed(from, to).boxed().toList();
    }

    static void assertNoGap(WsClient... clients) {
        for (WsClient c : clients) {
            assertThat(c.frames()).noneMatch(f -> "gap".equals(f.getString("type", null)));
            assertThat(c.frames()).noneMatch(f -> "error".equals(f.getString("type", null)));
        }
    }

    static void assertNoGap(WsClient ws, SseClient sse) {
        assertNoGap(ws);
        assertThat(sse.events("herald-gap")).isEmpty();
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
