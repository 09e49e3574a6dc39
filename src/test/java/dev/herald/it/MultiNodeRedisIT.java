package dev.herald.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.support.RedisServer;
import jakarta.json.JsonObject;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * {@link MultiNodeSuite} on one {@code redis-server}, plus what only a single Redis lets a test do: take it down and
 * bring it back (docs/scaling.md, "When Redis is unavailable"). Two channels per test, so that streams carry several.
 */
class MultiNodeRedisIT extends MultiNodeSuite {
    private RedisServer redis;

    @Override
    String startRedis() {
        redis = new RedisServer();
        return redis.url();
    }

    @Override
    void stopRedis() {
        redis.close();
    }

    @Override
    List<String> channels(String prefix) {
        String name = Http.channel("nodes-" + prefix);
        return List.of(name + "-1", name + "-2");
    }

    @Override
    String name() {
        return "multinode-redis";
    }

    /**
     * Redis restarted without persistence (docs/protocol.md section 5, reset gaps): every subscriber, WebSocket and
     * SSE on both nodes, gets a reset gap naming the new epoch, then the new stream from offset 1.
     */
    @Test
    void redisRestartedWithoutPersistenceGivesEverySubscriberAResetGapAndTheStreamsGoOn() {
        List<String> channels = channels("reset");
        try (WsClient wsA = WsClient.connect(ws(a)); WsClient wsB = WsClient.connect(ws(b));
             SseClient sseA = sse(a, channels, Map.of()); SseClient sseB = sse(b, channels, Map.of())) {
            for (String channel : channels) {
                subscribe(wsA, channel, null, null);
                subscribe(wsB, channel, null, null);
            }
            awaitSubscribed(sseA, channels);
            awaitSubscribed(sseB, channels);
            List<String> oldEpochs = new ArrayList<>();
            for (String channel : channels) {
                oldEpochs.add(epoch(publish(a, channel, "1")));
                publish(b, channel, "2");
            }
            for (String channel : channels) {
                awaitMessages(wsA, channel, 2);
                awaitMessages(wsB, channel, 2);
                awaitEnvelopes(sseA, channel, 2);
                awaitEnvelopes(sseB, channel, 2);
            }

            redis.stop();
            redis.start();
            awaitRedis(a, channels);
            awaitRedis(b, channels);
            for (String channel : channels) {
                publish(a, channel, "3");
                publish(b, channel, "4");
                publish(a, channel, "5");
            }

            for (int i = 0; i < channels.size(); i++) {
                String channel = channels.get(i);
                String newEpoch = info(a, channel).getString("epoch");
                assertThat(newEpoch).isNotEqualTo(oldEpochs.get(i));
                for (WsClient ws : List.of(wsA, wsB)) {
                    List<JsonObject> messages = awaitMessages(ws, channel, 5);
                    assertThat(messages).extracting(o -> o.getInt("data")).containsExactly(1, 2, 3, 4, 5);
                    assertThat(offsets(messages)).containsExactly(1L, 2L, 1L, 2L, 3L);
                    assertThat(messages.subList(2, 5)).extracting(MultiNodeSuite::epoch).containsOnly(newEpoch);
                    List<JsonObject> frames = ws.frames().stream().filter(f -> channel.equals(f.getString("channel",
                            null)) && List.of("message", "gap").contains(f.getString("type"))).toList();
                    assertThat(frames).extracting(f -> f.getString("type"))
                            .containsExactly("message", "message", "gap", "message", "message", "message");
                    JsonObject gap = frames.get(2);
                    assertThat(gap.getBoolean("reset")).isTrue();
                    assertThat(gap.getString("epoch")).isEqualTo(newEpoch);
                    assertThat(gap.getJsonNumber("earliest").longValue()).isEqualTo(1);
                    assertThat(ws.isOpen()).isTrue();
                }
                for (SseClient sse : List.of(sseA, sseB)) {
                    List<JsonObject> envelopes = awaitEnvelopes(sse, channel, 5);
                    assertThat(envelopes).extracting(o -> o.getInt("data")).containsExactly(1, 2, 3, 4, 5);
                    assertThat(offsets(envelopes)).containsExactly(1L, 2L, 1L, 2L, 3L);
                    List<SseClient.Event> events = sse.events().stream()
                            .filter(e -> channel.equals(e.json().getString("channel"))).toList();
                    assertThat(events).extracting(SseClient.Event::event)
                            .containsExactly("message", "message", "herald-gap", "message", "message", "message");
                    JsonObject gap = events.get(2).json();
                    assertThat(gap.getBoolean("reset")).isTrue();
                    assertThat(gap.getString("epoch")).isEqualTo(newEpoch);
                    assertThat(sse.ended()).isFalse();
                }
            }
        }
    }

    /**
     * Redis down (docs/scaling.md, "When Redis is unavailable"): publishes over HTTP and WebSocket, and a new
     * subscribe, are refused with {@code unavailable} (HTTP 503) on both nodes, never held; open connections stay
     * open and answer; once Redis is back, delivery goes on. With an append-only file (fsync always) Redis comes
     * back with everything: no gap, the same epoch, offsets continue. Nodes of their own, on a Redis of their own.
     */
    @Test
    void withRedisDownPublishingAnswersUnavailableConnectionsStayAndAfterAnAofRestartOffsetsContinue() {
        List<String> channels = channels("aof");
        String elsewhere = Http.channel("nodes-aof-other");
        HeraldTarget.Standalone d = null;
        HeraldTarget.Standalone e = null;
        try (RedisServer aof = RedisServer.withAppendOnlyFile()) {
            List<HeraldTarget.Standalone> nodes = nodes(aof.url(), name() + "-aof-a", name() + "-aof-b");
            d = nodes.get(0);
            e = nodes.get(1);
            try (WsClient wsD = WsClient.connect(ws(d)); WsClient wsE = WsClient.connect(ws(e));
                 SseClient sseD = sse(d, channels, Map.of()); SseClient sseE = sse(e, channels, Map.of())) {
                for (String channel : channels) {
                    subscribe(wsD, channel, null, null);
                    subscribe(wsE, channel, null, null);
                }
                awaitSubscribed(sseD, channels);
                awaitSubscribed(sseE, channels);
                for (String channel : channels) {
                    publish(d, channel, "1");
                    publish(e, channel, "2");
                }
                for (String channel : channels) {
                    awaitMessages(wsD, channel, 2);
                    awaitEnvelopes(sseE, channel, 2);
                }

                aof.stop();
                try {
                    for (HeraldTarget.Standalone node : List.of(d, e)) {
                        HttpResponse<String> refused = post(node, channels.get(0), "0");
                        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
                        assertThat(Http.json(refused).getJsonObject("error").getString("code"))
                                .isEqualTo("unavailable");
                    }
                    wsD.send("{\"type\":\"publish\",\"channel\":\"" + channels.get(0) + "\",\"data\":0,"
                            + "\"ref\":\"down\"}");
                    JsonObject error = awaitReply(wsD, "down");
                    assertThat(error.getString("type")).isEqualTo("error");
                    assertThat(error.getString("code")).isEqualTo("unavailable");
                    wsE.send("{\"type\":\"subscribe\",\"channel\":\"" + elsewhere + "\",\"ref\":\"sub-down\"}");
                    JsonObject refusedSubscribe = awaitReply(wsE, "sub-down");
                    assertThat(refusedSubscribe.getString("type")).isEqualTo("error");
                    assertThat(refusedSubscribe.getString("code")).isEqualTo("unavailable");
                    wsE.send("{\"type\":\"ping\",\"ref\":\"alive\"}");
                    assertThat(awaitReply(wsE, "alive").getString("type")).isEqualTo("pong");
                    assertThat(wsD.isOpen()).isTrue();
                    assertThat(wsE.isOpen()).isTrue();
                    assertThat(sseD.ended()).isFalse();
                    assertThat(sseE.ended()).isFalse();
                } finally {
                    aof.start();
                }

                awaitRedis(d, channels);
                awaitRedis(e, channels);
                for (String channel : channels) {
                    publish(e, channel, "3");
                    publish(d, channel, "4");
                }
                for (String channel : channels) {
                    List<JsonObject> first = awaitMessages(wsD, channel, 4);
                    for (List<JsonObject> received : List.of(first, awaitMessages(wsE, channel, 4),
                            awaitEnvelopes(sseD, channel, 4), awaitEnvelopes(sseE, channel, 4))) {
                        assertThat(offsets(received)).as(channel).containsExactly(1L, 2L, 3L, 4L);
                        assertThat(received).extracting(o -> o.getInt("data")).containsExactly(1, 2, 3, 4);
                        assertThat(received).extracting(MultiNodeSuite::epoch).containsOnly(epoch(first.get(0)));
                    }
                }
                for (WsClient ws : List.of(wsD, wsE)) {
                    assertThat(ws.frames()).noneMatch(f -> "gap".equals(f.getString("type", null)));
                }
                for (SseClient sse : List.of(sseD, sseE)) {
                    assertThat(sse.events("herald-gap")).isEmpty();
                }
                // the subscribe refused while Redis was down is possible again
                subscribe(wsE, elsewhere, null, null);
            }
        } finally {
            close(d, e);
        }
    }

    /**
     * Waits until the node reaches Redis again: a history read answers 200 (it writes nothing but a missing
     * channel's epoch, so that no publish attempt is left half-known).
     */
    private static void awaitRedis(HeraldTarget.Standalone node, List<String> channels) {
        Awaitility.await(node.base() + " reaches Redis again").atMost(WAIT)
                .until(() -> get(node, "api/channels?channel=" + enc(channels.get(0))).statusCode() == 200);
    }
}
