package dev.herald.it;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.json.JsonObject;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * docs/protocol.md, "Idempotent publish": a publish repeated with the same key, over HTTP ({@code Idempotency-Key})
 * or WebSocket ({@code idempotencyKey}), yields one envelope; the repeat is answered with the first one and marked
 * as a replay, and subscribers receive it once.
 */
class IdempotencyIT {

    private static HttpResponse<String> post(String channel, String key, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(HeraldTarget.http("api/messages?channel="
                        + URLEncoder.encode(channel, StandardCharsets.UTF_8)))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            b.header("Idempotency-Key", key);
        }
        return Http.send(b.build());
    }

    @Test
    void overHttpTheSameKeyTwicePublishesOnceAndTheRepeatIsMarked() {
        String channel = Http.channel("idem");
        try (WsClient subscriber = WsClient.connect()) {
            subscriber.subscribe(channel, null, "s");
            HttpResponse<String> first = post(channel, "pay-1", "{\"amount\":5}");
            assertThat(first.statusCode()).isEqualTo(201);
            assertThat(first.headers().firstValue("Idempotent-Replayed")).isEmpty();
            HttpResponse<String> again = post(channel, "pay-1", "{\"amount\":5}");
            assertThat(again.statusCode()).isEqualTo(201);
            assertThat(again.headers().firstValue("Idempotent-Replayed")).contains("true");
            assertThat(Http.json(again)).isEqualTo(Http.json(first));

            JsonObject other = Http.json(post(channel, "pay-2", "{\"amount\":6}"));
            assertThat(other.getInt("offset")).isEqualTo(2);
            List<JsonObject> received = subscriber.awaitMessages(channel, 2);
            assertThat(received).extracting(m -> m.getInt("offset")).containsExactly(1, 2);
            assertThat(subscriber.messages(channel)).hasSize(2);
        }
        JsonObject history = Http.json(Http.get("api/messages?channel=" + channel + "&since=0"));
        assertThat(history.getJsonArray("messages")).hasSize(2);
    }

    @Test
    void overWebSocketTheRepeatIsAckedWithTheFirstOffsetAndReplayed() {
        String channel = Http.channel("idem");
        try (WsClient c = WsClient.connect()) {
            c.subscribe(channel, null, "s");
            String frame = "{\"type\":\"publish\",\"channel\":\"" + channel
                    + "\",\"data\":{\"n\":1},\"idempotencyKey\":\"k-1\",\"ref\":\"%s\"}";
            c.send(frame.formatted("p1"));
            JsonObject first = c.awaitReply("p1");
            assertThat(first.getString("type")).isEqualTo("ack");
            assertThat(first.containsKey("replayed")).isFalse();
            c.send(frame.formatted("p2"));
            JsonObject second = c.awaitReply("p2");
            assertThat(second.getBoolean("replayed")).isTrue();
            assertThat(second.getInt("offset")).isEqualTo(first.getInt("offset"));
            assertThat(second.getString("id")).isEqualTo(first.getString("id"));
            // the same key over HTTP is the same publish too
            HttpResponse<String> overHttp = post(channel, "k-1", "{\"n\":1}");
            assertThat(overHttp.headers().firstValue("Idempotent-Replayed")).contains("true");
            assertThat(Http.json(overHttp).getString("id")).isEqualTo(first.getString("id"));

            c.send("{\"type\":\"publish\",\"channel\":\"" + channel + "\",\"data\":2,\"ref\":\"p3\"}");
            assertThat(c.awaitReply("p3").getInt("offset")).isEqualTo(2);
            assertThat(c.awaitMessages(channel, 2)).extracting(m -> m.getInt("offset")).containsExactly(1, 2);
        }
    }

    @Test
    void aBadKeyIsRefusedAndNothingIsPublished() {
        String channel = Http.channel("idem");
        HttpResponse<String> tooLong = post(channel, "k".repeat(129), "1");
        assertThat(tooLong.statusCode()).isEqualTo(400);
        assertThat(Http.json(tooLong).getJsonObject("error").getString("code")).isEqualTo("bad_request");
        try (WsClient c = WsClient.connect()) {
            c.send("{\"type\":\"publish\",\"channel\":\"" + channel
                    + "\",\"data\":1,\"idempotencyKey\":\"a b\",\"ref\":\"bad\"}");
            JsonObject error = c.awaitReply("bad");
            assertThat(error.getString("type")).isEqualTo("error");
            assertThat(error.getString("code")).isEqualTo("bad_request");
            c.send("{\"type\":\"publish\",\"channel\":\"" + channel
                    + "\",\"data\":1,\"idempotencyKey\":7,\"ref\":\"num\"}");
            assertThat(c.awaitReply("num").getString("code")).isEqualTo("bad_request");
            c.send("{\"type\":\"ping\",\"ref\":\"still\"}");
            assertThat(c.awaitReply("still").getString("type")).isEqualTo("pong");
        }
        assertThat(Http.json(Http.get("api/messages?channel=" + channel + "&since=0")).getJsonArray("messages"))
                .isEmpty();
    }
}
