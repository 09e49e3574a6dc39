package dev.herald.it;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.json.JsonObject;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** docs/protocol.md section 6.2: long-polling, {@code GET {ctx}/poll}. */
class PollIT {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Test
    void withoutSinceTheAnswerComesAtOnceWithTheCurrentPositions() {
        String a = Http.channel("poll");
        String b = Http.channel("poll");
        JsonObject first = Http.publish(a, "1");
        JsonObject answer = poll("?channel=" + a + "&channel=" + b);
        assertThat(answer.getJsonArray("messages")).isEmpty();
        assertThat(answer.getJsonArray("gaps")).isEmpty();
        String epochA = first.getString("id").replaceFirst("-1$", "");
        assertThat(answer.getString("cursor")).startsWith(a + "=" + epochA + "-1," + b + "=").endsWith("-0");
    }

    @Test
    void aPollIsHeldUntilAMessageArrivesAndTheCursorResumesAfterItNothingTwice() throws Exception {
        String channel = Http.channel("poll");
        String cursor = poll("?channel=" + channel).getString("cursor");
        CompletableFuture<HttpResponse<String>> held = pollAsync("?channel=" + channel + "&since=" + enc(cursor));
        Awaitility.await().atMost(WsClient.WAIT).until(() -> Http.subscribers(channel) == 1);
        assertThat(held).isNotDone();

        Http.publish(channel, "{\"n\":1}");
        JsonObject answer = Http.json(held.get(WsClient.WAIT.toSeconds(), TimeUnit.SECONDS));
        assertThat(answer.getJsonArray("messages")).hasSize(1);
        assertThat(answer.getJsonArray("messages").getJsonObject(0).getJsonObject("data").getInt("n")).isEqualTo(1);
        Awaitility.await().atMost(WsClient.WAIT).until(() -> Http.subscribers(channel) == 0);

        Http.publish(channel, "{\"n\":2}");
        Http.publish(channel, "{\"n\":3}");
        JsonObject next = poll("?channel=" + channel + "&since=" + enc(answer.getString("cursor")));
        assertThat(next.getJsonArray("messages").getValuesAs(JsonObject.class))
                .extracting(m -> m.getJsonObject("data").getInt("n")).containsExactly(2, 3);
        assertThat(next.getString("cursor")).endsWith("-3");
    }

    @Test
    void aBareOffsetResumesOneChannelAndAnAnswerHoldsAtMost512Messages() {
        String channel = Http.channel("poll");
        try (WsClient publisher = WsClient.connect()) {
            for (int i = 1; i <= 600; i++) {
                publisher.send("{\"type\":\"publish\",\"channel\":\"" + channel + "\",\"data\":" + i
                        + ",\"ref\":\"p" + i + "\"}");
            }
            publisher.awaitReply("p600");
        }
        JsonObject first = poll("?channel=" + channel + "&since=0");
        List<JsonObject> messages = first.getJsonArray("messages").getValuesAs(JsonObject.class);
        assertThat(messages).hasSize(512);
        assertThat(messages.get(511).getInt("data")).isEqualTo(512);
        JsonObject rest = poll("?channel=" + channel + "&since=" + enc(first.getString("cursor")));
        assertThat(rest.getJsonArray("messages").getValuesAs(JsonObject.class))
                .extracting(m -> m.getInt("data")).startsWith(513).endsWith(600).hasSize(88);
    }

    @Test
    void aPositionOfAnotherEpochGetsAResetGapBeforeTheMessagesOfTheNewStream() {
        String channel = Http.channel("poll");
        Http.publish(channel, "1");
        Http.publish(channel, "2");
        JsonObject answer = poll("?channel=" + channel + "&since=" + enc(channel + "=gone-7"));
        JsonObject gap = answer.getJsonArray("gaps").getJsonObject(0);
        assertThat(gap.getBoolean("reset")).isTrue();
        assertThat(gap.getJsonNumber("requested").longValue()).isEqualTo(8);
        assertThat(gap.getJsonNumber("earliest").longValue()).isEqualTo(1);
        assertThat(answer.getJsonArray("messages").getValuesAs(JsonObject.class))
                .extracting(m -> m.getInt("data")).containsExactly(1, 2);
        assertThat(answer.getString("cursor")).isEqualTo(channel + "=" + gap.getString("epoch") + "-2");
    }

    @Test
    void withNothingDueTheAnswerIsEmptyAfterTheTimeoutAndKeepsTheCursor() throws Exception {
        String channel = Http.channel("poll");
        String cursor = poll("?channel=" + channel).getString("cursor");
        HttpResponse<String> r = pollAsync("?channel=" + channel + "&since=" + enc(cursor))
                .get(60, TimeUnit.SECONDS);
        assertThat(r.statusCode()).isEqualTo(200);
        JsonObject answer = Http.json(r);
        assertThat(answer.getJsonArray("messages")).isEmpty();
        assertThat(answer.getString("cursor")).isEqualTo(cursor);
        Awaitility.await().atMost(WsClient.WAIT).until(() -> Http.subscribers(channel) == 0);
    }

    @Test
    void badRequestsAreRefusedBeforeHolding() {
        assertThat(Http.get("poll").statusCode()).isEqualTo(400);
        assertThat(Http.get("poll?channel=bad%20name").statusCode()).isEqualTo(400);
        HttpResponse<String> r = Http.get("poll?channel=a&channel=b&since=5");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(Http.json(r).getJsonObject("error").getString("code")).isEqualTo("bad_request");
        assertThat(Http.get("poll?channel=a&since=" + enc("a=x-y")).statusCode()).isEqualTo(400);
    }

    private static JsonObject poll(String query) {
        HttpResponse<String> r = Http.get("poll" + query);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
        return Http.json(r);
    }

    private static CompletableFuture<HttpResponse<String>> pollAsync(String query) {
        return HTTP.sendAsync(HttpRequest.newBuilder(HeraldTarget.http("poll" + query)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
