package dev.herald.it;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/** docs/protocol.md, "The envelope": one publish reaches every subscriber, whatever its transport, as one envelope. */
class FanOutIT {

    @Test
    void oneHttpPublishReachesWebSocketAndSseSubscribersWithEqualEnvelopes() {
        String channel = Http.channel("fan");
        try (WsClient ws = WsClient.connect(); SseClient sse = SseClient.open("?channel=" + channel)) {
            assertThat(sse.status()).isEqualTo(200);
            assertThat(sse.contentType()).startsWith("text/event-stream");
            JsonObject subscribed = ws.subscribe(channel, null, "s1");
            assertThat(subscribed.getJsonNumber("offset").longValue()).isZero();
            awaitSseSubscribed(sse, channel);

            JsonObject published = Http.json(Http.post("api/channels/" + channel + "/messages?event=news",
                    "application/json", "{\"headline\":\"Herald ships\",\"n\":[1,2]}"));
            JsonObject fromWs = ws.awaitMessages(channel, 1).get(0);
            SseClient.Event fromSse = sse.await(e -> e.event().equals("news"));

            JsonObject wsEnvelope = Json.createObjectBuilder(fromWs).remove("type").build();
            assertThat(wsEnvelope).isEqualTo(published);
            assertThat(fromSse.json()).isEqualTo(published);
            assertThat(published.getJsonNumber("offset").longValue()).isEqualTo(1);
            assertThat(published.getString("event")).isEqualTo("news");
            assertThat(published.getJsonObject("data").getString("headline")).isEqualTo("Herald ships");
            assertThat(published.keySet()).containsExactly("channel", "offset", "id", "event", "data", "ts");
        }
    }

    @Test
    void aWebSocketPublishIsAckedAndReachesSseInOrder() {
        String channel = Http.channel("fan");
        try (WsClient publisher = WsClient.connect(); SseClient sse = SseClient.open("?channel=" + channel)) {
            awaitSseSubscribed(sse, channel);
            for (int i = 1; i <= 5; i++) {
                publisher.send("{\"type\":\"publish\",\"channel\":\"" + channel + "\",\"event\":\"chat\","
                        + "\"data\":{\"i\":" + i + "},\"ref\":\"p" + i + "\"}");
            }
            JsonObject ack = publisher.awaitReply("p5");
            assertThat(ack.getString("type")).isEqualTo("ack");
            assertThat(ack.getJsonNumber("offset").longValue()).isEqualTo(5);
            assertThat(ack.getString("channel")).isEqualTo(channel);

            List<JsonObject> received = sse.awaitEnvelopes(channel, 5);
            assertThat(received).extracting(o -> o.getJsonNumber("offset").longValue()).containsExactly(1L, 2L, 3L, 4L, 5L);
            assertThat(received).extracting(o -> o.getJsonObject("data").getInt("i")).containsExactly(1, 2, 3, 4, 5);
            assertThat(sse.events("chat")).hasSize(5);
            assertThat(received.get(4).getString("id")).isEqualTo(ack.getString("id"));
        }
    }

    @Test
    void oneSseStreamCarriesManyChannelsAndSendsRetryOnce() {
        String a = Http.channel("multi");
        String b = Http.channel("multi");
        try (SseClient sse = SseClient.open("?channel=" + a + "&channel=" + b)) {
            awaitSseSubscribed(sse, a);
            awaitSseSubscribed(sse, b);
            Http.publish(a, "1");
            Http.publish(b, "2");
            assertThat(sse.awaitEnvelopes(a, 1).get(0).getInt("data")).isEqualTo(1);
            assertThat(sse.awaitEnvelopes(b, 1).get(0).getInt("data")).isEqualTo(2);
            assertThat(sse.retry()).isEqualTo("2000");
            assertThat(sse.lastEventId()).contains(a + "=").contains(b + "=");
        }
    }

    @Test
    void theDemoTickerPublishesPricesOverSse() {
        try (SseClient sse = SseClient.open("?channel=prices:ACME&channel=prices:BOLT")) {
            SseClient.Event price = sse.await(e -> e.event().equals("price"));
            JsonObject data = price.json().getJsonObject("data");
            assertThat(data.getString("symbol")).isIn("ACME", "BOLT");
            assertThat(data.getJsonNumber("price").doubleValue()).isPositive();
        }
    }

    /** The stream is subscribed once its id names the channel (sent when each subscription starts). */
    static void awaitSseSubscribed(SseClient sse, String channel) {
        org.awaitility.Awaitility.await().atMost(WsClient.WAIT).until(() -> sse.lastEventId().contains(channel + "="));
    }
}
