package dev.herald.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * README "Operate", docs/operations.md: {@code {ctx}/metrics} counts a scripted workload exactly (3 WebSockets and
 * 2 SSE streams on one channel, 10 HTTP publishes: 30 + 20 deliveries), passes {@code promtool check metrics}, and
 * a real Prometheus (Debian's {@code prometheus}, on a loopback port) scraping the node returns the same counts from
 * its query API. Also who may read it: a request that came through a proxy is refused. Embedded only: the node and
 * Prometheus are started here, so that no other scenario's traffic is counted.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MetricsIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static HeraldTarget.Standalone node;
    private static OpsNode ops;
    private static Process prometheus;
    private static Path prometheusDir;
    private static final String CHANNEL = "metrics:" + Long.toString(System.nanoTime(), 36);
    private static final List<WsClient> sockets = new ArrayList<>();
    private static final List<SseClient> streams = new ArrayList<>();

    @BeforeAll
    static void startNodeAndWorkload() {
        assumeTrue(HeraldTarget.embedded(), "starts a node and a Prometheus of its own");
        node = HeraldTarget.startAnother("herald-it-metrics", "-Dherald.ticker=false");
        ops = new OpsNode(node.base());
        for (int i = 0; i < 3; i++) {
            WsClient ws = WsClient.connect(ops.ws());
            sockets.add(ws);
            ws.subscribe(CHANNEL, null, "s" + i);
        }
        for (int i = 0; i < 2; i++) {
            SseClient sse = SseClient.open(ops.sse(CHANNEL), Map.of());
            assertThat(sse.status()).isEqualTo(200);
            streams.add(sse);
        }
        Awaitility.await().atMost(WAIT).until(() -> ops.subscribers(CHANNEL) == 5);
        for (int i = 1; i <= 10; i++) {
            ops.publish(CHANNEL, "{\"n\":" + i + "}");
        }
        for (WsClient ws : sockets) {
            assertThat(ws.awaitMessages(CHANNEL, 10)).hasSize(10);
        }
        for (SseClient sse : streams) {
            assertThat(sse.awaitEnvelopes(CHANNEL, 10)).hasSize(10);
        }
    }

    @AfterAll
    static void stop() throws InterruptedException {
        sockets.forEach(WsClient::close);
        streams.forEach(SseClient::close);
        if (prometheus != null) {
            prometheus.destroy();
            if (!prometheus.waitFor(20, TimeUnit.SECONDS)) {
                prometheus.destroyForcibly();
            }
        }
        if (node != null) {
            node.close();
        }
    }

    @Test
    @Order(1)
    void theWorkloadIsCountedExactly() {
        // deliveries are counted when the write completes, which may come just after the client has read it
        Awaitility.await().atMost(WAIT).untilAsserted(() -> {
            Map<String, Double> m = OpsNode.samples(ops.scrape());
            assertThat(m).containsEntry("herald_connections{transport=\"ws\"}", 3.0)
                    .containsEntry("herald_connections{transport=\"sse\"}", 2.0)
                    .containsEntry("herald_connections{transport=\"poll\"}", 0.0)
                    .containsEntry("herald_publishes_total{transport=\"http\"}", 10.0)
                    .containsEntry("herald_deliveries_total{transport=\"ws\"}", 30.0)
                    .containsEntry("herald_deliveries_total{transport=\"sse\"}", 20.0)
                    .containsEntry("herald_delivery_latency_seconds_count{transport=\"ws\"}", 30.0)
                    .containsEntry("herald_delivery_latency_seconds_count{transport=\"sse\"}", 20.0)
                    .containsEntry("herald_connections_opened_total{transport=\"ws\"}", 3.0)
                    .containsEntry("herald_connections_opened_total{transport=\"sse\"}", 2.0)
                    // 5 on the workload's channel, 1 on herald:admin (the admin feed's own, in-process)
                    .containsEntry("herald_subscriptions", 6.0)
                    .containsEntry("herald_channels", 2.0)
                    .containsEntry("herald_draining", 0.0)
                    .containsEntry("herald_slow_consumer_skipped_total{policy=\"conflate\",transport=\"ws\"}", 0.0)
                    .containsEntry("herald_slow_consumer_behind_total{policy=\"drop-oldest\",transport=\"sse\"}", 0.0);
            assertThat(m.keySet()).anyMatch(k -> k.startsWith("jvm_memory_used_bytes{area=\"heap\""))
                    .anyMatch(k -> k.startsWith("jvm_gc_"));
            assertThat(m).containsKeys("jvm_threads_live_threads", "jetty_threads_busy", "process_uptime_seconds",
                    "herald_engine_latency_seconds_count{engine=\"memory\",operation=\"publish\"}");
            assertThat(m.get("herald_engine_latency_seconds_count{engine=\"memory\",operation=\"publish\"}"))
                    .isGreaterThanOrEqualTo(10.0); // and the admin snapshots
        });
    }

    @Test
    @Order(5)
    void refusalsAreCountedByTransportAndCode() {
        OpsNode.send(HttpRequest.newBuilder(node.base().resolve("api/messages?channel=herald:admin"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build());
        try (WsClient ws = WsClient.connect(ops.ws())) {
            ws.send("{\"type\":\"subscribe\",\"channel\":\"herald:admin\",\"ref\":\"r\"}");
            assertThat(ws.awaitReply("r").getString("code")).isEqualTo("forbidden");
        }
        Awaitility.await().atMost(WAIT).untilAsserted(() -> assertThat(OpsNode.samples(ops.scrape()))
                .containsEntry("herald_auth_refusals_total{code=\"forbidden\",transport=\"http\"}", 1.0)
                .containsEntry("herald_auth_refusals_total{code=\"forbidden\",transport=\"ws\"}", 1.0)
                .containsEntry("herald_publish_errors_total{code=\"forbidden\",transport=\"http\"}", 1.0));
    }

    @Test
    @Order(4)
    void onlyDirectLoopbackClientsReadTheMetrics() {
        assertThat(ops.get("metrics").statusCode()).isEqualTo(200);
        HttpResponse<String> proxied = ops.get("metrics", "X-Forwarded-For", "203.0.113.7");
        assertThat(proxied.statusCode()).isEqualTo(403);
        assertThat(proxied.body()).contains("\"forbidden\"");
        assertThat(ops.get("admin/stats", "Forwarded", "for=203.0.113.7").statusCode()).isEqualTo(403);
    }

    @Test
    @Order(3)
    void promtoolAcceptsTheOutput() throws Exception {
        Path file = Files.createTempFile("herald-metrics", ".txt");
        Files.writeString(file, ops.scrape());
        Process check = new ProcessBuilder("promtool", "check", "metrics").redirectInput(file.toFile())
                .redirectErrorStream(true).start();
        String out = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(check.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(check.exitValue()).as("promtool check metrics: %s", out).isZero();
    }

    @Test
    @Order(2)
    void prometheusScrapesTheWorkloadsCounts() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        prometheusDir = Files.createTempDirectory(Path.of("target"), "prometheus-it");
        Path config = prometheusDir.resolve("prometheus.yml");
        Files.writeString(config, """
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                scrape_configs:
                  - job_name: herald
                    metrics_path: /metrics
                    static_configs:
                      - targets: ['127.0.0.1:%d']
                """.formatted(node.port()));
        prometheus = new ProcessBuilder("prometheus", "--config.file=" + config.toAbsolutePath(),
                "--storage.tsdb.path=" + prometheusDir.resolve("data").toAbsolutePath(),
                "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(prometheusDir.resolve("prometheus.log").toFile()).start();
        URI api = URI.create("http://127.0.0.1:" + port + "/");
        Awaitility.await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() ->
                OpsNode.send(HttpRequest.newBuilder(api.resolve("-/ready")).build()).statusCode() == 200);
        Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertThat(query(api, "herald_publishes_total{transport=\"http\"}")).isEqualTo("10");
            assertThat(query(api, "herald_connections{transport=\"ws\"}")).isEqualTo("3");
            assertThat(query(api, "herald_connections{transport=\"sse\"}")).isEqualTo("2");
            assertThat(query(api, "sum(herald_deliveries_total{transport=~\"ws|sse\"})")).isEqualTo("50");
            assertThat(query(api, "up{job=\"herald\"}")).isEqualTo("1");
        });
    }

    /**
     * docs/protocol.md 8.1: a WebSocket resuming 20 envelopes behind on a conflating channel (the shipped
     * {@code prices} namespace, conflated per channel) gets the latest only; the 19 others are counted as skipped.
     * Last: it publishes on a channel of its own, after the workload's exact counts were checked.
     */
    @Test
    @Order(6)
    void envelopesConflatedAwayFromASubscriberFarBehindAreCounted() {
        String channel = "prices:metrics-" + Long.toString(System.nanoTime(), 36);
        for (int i = 1; i <= 20; i++) {
            ops.publish(channel, "{\"price\":" + i + "}");
        }
        try (WsClient behind = WsClient.connect(ops.ws())) {
            behind.subscribe(channel, 0L, "behind");
            assertThat(behind.awaitMessages(channel, 1)).extracting(m -> m.getInt("offset")).containsExactly(20);
            Awaitility.await().atMost(WAIT).untilAsserted(() -> assertThat(OpsNode.samples(ops.scrape()))
                    .containsEntry("herald_slow_consumer_skipped_total{policy=\"conflate\",transport=\"ws\"}", 19.0)
                    .containsEntry("herald_slow_consumer_behind_total{policy=\"conflate\",transport=\"ws\"}", 1.0));
        }
    }

    /** The value of a PromQL query's only sample, or null when it has none. */
    private static String query(URI api, String promql) throws IOException {
        HttpResponse<String> r = OpsNode.send(HttpRequest.newBuilder(api.resolve("api/v1/query?query="
                + OpsNode.encode(promql))).build());
        JsonObject body = OpsNode.json(r.body());
        JsonArray result = body.getJsonObject("data").getJsonArray("result");
        return result.isEmpty() ? null : result.getJsonObject(0).getJsonArray("value").getString(1);
    }
}
