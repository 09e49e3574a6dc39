package dev.herald.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * docs/security.md, "Origins and CORS": the WebSocket handshake and the HTTP entries refuse another web site, allow
 * the listed origin ({@link TestSecurity#ALLOWED_ORIGIN}) and the server's own, and never answer {@code *} or an
 * arbitrary origin.
 */
class OriginIT {
    private static final String EVIL = "https://evil.example";

    /** The server's own origin, as a page it served would send it. */
    private static String own() {
        URI b = HeraldTarget.base();
        return b.getScheme() + "://" + b.getAuthority();
    }

    private static int handshakeStatus(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof org.glassfish.tyrus.client.auth.AuthenticationException) {
                return 401;
            }
            if (t instanceof org.glassfish.tyrus.core.HandshakeException h) {
                return h.getHttpStatusCode();
            }
        }
        return -1;
    }

    @Test
    void aWebSocketHandshakeFromAnotherSiteIsRefusedWith403() {
        assertThatThrownBy(() -> WsClient.connect("", Map.of("Origin", EVIL)).close())
                .satisfies(e -> assertThat(handshakeStatus(e)).as(e.toString()).isEqualTo(403));
        for (String origin : new String[] {TestSecurity.ALLOWED_ORIGIN, own()}) {
            try (WsClient ws = WsClient.connect("", Map.of("Origin", origin))) {
                ws.send("{\"type\":\"ping\",\"ref\":\"p\"}");
                assertThat(ws.awaitReply("p").getString("type")).as(origin).isEqualTo("pong");
            }
        }
    }

    @Test
    void corsAllowsTheListedOriginOnlyAndNeverAStar() {
        String channel = Http.channel("cors");
        HttpResponse<String> preflight = Http.send(HttpRequest.newBuilder(
                        HeraldTarget.http("api/messages?channel=" + channel))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", TestSecurity.ALLOWED_ORIGIN)
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "authorization, content-type").build());
        assertThat(preflight.statusCode()).isBetween(200, 204);
        assertThat(preflight.headers().firstValue("Access-Control-Allow-Origin")).contains(TestSecurity.ALLOWED_ORIGIN);
        assertThat(preflight.headers().firstValue("Access-Control-Allow-Credentials")).contains("true");
        assertThat(preflight.headers().firstValue("Access-Control-Allow-Headers").orElse(""))
                .contains("Authorization").contains("Content-Type").contains("Last-Event-ID");

        HttpResponse<String> post = Http.send(HttpRequest.newBuilder(
                        HeraldTarget.http("api/messages?channel=" + channel))
                .header("Origin", TestSecurity.ALLOWED_ORIGIN).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("1")).build());
        assertThat(post.statusCode()).isEqualTo(201);
        assertThat(post.headers().firstValue("Access-Control-Allow-Origin")).contains(TestSecurity.ALLOWED_ORIGIN);
        assertThat(post.headers().allValues("Vary").toString()).contains("Origin");

        for (String path : new String[] {"api/messages?channel=" + channel, "sse?channel=" + channel,
                "poll?channel=" + channel}) {
            HttpResponse<String> evil = Http.send(HttpRequest.newBuilder(HeraldTarget.http(path))
                    .header("Origin", EVIL).GET().build());
            assertThat(evil.statusCode()).as(path).isEqualTo(403);
            assertThat(Http.json(evil).getJsonObject("error").getString("code")).isEqualTo("forbidden");
            assertThat(evil.headers().firstValue("Access-Control-Allow-Origin")).as(path).isEmpty();
        }
        HttpResponse<String> evilPreflight = Http.send(HttpRequest.newBuilder(
                        HeraldTarget.http("api/messages?channel=" + channel))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).header("Origin", EVIL)
                .header("Access-Control-Request-Method", "POST").build());
        assertThat(evilPreflight.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();

        HttpResponse<String> same = Http.send(HttpRequest.newBuilder(HeraldTarget.http("api/stats"))
                .header("Origin", own()).GET().build());
        assertThat(same.statusCode()).isEqualTo(200);
        assertThat(same.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
    }
}
