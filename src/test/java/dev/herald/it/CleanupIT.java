package dev.herald.it;

import static dev.herald.it.FanOutIT.awaitSseSubscribed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Closed clients are removed: the channel's subscriber count returns to zero. */
class CleanupIT {
    /** An SSE stream whose client vanished is noticed at the next write: at most one heartbeat (15 s by default). */
    private static final Duration NOTICE = Duration.ofSeconds(45);

    @Test
    void closedWebSocketClientsAreRemoved() {
        String channel = Http.channel("cleanup");
        WsClient a = WsClient.connect();
        WsClient b = WsClient.connect();
        a.subscribe(channel, null, "1");
        b.subscribe(channel, null, "2");
        assertThat(Http.subscribers(channel)).isEqualTo(2);
        a.close();
        await().atMost(NOTICE).until(() -> Http.subscribers(channel) == 1);
        b.send("{\"type\":\"unsubscribe\",\"channel\":\"" + channel + "\",\"ref\":\"u\"}");
        assertThat(b.awaitReply("u").getString("type")).isEqualTo("unsubscribed");
        assertThat(Http.subscribers(channel)).isZero();
        b.close();
    }

    @Test
    void closedSseClientsAreRemoved() {
        String channel = Http.channel("cleanup");
        SseClient sse = SseClient.open("?channel=" + channel);
        awaitSseSubscribed(sse, channel);
        assertThat(Http.subscribers(channel)).isEqualTo(1);
        sse.close();
        await().atMost(NOTICE).until(() -> Http.subscribers(channel) == 0);
    }
}
