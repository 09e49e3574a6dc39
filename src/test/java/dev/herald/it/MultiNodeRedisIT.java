package dev.herald.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.support.RedisServer;
import jakarta.json.JsonObject;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * {@link MultiNodeSuite} on one {@code redis-server}, plus what only a single Redis lets a test do: take it down and
 * bring it back (docs/scaling.md, "When Redis is unavailable"). Two channels per test, so that streams carry several.
 */
class MultiNodeRedisIT extends MultiNodeSuite {
    private RedisServer redis;
    private RedisServer aof;
    private List<HeraldTarget.Standalone> aofNodes;

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
            subscribeAll(channels, List.of(wsA, wsB), List.of(sseA, sseB));
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
     * back with everything: no gap, the same epoch, offsets continue. Two nodes of their own on an AOF Redis of their
     * own (shared with the next case).
     */
    @Test
    void withRedisDownPublishingAnswersUnavailableConnectionsStayAndAfterAnAofRestartOffsetsContinue() {
        List<String> channels = channels("aof");
        String elsewhere = Http.channel("nodes-aof-other");
        startAof();
        HeraldTarget.Standalone d = aofNodes.get(0);
        HeraldTarget.Standalone e = aofNodes.get(1);
        try (WsClient wsD = WsClient.connect(ws(d)); WsClient wsE = WsClient.connect(ws(e));
             SseClient sseD = sse(d, channels, Map.of()); SseClient sseE = sse(e, channels, Map.of())) {
            subscribeAll(channels, List.of(wsD, wsE), List.of(sseD, sseE));
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
    }

    /**
     * Redis comes back behind what the nodes delivered (docs/scaling.md, "When Redis loses writes"): its AOF is put
     * back as it was two publishes ago, as after a crash with {@code appendfsync everysec}. The nodes start a new
     * epoch rather than give offsets 3 and 4 to other messages: every subscriber, WebSocket and SSE on both nodes,
     * gets a reset gap and the new stream from offset 1, and no offset of the old epoch twice.
     */
    @Test
    void redisComingBackBehindWhatWasDeliveredStartsANewEpochAndNoOffsetIsReused() throws Exception {
        List<String> channels = channels("behind");
        startAof();
        HeraldTarget.Standalone d = aofNodes.get(0);
        HeraldTarget.Standalone e = aofNodes.get(1);
        try (WsClient wsD = WsClient.connect(ws(d)); WsClient wsE = WsClient.connect(ws(e));
             SseClient sseD = sse(d, channels, Map.of()); SseClient sseE = sse(e, channels, Map.of())) {
            subscribeAll(channels, List.of(wsD, wsE), List.of(sseD, sseE));
            List<String> oldEpochs = new ArrayList<>();
            for (String channel : channels) {
                oldEpochs.add(epoch(publish(d, channel, "1")));
                publish(e, channel, "2");
            }
            awaitAll(channels, 2, wsD, wsE, sseD, sseE);
            Path saved = Files.createTempDirectory("herald-aof-saved");
            try {
                // every write was fsynced before its answer, and nothing writes now: a consistent copy
                copy(aof.directory().resolve("appendonlydir"), saved);
                for (String channel : channels) {
                    publish(d, channel, "3");
                    publish(e, channel, "4");
                }
                awaitAll(channels, 4, wsD, wsE, sseD, sseE);

                aof.stop();
                delete(aof.directory().resolve("appendonlydir"));
                copy(saved, aof.directory().resolve("appendonlydir"));
                aof.start();
            } finally {
                delete(saved);
            }
            awaitRedis(d, channels);
            awaitRedis(e, channels);
            for (String channel : channels) {
                publish(e, channel, "5");
                publish(d, channel, "6");
            }
            awaitAll(channels, 6, wsD, wsE, sseD, sseE);

            for (int i = 0; i < channels.size(); i++) {
                String channel = channels.get(i);
                String newEpoch = info(d, channel).getString("epoch");
                assertThat(newEpoch).isNotEqualTo(oldEpochs.get(i));
                for (WsClient ws : List.of(wsD, wsE)) {
                    List<JsonObject> frames = ws.frames().stream().filter(f -> channel.equals(f.getString("channel",
                            null)) && List.of("message", "gap").contains(f.getString("type"))).toList();
                    assertThat(frames).extracting(f -> f.getString("type"))
                            .containsExactly("message", "message", "message", "message", "gap", "message", "message");
                    assertResetAfterFour(frames.stream().filter(f -> f.getString("type").equals("message")).toList(),
                            frames.get(4), oldEpochs.get(i), newEpoch);
                }
                for (SseClient sse : List.of(sseD, sseE)) {
                    List<SseClient.Event> events = sse.events().stream()
                            .filter(ev -> channel.equals(ev.json().getString("channel"))).toList();
                    assertThat(events).extracting(SseClient.Event::event).containsExactly("message", "message",
                            "message", "message", "herald-gap", "message", "message");
                    assertResetAfterFour(sse.envelopes(channel), events.get(4).json(), oldEpochs.get(i), newEpoch);
                }
            }
        }
    }

    private static void assertResetAfterFour(List<JsonObject> messages, JsonObject gap, String oldEpoch,
                                             String newEpoch) {
        assertThat(messages).extracting(o -> o.getInt("data")).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(offsets(messages)).containsExactly(1L, 2L, 3L, 4L, 1L, 2L);
        assertThat(messages).extracting(MultiNodeSuite::epoch)
                .containsExactly(oldEpoch, oldEpoch, oldEpoch, oldEpoch, newEpoch, newEpoch);
        assertThat(gap.getBoolean("reset")).isTrue();
        assertThat(gap.getString("epoch")).isEqualTo(newEpoch);
    }

    private static void awaitAll(List<String> channels, int n, Object... subscribers) {
        for (String channel : channels) {
            for (Object s : subscribers) {
                if (s instanceof WsClient ws) {
                    awaitMessages(ws, channel, n);
                } else {
                    awaitEnvelopes((SseClient) s, channel, n);
                }
            }
        }
    }

    /** A Redis with an AOF (fsync always) and two nodes of its own, for the cases that stop it; made once. */
    private void startAof() {
        if (aof == null) {
            aof = RedisServer.withAppendOnlyFile();
            aofNodes = nodes(aof.url(), name() + "-aof-a", name() + "-aof-b");
        }
    }

    @AfterAll
    void stopAof() {
        if (aofNodes != null) {
            close(aofNodes.toArray(AutoCloseable[]::new));
        }
        if (aof != null) {
            aof.close();
        }
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : files.toList()) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    private static void delete(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
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
