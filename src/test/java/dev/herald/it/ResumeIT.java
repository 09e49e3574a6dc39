package dev.herald.it;

import static dev.herald.it.FanOutIT.awaitSseSubscribed;
import static org.assertj.core.api.Assertions.assertThat;

import jakarta.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** docs/protocol.md, "Resuming": what a reconnecting client missed, exactly once, in order; gaps when it is gone. */
class ResumeIT {

    @Test
    void sseResumesWithLastEventIdAfterMissedMessages() {
        String channel = Http.channel("resume");
        String token;
        try (SseClient first = SseClient.open("?channel=" + channel)) {
            awaitSseSubscribed(first, channel);
            Http.publish(channel, "1");
            Http.publish(channel, "2");
            first.awaitEnvelopes(channel, 2);
            token = first.events().get(first.events().size() - 1).id();
        }
        Http.publish(channel, "3");
        Http.publish(channel, "4");
        Http.publish(channel, "5");

        try (SseClient again = SseClient.open("?channel=" + channel, Map.of("Last-Event-ID", token))) {
            assertThat(again.status()).isEqualTo(200);
            List<JsonObject> missed = again.awaitEnvelopes(channel, 3);
            Http.publish(channel, "6");
            List<JsonObject> all = again.awaitEnvelopes(channel, 4);
            assertThat(all).extracting(o -> o.getInt("data")).containsExactly(3, 4, 5, 6);
            assertThat(missed.get(0).getJsonNumber("offset").longValue()).isEqualTo(3);
            assertThat(again.events("herald-gap")).isEmpty();
        }
    }

    @Test
    void sseResumesWithTheLastEventIdQueryParameterToo() {
        String channel = Http.channel("resume");
        String token;
        try (SseClient first = SseClient.open("?channel=" + channel)) {
            awaitSseSubscribed(first, channel);
            token = first.lastEventId(); // the position when the subscription started, before any message
        }
        Http.publish(channel, "\"a\"");
        Http.publish(channel, "\"b\"");
        String query = "?channel=" + channel + "&lastEventId=" + URLEncoder.encode(token, StandardCharsets.UTF_8);
        try (SseClient again = SseClient.open(query)) {
            assertThat(again.awaitEnvelopes(channel, 2)).extracting(o -> o.getString("data")).containsExactly("a", "b");
        }
    }

    @Test
    void webSocketSinceReplaysTheMessagesAfterItThenLiveOnes() {
        String channel = Http.channel("since");
        for (int i = 1; i <= 5; i++) {
            Http.publish(channel, Integer.toString(i));
        }
        try (WsClient ws = WsClient.connect()) {
            JsonObject subscribed = ws.subscribe(channel, 2L, "r1");
            assertThat(subscribed.getJsonNumber("offset").longValue()).isEqualTo(5);
            Http.publish(channel, "6");
            assertThat(ws.awaitMessages(channel, 4)).extracting(o -> o.getInt("data")).containsExactly(3, 4, 5, 6);
            int subscribedAt = ws.frames().indexOf(subscribed);
            int firstMessage = ws.frames().indexOf(ws.messages(channel).get(0));
            assertThat(subscribedAt).isLessThan(firstMessage);
        }
    }

    @Test
    void aGapIsSignalledOnWebSocketAndSseWhenHistoryNoLongerHoldsWhatWasMissed() {
        String channel = Http.channel("gap");
        int published = 1005; // the default history keeps 1000
        try (WsClient publisher = WsClient.connect()) {
            for (int i = 1; i <= published; i++) {
                publisher.send("{\"type\":\"publish\",\"channel\":\"" + channel + "\",\"data\":" + i
                        + ",\"ref\":\"p" + i + "\"}");
            }
            publisher.awaitReply("p" + published);
        }
        long earliest = Http.info(channel).getJsonNumber("earliest").longValue();
        assertThat(earliest).isGreaterThan(1);

        try (WsClient ws = WsClient.connect()) {
            ws.subscribe(channel, 0L, "r1");
            JsonObject gap = ws.await(f -> "gap".equals(f.getString("type")));
            assertThat(gap.getString("channel")).isEqualTo(channel);
            assertThat(gap.getJsonNumber("requested").longValue()).isEqualTo(1);
            assertThat(gap.getJsonNumber("earliest").longValue()).isEqualTo(earliest);
            List<JsonObject> replay = ws.awaitMessages(channel, (int) (published - earliest + 1));
            assertThat(replay.get(0).getJsonNumber("offset").longValue()).isEqualTo(earliest);
            assertThat(ws.frames().indexOf(gap)).isLessThan(ws.frames().indexOf(replay.get(0)));
        }
        String stale = channel + "=" + Http.info(channel).getString("epoch") + "-0";
        try (SseClient sse = SseClient.open("?channel=" + channel, Map.of("Last-Event-ID", stale))) {
            SseClient.Event gap = sse.await(e -> e.event().equals("herald-gap"));
            assertThat(gap.json().getString("channel")).isEqualTo(channel);
            assertThat(gap.json().getJsonNumber("requested").longValue()).isEqualTo(1);
            assertThat(gap.json().getJsonNumber("earliest").longValue()).isEqualTo(earliest);
            List<JsonObject> replay = sse.awaitEnvelopes(channel, (int) (published - earliest + 1));
            assertThat(replay.get(0).getJsonNumber("offset").longValue()).isEqualTo(earliest);
        }
    }

    @Test
    void aPositionFromAnotherEpochIsAResetAndEverythingKeptIsReplayed() {
        String channel = Http.channel("reset");
        Http.publish(channel, "1");
        Http.publish(channel, "2");
        try (WsClient ws = WsClient.connect()) {
            ws.send("{\"type\":\"subscribe\",\"channel\":\"" + channel + "\",\"since\":7,\"epoch\":\"gone\"}");
            JsonObject gap = ws.await(f -> "gap".equals(f.getString("type")));
            assertThat(gap.getBoolean("reset")).isTrue();
            assertThat(gap.getJsonNumber("earliest").longValue()).isEqualTo(1);
            assertThat(ws.awaitMessages(channel, 2)).extracting(o -> o.getInt("data")).containsExactly(1, 2);
        }
    }
}
