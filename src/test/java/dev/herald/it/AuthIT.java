package dev.herald.it;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.json.JsonObject;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * docs/security.md, "Authentication" and "Capabilities"; docs/protocol.md section 7 ({@code auth} frame, 4001) and
 * section 3 (401/403). The Herald under test runs with {@link TestSecurity}: anonymous clients may do anything except
 * on {@code secure:*}, tokens are HS256 with the test fixture key.
 */
class AuthIT {
    private static final List<String> ALL = List.of("subscribe", "publish", "history", "presence");

    private static HttpResponse<String> publish(String channel, String token, String json) {
        HttpRequest.Builder b = HttpRequest.newBuilder(HeraldTarget.http("api/messages?channel=" + enc(channel)))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return Http.send(b.build());
    }

    private static String code(HttpResponse<String> r) {
        return Http.json(r).getJsonObject("error").getString("code");
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static String secure(String name) {
        return Http.channel(TestSecurity.SECURE + name);
    }

    @Test
    void aTokenForChatCannotPublishOnPricesButSubscribesAndPublishesWhereGranted() {
        String room = Http.channel("chat");
        String token = TestSecurity.token("alice", Map.of("chat:*", List.of("subscribe", "publish")),
                Duration.ofMinutes(5));
        HttpResponse<String> refused = publish("prices:ACME", token, "{\"price\":1}");
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(code(refused)).isEqualTo("forbidden");
        assertThat(publish(room, token, "1").statusCode()).isEqualTo(201);

        try (WsClient ws = WsClient.connect()) {
            ws.send("{\"type\":\"auth\",\"token\":\"" + token + "\",\"ref\":\"a\"}");
            JsonObject authed = ws.awaitReply("a");
            assertThat(authed.getString("type")).isEqualTo("authenticated");
            assertThat(authed.getString("subject")).isEqualTo("alice");
            assertThat(authed.getJsonNumber("expires").longValue()).isGreaterThan(System.currentTimeMillis());
            ws.send("{\"type\":\"publish\",\"channel\":\"prices:ACME\",\"data\":1,\"ref\":\"p\"}");
            assertThat(ws.awaitReply("p").getString("code")).isEqualTo("forbidden");
            ws.send("{\"type\":\"subscribe\",\"channel\":\"prices:ACME\",\"ref\":\"s\"}");
            assertThat(ws.awaitReply("s").getString("code")).isEqualTo("forbidden");
            ws.subscribe(room, 0L, "r");
            ws.send("{\"type\":\"publish\",\"channel\":\"" + room + "\",\"data\":2,\"ref\":\"ok\"}");
            assertThat(ws.awaitReply("ok").getString("type")).isEqualTo("ack");
            assertThat(ws.awaitMessages(room, 2)).extracting(m -> m.getInt("data")).containsExactly(1, 2);
        }
    }

    @Test
    void anonymousClientsAreAskedToAuthenticateOnAReservedNamespace() throws Exception {
        String channel = secure("anon");
        HttpResponse<String> r = publish(channel, null, "1");
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(code(r)).isEqualTo("unauthorized");
        assertThat(Http.get("api/messages?channel=" + enc(channel)).statusCode()).isEqualTo(401);
        try (SseClient sse = SseClient.open("?channel=" + enc(channel))) {
            assertThat(sse.status()).isEqualTo(401);
            assertThat(sse.errorBody()).contains("\"unauthorized\"");
        }
        assertThat(Http.get("poll?channel=" + enc(channel)).statusCode()).isEqualTo(401);
        try (WsClient ws = WsClient.connect()) {
            ws.send("{\"type\":\"subscribe\",\"channel\":\"" + channel + "\",\"ref\":\"s\"}");
            assertThat(ws.awaitReply("s").getString("code")).isEqualTo("unauthorized");
            ws.send("{\"type\":\"ping\",\"ref\":\"alive\"}");
            assertThat(ws.awaitReply("alive").getString("type")).isEqualTo("pong");
        }
    }

    @Test
    void expiredForgedOrMisaddressedTokensAreRefusedWith401() throws Exception {
        String channel = secure("refused");
        Map<String, List<String>> cap = Map.of("secure:*", ALL);
        Instant past = Instant.now().minus(Duration.ofMinutes(5));
        Instant later = Instant.now().plus(Duration.ofMinutes(5));
        String expired = TestSecurity.token("bob", cap, past, TestSecurity.ISSUER, TestSecurity.AUDIENCE,
                TestSecurity.SECRET);
        String forged = TestSecurity.token("bob", cap, later, TestSecurity.ISSUER, TestSecurity.AUDIENCE,
                "another-key-of-at-least-thirty-two-bytes-long!!");
        String otherIssuer = TestSecurity.token("bob", cap, later, "someone-else", TestSecurity.AUDIENCE,
                TestSecurity.SECRET);
        String otherAudience = TestSecurity.token("bob", cap, later, TestSecurity.ISSUER, "not-herald",
                TestSecurity.SECRET);
        for (String bad : List.of(expired, forged, otherIssuer, otherAudience, "not.a.jwt", "x")) {
            HttpResponse<String> r = publish(channel, bad, "1");
            assertThat(r.statusCode()).as(bad).isEqualTo(401);
            assertThat(code(r)).isEqualTo("unauthorized");
            assertThat(r.body()).doesNotContain("Exception").doesNotContain("com.nimbusds");
        }
        HttpResponse<String> r = publish(channel, expired, "1");
        assertThat(Http.json(r).getJsonObject("error").getString("message")).contains("expired");
        try (SseClient sse = SseClient.open("?channel=" + enc(channel) + "&token=" + enc(expired))) {
            assertThat(sse.status()).isEqualTo(401);
        }
        try (WsClient ws = WsClient.connect()) {
            ws.send("{\"type\":\"auth\",\"token\":\"" + expired + "\",\"ref\":\"a\"}");
            JsonObject error = ws.awaitReply("a");
            assertThat(error.getString("type")).isEqualTo("error");
            assertThat(error.getString("code")).isEqualTo("unauthorized");
            assertThat(ws.isOpen()).isTrue();
        }
        try (WsClient ws = WsClient.connect("?token=" + enc(expired), Map.of())) {
            assertThat(ws.await(f -> "unauthorized".equals(f.getString("code", null))).getString("type"))
                    .isEqualTo("error");
            assertThat(ws.awaitClose().getCloseCode().getCode()).isEqualTo(4001);
        }
    }

    @Test
    void aRefreshedTokenContinuesTheSameWebSocket() {
        String channel = secure("refresh");
        Map<String, List<String>> cap = Map.of("secure:*", ALL);
        String shortLived = TestSecurity.token("carol", cap, Duration.ofSeconds(1));
        try (WsClient ws = WsClient.connect("?token=" + enc(shortLived), Map.of())) {
            ws.subscribe(channel, 0L, "s");
            JsonObject expiry = ws.await(f -> "unauthorized".equals(f.getString("code", null)));
            assertThat(expiry.getString("message")).contains("expired");
            String fresh = TestSecurity.token("carol", cap, Duration.ofMinutes(5));
            ws.send("{\"type\":\"auth\",\"token\":\"" + fresh + "\",\"ref\":\"again\"}");
            assertThat(ws.awaitReply("again").getString("type")).isEqualTo("authenticated");
            assertThat(publish(channel, fresh, "\"after\"").statusCode()).isEqualTo(201);
            assertThat(ws.awaitMessages(channel, 1).get(0).getString("data")).isEqualTo("after");
            ws.send("{\"type\":\"publish\",\"channel\":\"" + channel + "\",\"data\":2,\"ref\":\"p\"}");
            assertThat(ws.awaitReply("p").getString("type")).isEqualTo("ack");
            // still open past the grace period: the fresh token cancelled the close
            Awaitility.await().pollDelay(TestSecurity.GRACE.plusSeconds(1)).atMost(WsClient.WAIT)
                    .until(ws::isOpen);
            assertThat(ws.frames()).noneMatch(f -> "unauthorized".equals(f.getString("code", null))
                    && f != expiry);
        }
    }

    @Test
    void aWebSocketWhoseTokenExpiresIsToldThenClosedWith4001() throws Exception {
        String token = TestSecurity.token("dave", Map.of("secure:*", ALL), Duration.ofSeconds(1));
        try (WsClient ws = WsClient.connect()) {
            ws.send("{\"type\":\"auth\",\"token\":\"" + token + "\",\"ref\":\"a\"}");
            assertThat(ws.awaitReply("a").getString("type")).isEqualTo("authenticated");
            ws.await(f -> "unauthorized".equals(f.getString("code", null)));
            assertThat(ws.awaitClose().getCloseCode().getCode()).isEqualTo(4001);
        }
    }

    @Test
    void anSseStreamEndsAtExpiryWithAHeraldErrorEvent() {
        String channel = secure("sse");
        String token = TestSecurity.token("erin", Map.of("secure:*", ALL), Duration.ofSeconds(1));
        try (SseClient sse = SseClient.open("?channel=" + enc(channel) + "&token=" + enc(token))) {
            assertThat(sse.status()).isEqualTo(200);
            SseClient.Event end = sse.await(e -> e.event().equals("herald-error"));
            assertThat(end.json().getString("code")).isEqualTo("unauthorized");
            Awaitility.await().atMost(WsClient.WAIT).until(sse::ended);
        }
    }

    @Test
    void theTokenCookieAuthenticatesSseAndWebSocket() {
        String channel = secure("cookie");
        String token = TestSecurity.token("frank", Map.of("secure:*", ALL), Duration.ofMinutes(5));
        try (SseClient sse = SseClient.open("?channel=" + enc(channel), Map.of("Cookie", "herald_token=" + token));
             WsClient ws = WsClient.connect("", Map.of("Cookie", "theme=dark; herald_token=" + token))) {
            assertThat(sse.status()).isEqualTo(200);
            ws.subscribe(channel, null, "s");
            assertThat(publish(channel, token, "1").statusCode()).isEqualTo(201);
            sse.awaitEnvelopes(channel, 1);
            ws.awaitMessages(channel, 1);
        }
    }

    @Test
    void aNarrowerTokenEndsTheSubscriptionsItNoLongerAllowsAndTheSubjectCannotChange() {
        String a = secure("narrow-a");
        String b = secure("narrow-b");
        try (WsClient ws = WsClient.connect()) {
            ws.send("{\"type\":\"auth\",\"token\":\"" + TestSecurity.token("gina", Map.of("secure:*", ALL),
                    Duration.ofMinutes(5)) + "\",\"ref\":\"1\"}");
            ws.awaitReply("1");
            ws.subscribe(a, null, "sa");
            ws.subscribe(b, null, "sb");
            ws.send("{\"type\":\"auth\",\"token\":\"" + TestSecurity.token("gina", Map.of(a, List.of("subscribe")),
                    Duration.ofMinutes(5)) + "\",\"ref\":\"2\"}");
            assertThat(ws.awaitReply("2").getString("type")).isEqualTo("authenticated");
            JsonObject dropped = ws.await(f -> "unsubscribed".equals(f.getString("type", null)));
            assertThat(dropped.getString("channel")).isEqualTo(b);
            assertThat(dropped.getString("code")).isEqualTo("forbidden");
            ws.send("{\"type\":\"auth\",\"token\":\"" + TestSecurity.token("mallory", Map.of("*", ALL),
                    Duration.ofMinutes(5)) + "\",\"ref\":\"3\"}");
            assertThat(ws.awaitReply("3").getString("code")).isEqualTo("forbidden");
            String admin = TestSecurity.token("root", Map.of("*", ALL), Duration.ofMinutes(5));
            assertThat(publish(a, admin, "1").statusCode()).isEqualTo(201);
            assertThat(publish(b, admin, "1").statusCode()).isEqualTo(201);
            assertThat(ws.awaitMessages(a, 1)).hasSize(1);
            assertThat(ws.messages(b)).isEmpty();
        }
    }
}
