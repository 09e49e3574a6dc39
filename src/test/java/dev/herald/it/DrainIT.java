package dev.herald.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import jakarta.json.JsonObject;
import jakarta.websocket.CloseReason;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * docs/protocol.md section 9 (draining) and README "Operate": a node drained by {@code POST admin/drain} or by
 * SIGTERM ends WebSockets with 1012 "service restart", SSE streams with {@code event: herald-reconnect}, held
 * long-polls with {@code "reconnect":true}; it turns not-ready and answers new requests 503 {@code unavailable}.
 * Embedded only: each test drains a node of its own.
 */
class DrainIT {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void adminDrainEndsEveryTransportWithItsSignalAndRefusesNewcomers() throws Exception {
        assumeTrue(HeraldTarget.embedded(), "drains a node of its own");
        try (HeraldTarget.Standalone node = HeraldTarget.startAnother("herald-it-drain", "-Dherald.ticker=false",
                "-Dherald.poll.timeout=25s")) {
            OpsNode ops = new OpsNode(node.base());
            String channel = Http.channel("drain");
            ops.publish(channel, "1");
            WsClient ws = WsClient.connect(ops.ws());
            ws.subscribe(channel, null, "s");
            SseClient sse = SseClient.open(ops.sse(channel), Map.of());
            assertThat(sse.status()).isEqualTo(200);
            CompletableFuture<HttpResponse<String>> poll = OpsNode.sendAsync(HttpRequest.newBuilder(
                    node.base().resolve("poll?channel=" + OpsNode.encode(channel) + "&since=1")).build());
            Awaitility.await().atMost(WAIT).until(() -> ops.subscribers(channel) == 3); // the poll is held
            assertThat(ops.get("health/ready").statusCode()).isEqualTo(200);

            HttpResponse<String> drain = ops.post("admin/drain", "application/json", "{}");
            assertThat(drain.statusCode()).isEqualTo(202);

            CloseReason closed = ws.awaitClose();
            assertThat(closed.getCloseCode().getCode()).isEqualTo(1012);
            assertThat(closed.getReasonPhrase()).isEqualTo("service restart");
            SseClient.Event reconnect = sse.await(e -> e.event().equals("herald-reconnect"));
            assertThat(reconnect.json().getString("reason")).isEqualTo("service restart");
            Awaitility.await().atMost(WAIT).until(sse::ended);
            HttpResponse<String> answered = poll.get(30, TimeUnit.SECONDS);
            assertThat(answered.statusCode()).isEqualTo(200);
            JsonObject pollBody = OpsNode.json(answered.body());
            assertThat(pollBody.getBoolean("reconnect")).isTrue();
            assertThat(pollBody.getJsonArray("messages")).isEmpty();

            HttpResponse<String> ready = ops.get("health/ready");
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(OpsNode.json(ready.body()).getString("status")).isEqualTo("DOWN");
            assertThat(ready.body()).contains("\"name\":\"drain\",\"status\":\"DOWN\"");
            assertThat(ops.get("health/live").statusCode()).isEqualTo(200);

            SseClient late = SseClient.open(ops.sse(channel), Map.of());
            assertThat(late.status()).isEqualTo(503);
            assertThat(late.errorBody()).contains("\"unavailable\"");
            HttpResponse<String> publish = ops.post("api/messages?channel=" + OpsNode.encode(channel),
                    "application/json", "2");
            assertThat(publish.statusCode()).isEqualTo(503);
            assertThat(publish.headers().firstValue("Retry-After")).hasValue("1");
            // a new WebSocket handshake is refused with 503 too (Retry-After: 1)
            assertThatThrownBy(() -> WsClient.connect(ops.ws())).rootCause().hasMessageContaining("503");
            assertThat(OpsNode.samples(ops.scrape())).containsEntry("herald_draining", 1.0);
        }
    }

    @Test
    void theRunnersOperationsPortOpensMetricsAndAdminToEveryClient() throws Exception {
        assumeTrue(HeraldTarget.embedded(), "starts a node of its own");
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (HeraldTarget.Standalone node = HeraldTarget.startAnother("herald-it-ops-port", "-Dherald.ticker=false",
                "-Dherald.ops.port=" + port)) {
            OpsNode main = new OpsNode(node.base());
            OpsNode ops = new OpsNode(java.net.URI.create("http://127.0.0.1:" + port + "/"));
            assertThat(main.get("metrics", "X-Forwarded-For", "203.0.113.7").statusCode()).isEqualTo(403);
            HttpResponse<String> metrics = ops.get("metrics", "X-Forwarded-For", "203.0.113.7");
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body()).contains("herald_connections{transport=\"ws\"}");
            assertThat(ops.get("admin/stats", "X-Forwarded-For", "203.0.113.7").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void sigtermDrainsBeforeTheProcessExits() throws Exception {
        assumeTrue(HeraldTarget.embedded(), "stops a node of its own");
        HeraldTarget.Standalone node = HeraldTarget.startAnother("herald-it-sigterm", "-Dherald.ticker=false");
        try {
            OpsNode ops = new OpsNode(node.base());
            String channel = Http.channel("sigterm");
            WsClient ws = WsClient.connect(ops.ws());
            ws.subscribe(channel, null, "s");
            SseClient sse = SseClient.open(ops.sse(channel), Map.of());
            Awaitility.await().atMost(WAIT).until(() -> ops.subscribers(channel) == 2);

            node.process().destroy(); // SIGTERM

            assertThat(ws.awaitClose().getCloseCode().getCode()).isEqualTo(1012);
            assertThat(sse.await(e -> e.event().equals("herald-reconnect"))).isNotNull();
            assertThat(node.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            node.close();
        }
    }
}
