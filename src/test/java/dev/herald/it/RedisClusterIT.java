package dev.herald.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.herald.support.RedisServer;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.StringReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * docs/scaling.md: two Herald nodes (standalone runners with {@code herald.engine=redis}) on one real
 * {@code redis-server} serve one set of channels. Embedded only: the nodes and Redis are started here.
 */
class RedisClusterIT {
    private static RedisServer redis;
    private static HeraldTarget.Standalone a;
    private static HeraldTarget.Standalone b;

    @BeforeAll
    static void startCluster() {
        assumeTrue(HeraldTarget.embedded(), "starts Redis and two nodes of its own");
        redis = new RedisServer();
        a = node("herald-it-redis-a");
        b = node("herald-it-redis-b");
    }

    private static HeraldTarget.Standalone node(String name) {
        return HeraldTarget.startAnother(name, "-Dherald.engine=redis", "-Dherald.redis.url=" + redis.url(),
                "-Dherald.ticker=false", "-Dherald.sse.heartbeat=1s");
    }

    @AfterAll
    static void stopCluster() throws InterruptedException {
        for (AutoCloseable c : new AutoCloseable[] {a, b}) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception e) {
                    // stopping anyway
                }
            }
        }
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void aWebSocketOnOneNodeAndAnSseStreamOnTheOtherGetTheSameEnvelopesInTheSameOrder() {
        String channel = Http.channel("cluster");
        try (WsClient onA = WsClient.connect(ws(a)); SseClient onB = sse(b, "?channel=" + channel, Map.of());
             WsClient publisherOnB = WsClient.connect(ws(b))) {
            onA.subscribe(channel, null, "s");
            awaitSubscribed(onB, channel);
            for (int i = 1; i <= 10; i++) {
                if (i % 2 == 1) {
                    assertThat(post(a, channel, Integer.toString(i)).statusCode()).isEqualTo(201);
                } else {
                    publisherOnB.send("{\"type\":\"publish\",\"channel\":\"" + channel + "\",\"data\":" + i
                            + ",\"ref\":\"p" + i + "\"}");
                    assertThat(publisherOnB.awaitReply("p" + i).getString("type")).isEqualTo("ack");
                }
            }
            List<JsonObject> ws = onA.awaitMessages(channel, 10);
            List<JsonObject> sse = onB.awaitEnvelopes(channel, 10);
            assertThat(ws).extracting(o -> o.getJsonNumber("offset").longValue())
                    .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
            assertThat(ws).extracting(o -> o.getInt("data")).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
            assertThat(sse).extracting(o -> o.getString("id"))
                    .containsExactlyElementsOf(ws.stream().map(o -> o.getString("id")).toList());
            assertThat(sse).extracting(o -> o.getInt("data")).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
        }
    }

    @Test
    void sseResumesOnTheOtherNodeWithALastEventIdFromTheFirstMissingAndRepeatingNothing() {
        String channel = Http.channel("cluster-resume");
        String token;
        try (SseClient onA = sse(a, "?channel=" + channel, Map.of())) {
            awaitSubscribed(onA, channel);
            post(a, channel, "1");
            post(a, channel, "2");
            onA.awaitEnvelopes(channel, 2);
            token = onA.events().get(onA.events().size() - 1).id();
        }
        post(b, channel, "3");
        post(a, channel, "4");
        post(b, channel, "5");
        try (SseClient onB = sse(b, "?channel=" + channel, Map.of("Last-Event-ID", token))) {
            assertThat(onB.status()).isEqualTo(200);
            onB.awaitEnvelopes(channel, 3);
            post(a, channel, "6");
            List<JsonObject> all = onB.awaitEnvelopes(channel, 4);
            assertThat(all).extracting(o -> o.getInt("data")).containsExactly(3, 4, 5, 6);
            assertThat(all).extracting(o -> o.getJsonNumber("offset").longValue()).containsExactly(3L, 4L, 5L, 6L);
            assertThat(onB.events("herald-gap")).isEmpty();
        }
    }

    @Test
    void aWebSocketResumesOnTheOtherNodeWithSinceAndEpochFromTheFirst() {
        String channel = Http.channel("cluster-since");
        JsonObject first = json(post(a, channel, "1"));
        post(a, channel, "2");
        String epoch = first.getString("id").split("-")[0];
        post(b, channel, "3");
        try (WsClient onB = WsClient.connect(ws(b))) {
            onB.send("{\"type\":\"subscribe\",\"channel\":\"" + channel + "\",\"since\":2,\"epoch\":\"" + epoch
                    + "\",\"ref\":\"r\"}");
            assertThat(onB.awaitReply("r").getString("epoch")).isEqualTo(epoch);
            post(a, channel, "4");
            List<JsonObject> messages = onB.awaitMessages(channel, 2);
            assertThat(messages).extracting(o -> o.getInt("data")).containsExactly(3, 4);
            assertThat(onB.frames()).noneMatch(f -> "gap".equals(f.getString("type", null)));
        }
    }

    /** Redis stops and comes back empty: publishes fail with 503 meanwhile, connections stay, streams go on. */
    @Test
    void withRedisDownPublishingAnswersUnavailableAndAfterItsRestartSubscribersGetAResetGap() {
        String channel = Http.channel("cluster-outage");
        try (WsClient onA = WsClient.connect(ws(a)); SseClient onB = sse(b, "?channel=" + channel, Map.of())) {
            onA.subscribe(channel, null, "s");
            awaitSubscribed(onB, channel);
            JsonObject before = json(post(a, channel, "1"));
            onA.awaitMessages(channel, 1);
            onB.awaitEnvelopes(channel, 1);

            redis.stop();
            try {
                HttpResponse<String> refused = post(a, channel, "2");
                assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
                assertThat(json(refused).getJsonObject("error").getString("code")).isEqualTo("unavailable");
                onA.send("{\"type\":\"publish\",\"channel\":\"" + channel + "\",\"data\":2,\"ref\":\"down\"}");
                JsonObject error = onA.awaitReply("down");
                assertThat(error.getString("type")).isEqualTo("error");
                assertThat(error.getString("code")).isEqualTo("unavailable");
                assertThat(onA.isOpen()).isTrue();
                assertThat(onB.ended()).isFalse();
            } finally {
                redis.start();
            }

            // each node answers 503 until its own connection to Redis is back
            Awaitility.await().atMost(Duration.ofSeconds(30))
                    .until(() -> post(a, channel, "3").statusCode() == 201);
            Awaitility.await().atMost(Duration.ofSeconds(30))
                    .until(() -> post(b, channel, "4").statusCode() == 201);
            List<JsonObject> ws = onA.awaitMessages(channel, 3);
            List<JsonObject> sse = onB.awaitEnvelopes(channel, 3);
            String oldEpoch = before.getString("id").split("-")[0];
            assertThat(ws).extracting(o -> o.getInt("data")).containsExactly(1, 3, 4);
            assertThat(sse).extracting(o -> o.getInt("data")).containsExactly(1, 3, 4);
            String newEpoch = ws.get(1).getString("id").split("-")[0];
            assertThat(newEpoch).isNotEqualTo(oldEpoch);
            assertThat(ws.get(1).getJsonNumber("offset").longValue()).isEqualTo(1);
            JsonObject gap = onA.await(f -> "gap".equals(f.getString("type", null)));
            assertThat(gap.getBoolean("reset")).isTrue();
            assertThat(gap.getString("epoch")).isEqualTo(newEpoch);
            SseClient.Event sseGap = onB.await(e -> e.event().equals("herald-gap"));
            assertThat(sseGap.json().getBoolean("reset")).isTrue();
            assertThat(onA.isOpen()).isTrue();
            assertThat(onB.ended()).isFalse();
        }
    }

    private static void awaitSubscribed(SseClient sse, String channel) {
        Awaitility.await().atMost(WsClient.WAIT).until(() -> sse.lastEventId() != null
                && sse.lastEventId().contains(channel + "="));
    }

    private static URI ws(HeraldTarget.Standalone node) {
        return URI.create(node.base().toString().replaceFirst("^http", "ws")).resolve("ws");
    }

    private static SseClient sse(HeraldTarget.Standalone node, String query, Map<String, String> headers) {
        return SseClient.open(node.base().resolve("sse" + query), headers);
    }

    private static HttpResponse<String> post(HeraldTarget.Standalone node, String channel, String body) {
        return Http.send(HttpRequest.newBuilder(node.base().resolve("api/messages?channel="
                        + URLEncoder.encode(channel, StandardCharsets.UTF_8)))
                .timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    private static JsonObject json(HttpResponse<String> r) {
        return Json.createReader(new StringReader(r.body())).readObject();
    }
}
