package dev.herald.it;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * docs/protocol.md, "Slow consumers": on a conflating namespace (the shipped {@code prices}, conflated by
 * {@code channel}: the demo ticker's one channel per symbol; here a channel carries three symbols, so the key is the
 * channel and the latest envelope is what a client far behind gets), a client that resumes far behind gets the latest
 * envelope and a gap marked {@code conflated} for what it skipped, over WebSocket, SSE and long-poll alike, while a
 * live subscriber that keeps up gets every envelope.
 */
class ConflationIT {
    private static final int PUBLISHED = 60;

    /** A prices channel with {@value #PUBLISHED} envelopes, published while a live WebSocket subscriber watched. */
    private static String pricesWithHistory(WsClient live) {
        String channel = Http.channel("prices");
        live.subscribe(channel, null, "live");
        for (int i = 1; i <= PUBLISHED; i++) {
            Http.publish(channel, "price", "{\"symbol\":\"S" + (i % 3) + "\",\"price\":" + i + "}");
        }
        List<JsonObject> all = live.awaitMessages(channel, PUBLISHED);
        assertThat(all).extracting(m -> m.getInt("offset")).containsExactlyElementsOf(
                java.util.stream.IntStream.rangeClosed(1, PUBLISHED).boxed().toList());
        return channel;
    }

    private static void assertConflatedGap(JsonObject gap, String channel) {
        assertThat(gap.getString("channel")).isEqualTo(channel);
        assertThat(gap.getInt("requested")).isEqualTo(1);
        assertThat(gap.getInt("earliest")).isEqualTo(PUBLISHED);
        assertThat(gap.getBoolean("conflated")).isTrue();
        assertThat(gap.containsKey("reset")).isFalse();
    }

    @Test
    void aWebSocketResumingFarBehindGetsTheLatestAndAConflatedGapWhileTheLiveOneGotEverything() {
        try (WsClient live = WsClient.connect(); WsClient behind = WsClient.connect()) {
            String channel = pricesWithHistory(live);
            behind.subscribe(channel, 0L, "behind");
            JsonObject latest = behind.awaitMessages(channel, 1).get(0);
            assertThat(latest.getInt("offset")).isEqualTo(PUBLISHED);
            JsonObject gap = behind.await(f -> "gap".equals(f.getString("type")));
            assertConflatedGap(gap, channel);
            assertThat(behind.messages(channel)).hasSize(1);
        }
    }

    @Test
    void anSseStreamResumingFarBehindGetsTheSame() {
        try (WsClient live = WsClient.connect()) {
            String channel = pricesWithHistory(live);
            String epoch = live.messages(channel).get(0).getString("id").replaceFirst("-1$", "");
            try (SseClient sse = SseClient.open("?mode=herald&channel=" + channel + "&lastEventId="
                    + java.net.URLEncoder.encode(channel + "=" + epoch + "-0", java.nio.charset.StandardCharsets.UTF_8),
                    Map.of())) {
                JsonObject latest = sse.awaitEnvelopes(channel, 1).get(0);
                assertThat(latest.getInt("offset")).isEqualTo(PUBLISHED);
                assertConflatedGap(sse.await(e -> e.event().equals("herald-gap")).json(), channel);
                assertThat(sse.envelopes(channel)).hasSize(1);
            }
        }
    }

    @Test
    void aLongPollFarBehindGetsTheSame() {
        try (WsClient live = WsClient.connect()) {
            String channel = pricesWithHistory(live);
            String epoch = live.messages(channel).get(0).getString("id").replaceFirst("-1$", "");
            JsonObject answer = Http.json(Http.get("poll?channel=" + channel + "&since="
                    + java.net.URLEncoder.encode(channel + "=" + epoch + "-0", java.nio.charset.StandardCharsets.UTF_8)));
            assertThat(answer.getJsonArray("messages")).extracting(v -> v.asJsonObject().getInt("offset"))
                    .containsExactly(PUBLISHED);
            assertThat(answer.getJsonArray("gaps")).hasSize(1);
            assertConflatedGap(answer.getJsonArray("gaps").getJsonObject(0), channel);
            assertThat(answer.get("cursor")).isNotEqualTo(JsonValue.NULL);
        }
    }
}
