package dev.herald.it;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.json.JsonObject;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * docs/protocol.md, "Presence": who is subscribed to a {@code chat:} channel (presence on in the shipped defaults),
 * from {@code GET /api/channels/{ch}/presence}, {@code GET /api/presence?channel=} and the WebSocket
 * {@code presence} frame; {@code join}/{@code leave} events over WebSocket, SSE and long-poll to subscriptions that
 * ask for them; leave on unsubscribe and on an abrupt disconnect, once.
 */
class PresenceIT {

    private static JsonObject presence(String channel) {
        return Http.json(Http.get("api/presence?channel=" + URLEncoder.encode(channel, StandardCharsets.UTF_8)));
    }

    private static List<String> users(String channel) {
        return presence(channel).getJsonArray("presence").getValuesAs(JsonObject.class).stream()
                .map(o -> o.getString("user", "")).sorted().toList();
    }

    private static void subscribe(WsClient c, String channel, String ref, String extra) {
        c.send("{\"type\":\"subscribe\",\"channel\":\"" + channel + "\",\"ref\":\"" + ref + "\"" + extra + "}");
        c.await(f -> "subscribed".equals(f.getString("type", null)) && ref.equals(f.getString("ref", null)));
    }

    private static long count(WsClient c, String type, String user) {
        return c.frames().stream().filter(f -> type.equals(f.getString("type", null))
                && user.equals(f.getString("user", null))).count();
    }

    @Test
    void theListShowsEverySubscriberWithItsIdAndInfoInAllThreeForms() {
        String channel = Http.channel("chat");
        try (WsClient alice = WsClient.connect(); WsClient bob = WsClient.connect()) {
            subscribe(alice, channel, "a", ",\"user\":\"alice\",\"info\":{\"name\":\"Alice\"}");
            subscribe(bob, channel, "b", ",\"user\":\"bob\"");

            JsonObject list = presence(channel);
            assertThat(list.getString("channel")).isEqualTo(channel);
            assertThat(users(channel)).containsExactly("alice", "bob");
            JsonObject a = list.getJsonArray("presence").getValuesAs(JsonObject.class).stream()
                    .filter(o -> o.getString("user").equals("alice")).findFirst().orElseThrow();
            assertThat(a.getJsonObject("info").getString("name")).isEqualTo("Alice");
            assertThat(a.getString("client")).isNotEmpty();

            JsonObject byPath = Http.json(Http.get("api/channels/" + channel + "/presence"));
            assertThat(byPath.getJsonArray("presence")).hasSize(2);

            bob.send("{\"type\":\"presence\",\"channel\":\"" + channel + "\",\"ref\":\"p\"}");
            JsonObject reply = bob.awaitReply("p");
            assertThat(reply.getString("type")).isEqualTo("presence");
            assertThat(reply.getJsonArray("presence")).hasSize(2);
        }
        Awaitility.await().atMost(WsClient.WAIT).until(() -> users(channel).isEmpty());
    }

    @Test
    void presenceIsOffOutsideChatAndBadIdsAreRefused() {
        assertThat(Http.get("api/presence?channel=" + Http.channel("news")).statusCode()).isEqualTo(404);
        String channel = Http.channel("chat");
        try (WsClient c = WsClient.connect()) {
            c.send("{\"type\":\"subscribe\",\"channel\":\"" + channel + "\",\"user\":\"no spaces\",\"ref\":\"x\"}");
            assertThat(c.awaitReply("x").getString("code")).isEqualTo("bad_request");
            c.send("{\"type\":\"subscribe\",\"channel\":\"" + channel + "\",\"info\":{\"a\":\"" + "x".repeat(2000)
                    + "\"},\"ref\":\"y\"}");
            assertThat(c.awaitReply("y").getString("code")).isEqualTo("bad_request");
        }
        try (SseClient sse = SseClient.open("?channel=" + channel + "&user=" + "u".repeat(65))) {
            assertThat(sse.status()).isEqualTo(400);
        }
    }

    @Test
    void webSocketJoinAndLeaveGoToSubscriptionsThatAskOnceEach() {
        String channel = Http.channel("chat");
        try (WsClient watcher = WsClient.connect(); WsClient quiet = WsClient.connect()) {
            subscribe(watcher, channel, "w", ",\"presence\":true,\"user\":\"watcher\"");
            subscribe(quiet, channel, "q", ",\"user\":\"quiet\"");
            JsonObject join = watcher.await(f -> "join".equals(f.getString("type", null))
                    && "quiet".equals(f.getString("user", null)));
            assertThat(join.getString("channel")).isEqualTo(channel);
            assertThat(join.containsKey("offset")).isFalse();
            try (WsClient carol = WsClient.connect()) {
                subscribe(carol, channel, "c", ",\"user\":\"carol\"");
                watcher.await(f -> "join".equals(f.getString("type", null)) && "carol".equals(f.getString("user", null)));
                carol.send("{\"type\":\"unsubscribe\",\"channel\":\"" + channel + "\",\"ref\":\"u\"}");
                carol.awaitReply("u");
                watcher.await(f -> "leave".equals(f.getString("type", null))
                        && "carol".equals(f.getString("user", null)));
            } // closing after the unsubscribe: no second leave
            quiet.close();
            watcher.await(f -> "leave".equals(f.getString("type", null)) && "quiet".equals(f.getString("user", null)));
            Http.publish(channel, "{\"after\":true}"); // a marker: events before it have arrived
            watcher.awaitMessages(channel, 1);
            assertThat(count(watcher, "leave", "carol")).isEqualTo(1);
            assertThat(count(watcher, "join", "carol")).isEqualTo(1);
            assertThat(quiet.frames().stream().filter(f -> "join".equals(f.getString("type", null)))).isEmpty();
            // not in history
            JsonObject history = Http.json(Http.get("api/messages?channel=" + channel + "&since=0"));
            assertThat(history.getJsonArray("messages")).hasSize(1);
        }
    }

    @Test
    void sseGetsJoinAndLeaveAsNamedEventsWithoutIds() {
        String channel = Http.channel("chat");
        try (SseClient sse = SseClient.open("?channel=" + channel + "&presence=1&user=sse-user")) {
            assertThat(sse.status()).isEqualTo(200);
            Awaitility.await().atMost(WsClient.WAIT).until(() -> users(channel).contains("sse-user"));
            try (WsClient dave = WsClient.connect()) {
                subscribe(dave, channel, "d", ",\"user\":\"dave\"");
                SseClient.Event join = sse.await(e -> "herald-join".equals(e.event())
                        && e.data().contains("\"dave\""));
                assertThat(join.json().getString("channel")).isEqualTo(channel);
            }
            sse.await(e -> "herald-leave".equals(e.event()) && e.data().contains("\"dave\""));
        }
        // a closed SSE stream is noticed at the server's next write: its heartbeat (15 s by default on the containers)
        Awaitility.await().atMost(java.time.Duration.ofSeconds(45)).until(() -> !users(channel).contains("sse-user"));
    }

    @Test
    void longPollGetsJoinAndLeaveInItsAnswer() throws Exception {
        String channel = Http.channel("chat");
        CompletableFuture<HttpResponse<String>> poll = java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1).build().sendAsync(HttpRequest.newBuilder(
                        HeraldTarget.http("poll?channel=" + channel + "&since=0&presence=1"))
                .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
        try (WsClient erin = WsClient.connect()) {
            // the poll holds until something comes; subscribe until its join is in an answer
            subscribe(erin, channel, "e", ",\"user\":\"erin\"");
            HttpResponse<String> answer = poll.get(30, TimeUnit.SECONDS);
            assertThat(answer.statusCode()).isEqualTo(200);
            JsonObject body = Http.json(answer);
            assertThat(body.getJsonArray("messages")).isEmpty();
            JsonObject join = body.getJsonArray("presence").getJsonObject(0);
            assertThat(join.getString("type")).isEqualTo("join");
            assertThat(join.getString("user")).isEqualTo("erin");
            assertThat(users(channel)).containsExactly("erin"); // a long-poll request is not listed
        }
    }

    @Test
    void anAbruptlyClosedWebSocketLeaves() throws Exception {
        String channel = Http.channel("chat");
        try (WsClient watcher = WsClient.connect()) {
            subscribe(watcher, channel, "w", ",\"presence\":true,\"user\":\"watcher\"");
            URI base = HeraldTarget.http("ws");
            try (Socket raw = new Socket(base.getHost(), base.getPort())) {
                OutputStream out = raw.getOutputStream();
                out.write(("GET " + base.getRawPath() + " HTTP/1.1\r\nHost: " + base.getHost() + ":" + base.getPort()
                        + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                InputStream in = raw.getInputStream();
                StringBuilder head = new StringBuilder();
                while (!head.toString().endsWith("\r\n\r\n")) {
                    int b = in.read();
                    assertThat(b).isNotNegative();
                    head.append((char) b);
                }
                assertThat(head.toString()).startsWith("HTTP/1.1 101");
                out.write(maskedText("{\"type\":\"subscribe\",\"channel\":\"" + channel
                        + "\",\"user\":\"ghost\",\"ref\":\"g\"}"));
                out.flush();
                watcher.await(f -> "join".equals(f.getString("type", null))
                        && "ghost".equals(f.getString("user", null)));
                raw.setSoLinger(true, 0); // RST, no close frame
            }
            watcher.await(f -> "leave".equals(f.getString("type", null)) && "ghost".equals(f.getString("user", null)));
            assertThat(users(channel)).containsExactly("watcher");
            Http.publish(channel, "{\"marker\":1}");
            watcher.awaitMessages(channel, 1);
            assertThat(count(watcher, "leave", "ghost")).isEqualTo(1);
        }
    }

    /** A client text frame (masked, as RFC 6455 requires), shorter than 126 bytes. */
    private static byte[] maskedText(String text) {
        byte[] payload = text.getBytes(StandardCharsets.UTF_8);
        assertThat(payload.length).isLessThan(126);
        byte[] mask = {1, 2, 3, 4};
        byte[] frame = new byte[6 + payload.length];
        frame[0] = (byte) 0x81;
        frame[1] = (byte) (0x80 | payload.length);
        System.arraycopy(mask, 0, frame, 2, 4);
        for (int i = 0; i < payload.length; i++) {
            frame[6 + i] = (byte) (payload[i] ^ mask[i % 4]);
        }
        return frame;
    }
}
