package dev.herald.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.glassfish.tyrus.client.ClientManager;
import org.junit.jupiter.api.Test;

/**
 * Hundreds of WebSocket and SSE subscribers of one channel, opened at once, all stay open and all receive every
 * message (docs/protocol.md, section 7: the idle timeout is Herald's own, so no container closes a fresh session).
 * Payara Micro 6 closed one such WebSocket within seconds when a container idle timeout was set.
 */
class ManyConnectionsIT {
    private static final int EACH = 200;
    private static final int MESSAGES = 10;
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void twoHundredWebSocketAndTwoHundredSseSubscribersAllReceiveEverything() throws Exception {
        String channel = Http.channel("crowd");
        ClientManager manager = ClientManager.createClient();
        List<WsClient> sockets = new CopyOnWriteArrayList<>();
        List<SseClient> streams = new CopyOnWriteArrayList<>();
        ExecutorService openers = Executors.newFixedThreadPool(32);
        try {
            List<Future<?>> opened = new ArrayList<>();
            for (int i = 0; i < EACH; i++) {
                // one client address each (the tests' loopback is a trusted proxy), so the per-address connection
                // limit (docs/security.md) does not refuse the crowd; 203.0.113.0/24 is a documentation range
                Map<String, String> client = Map.of("X-Forwarded-For", "203.0.113." + (i + 1));
                opened.add(openers.submit(() -> {
                    WsClient ws = WsClient.connect(manager, client);
                    sockets.add(ws);
                    ws.send("{\"type\":\"subscribe\",\"channel\":\"" + channel + "\",\"ref\":\"s\"}");
                }));
                opened.add(openers.submit(() -> streams.add(SseClient.open("?channel=" + channel, client))));
            }
            for (Future<?> f : opened) {
                f.get(2, TimeUnit.MINUTES);
            }
            assertThat(streams).extracting(SseClient::status).containsOnly(200);
            Awaitility.await().atMost(WAIT).until(() -> sockets.stream().allMatch(ws -> ws.frames().stream()
                    .anyMatch(f -> "subscribed".equals(f.getString("type", null)))));
            for (int i = 0; i < MESSAGES; i++) {
                Http.publish(channel, String.valueOf(i));
            }
            Awaitility.await().atMost(WAIT).until(() -> sockets.stream()
                    .allMatch(ws -> ws.messages(channel).size() >= MESSAGES)
                    && streams.stream().allMatch(sse -> sse.envelopes(channel).size() >= MESSAGES));
            for (WsClient ws : sockets) {
                assertThat(ws.messages(channel)).extracting(m -> m.getInt("data"))
                        .containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
                assertThat(ws.isOpen()).isTrue();
            }
            for (SseClient sse : streams) {
                assertThat(sse.envelopes(channel)).extracting(m -> m.getInt("offset"))
                        .containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
                assertThat(sse.ended()).isFalse();
            }
        } finally {
            openers.shutdownNow();
            sockets.forEach(WsClient::close);
            streams.forEach(SseClient::close);
        }
    }
}
