package dev.herald.it;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.json.JsonObject;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/**
 * docs/security.md, "The demos with security on": the demo token endpoint gives a nickname a short-lived token for
 * {@code chat:*}, and nothing more.
 */
class DemoTokenIT {

    private static HttpResponse<String> ask(String body) {
        return Http.post("demo/token", "application/json", body);
    }

    private static int publish(String channel, String token) {
        return Http.send(HttpRequest.newBuilder(HeraldTarget.http("api/messages?channel=" + AuthIT.enc(channel)))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.ofString("{\"text\":\"hi\"}")).build()).statusCode();
    }

    @Test
    void aNicknameGetsAShortLivedChatToken() {
        HttpResponse<String> r = ask("{\"nick\":\"ann\"}");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Cache-Control").orElse("")).contains("no-store");
        JsonObject answer = Http.json(r);
        String token = answer.getString("token");
        assertThat(answer.getJsonNumber("expires").longValue()).isGreaterThan(System.currentTimeMillis());
        assertThat(publish(Http.channel("chat"), token)).isEqualTo(201);
        assertThat(publish("prices:ACME", token)).isEqualTo(403);
        assertThat(publish(Http.channel(TestSecurity.SECURE + "demo"), token)).isEqualTo(403);
        try (WsClient ws = WsClient.connect()) {
            ws.send("{\"type\":\"auth\",\"token\":\"" + token + "\",\"ref\":\"a\"}");
            assertThat(ws.awaitReply("a").getString("subject")).isEqualTo("demo:ann");
        }
    }

    @Test
    void aMissingOrBadNicknameIsRefused() {
        for (String body : new String[] {"", "{}", "{\"nick\":\"\"}", "{\"nick\":\"" + "x".repeat(25) + "\"}",
                "{\"nick\":\"a\\u0000b\"}", "[1]", "{\"nick\":7}"}) {
            HttpResponse<String> r = ask(body);
            assertThat(r.statusCode()).as(body).isEqualTo(400);
            assertThat(Http.json(r).getJsonObject("error").getString("code")).isEqualTo("bad_request");
        }
    }
}
