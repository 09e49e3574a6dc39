package dev.herald.it;

import static dev.herald.it.FanOutIT.awaitSseSubscribed;
import static org.assertj.core.api.Assertions.assertThat;

import jakarta.json.JsonObject;
import org.junit.jupiter.api.Test;

/** docs/protocol.md section 6.3: the SSE stream herald.js asks for with {@code mode=herald}. */
class SseHeraldModeIT {

    @Test
    void envelopesAreUnnamedAndAHeartbeatEventCarryingThePositionsComesAsSoonAsTheStreamIsSubscribed() {
        String a = Http.channel("mode");
        String b = Http.channel("mode");
        Http.publish(a, "1");
        try (SseClient sse = SseClient.open("?channel=" + a + "&channel=" + b + "&mode=herald")) {
            assertThat(sse.status()).isEqualTo(200);
            SseClient.Event beat = sse.await(e -> e.event().equals("herald-heartbeat"));
            assertThat(beat.json().getJsonNumber("interval").longValue()).isPositive();
            assertThat(beat.id()).contains(a + "=").contains(b + "=").endsWith("-0");
            assertThat(beat.id()).contains(a + "=" + Http.info(a).getString("epoch") + "-1");

            JsonObject sent = Http.publish(b, "news", "{\"n\":1}");
            SseClient.Event message = sse.await(e -> e.data().contains("\"news\""));
            assertThat(message.event()).isEqualTo("message");
            assertThat(message.json()).isEqualTo(sent);
            assertThat(sse.comments()).isEmpty();
        }
    }

    @Test
    void withoutTheModeTheStreamIsTheContractsOne() {
        String a = Http.channel("mode");
        try (SseClient sse = SseClient.open("?channel=" + a)) {
            awaitSseSubscribed(sse, a);
            Http.publish(a, "news", "1");
            assertThat(sse.await(e -> !e.event().startsWith("herald-")).event()).isEqualTo("news");
            assertThat(sse.events("herald-heartbeat")).isEmpty();
        }
    }

    @Test
    void anUnknownModeIsABadRequest() {
        try (SseClient sse = SseClient.open("?channel=a&mode=other")) {
            assertThat(sse.status()).isEqualTo(400);
        }
    }
}
