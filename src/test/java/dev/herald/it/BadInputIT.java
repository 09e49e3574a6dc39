package dev.herald.it;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * docs/protocol.md, section 3.1 "Untrusted JSON" and section 7: each kind of hostile input gets its documented error,
 * nothing is stored or altered, and the server, the connection's other subscriptions and every other client carry
 * on. Runs on the standalone runner and on every container of the suite.
 */
class BadInputIT {
    private static final String JSON = "application/json";

    private static String path(String channel) {
        return "api/messages?channel=" + channel;
    }

    private static void assertRefused(HttpResponse<String> r, int status, String messagePart) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
        JsonObject error = Http.json(r).getJsonObject("error");
        assertThat(error.getString("code")).isEqualTo("bad_request");
        assertThat(error.getString("message")).contains(messagePart);
    }

    private static String nested(int depth) {
        return "[".repeat(depth) + "]".repeat(depth);
    }

    private static long latest(String channel) {
        JsonObject info = Http.info(channel);
        return info.isNull("latest") ? 0 : info.getJsonNumber("latest").longValue();
    }

    @Test
    void deepJsonGetsA400NamingTheLimitOnHttpAndAnErrorFrameOnWebSocket() {
        String channel = Http.channel("deep");
        for (int depth : new int[] {129, 1000, 100_000}) {
            assertRefused(Http.post(path(channel), JSON, nested(depth)), 400, "deeper than 128 levels");
        }
        assertRefused(Http.post(path(channel), JSON, "{\"a\":".repeat(500) + "1" + "}".repeat(500)), 400,
                "deeper than 128");
        assertThat(latest(channel)).isZero();
        assertThat(Http.post(path(channel), JSON, nested(128)).statusCode()).isEqualTo(201);

        try (WsClient ws = WsClient.connect()) {
            ws.send("{\"type\":\"publish\",\"channel\":\"" + channel + "\",\"data\":" + nested(129)
                    + ",\"ref\":\"d\"}");
            JsonObject error = ws.awaitReply("d");
            assertThat(error.getString("code")).isEqualTo("bad_request");
            assertThat(error.getString("message")).contains("deeper than 128");
            ws.send("{\"type\":\"publish\",\"channel\":\"" + channel + "\",\"data\":" + nested(128)
                    + ",\"ref\":\"ok\"}");
            assertThat(ws.awaitReply("ok").getString("type")).isEqualTo("ack");
        }
        assertThat(latest(channel)).isEqualTo(2);
    }

    @Test
    void longNumbersAreRefusedAndShorterOnesPassThroughUntouched() {
        String channel = Http.channel("numbers");
        String thousand = "9".repeat(1000);
        assertRefused(Http.post(path(channel), JSON, thousand + "9"), 400, "number longer than 1000");
        assertRefused(Http.post(path(channel), JSON, "{\"n\":0." + thousand + "}"), 400, "number longer than 1000");
        HttpResponse<String> ok = Http.post(path(channel), JSON, "[" + thousand + ", 1.50, -0e-0]");
        assertThat(ok.statusCode()).isEqualTo(201);
        assertThat(ok.body()).contains("\"data\":[" + thousand + ",1.50,-0e-0]");
        try (WsClient ws = WsClient.connect()) {
            ws.send("{\"type\":\"publish\",\"channel\":\"" + channel + "\",\"data\":1" + thousand + ",\"ref\":\"n\"}");
            assertThat(ws.awaitReply("n").getString("message")).contains("number longer than 1000");
        }
        assertThat(latest(channel)).isEqualTo(1);
    }

    @Test
    void stringsThatAreNotValidUnicodeAreRefusedEverywhereAndEveryoneElseCarriesOn() {
        String poison = Http.channel("poison");
        String other = Http.channel("other");
        List<SseClient> streams = new ArrayList<>();
        try (WsClient onPoison = WsClient.connect(); WsClient onOther = WsClient.connect()) {
            onPoison.subscribe(poison, null, "s");
            onOther.subscribe(other, null, "s");
            for (int i = 0; i < 6; i++) {
                SseClient sse = SseClient.open("?channel=" + other + "&channel=" + poison);
                assertThat(sse.status()).isEqualTo(200);
                streams.add(sse);
            }
            for (String body : new String[] {"{\"s\":\"\\ud83d\"}", "\"\\udc00\"", "[\"\\ud800\\ud800\"]",
                    "{\"\\ud83d\":1}"}) {
                assertRefused(Http.post(path(poison), JSON, body), 400, "not valid Unicode");
            }
            byte[][] rawBodies = {
                    {'"', (byte) 0xed, (byte) 0xa0, (byte) 0xbd, '"'}, // a surrogate encoded in UTF-8 (CESU-8)
                    {'"', (byte) 0xff, '"'},
                    {'"', (byte) 0xc3, '"'}};
            for (byte[] raw : rawBodies) {
                assertRefused(Http.post(path(poison), JSON, raw), 400, "not valid UTF-8");
            }
            onPoison.send("{\"type\":\"publish\",\"channel\":\"" + poison + "\",\"data\":\"\\ud800\",\"ref\":\"p\"}");
            assertThat(onPoison.awaitReply("p").getString("message")).contains("not valid Unicode");
            onPoison.send("{\"type\":\"publish\",\"channel\":\"" + poison + "\",\"event\":\"\\ud800\","
                    + "\"ref\":\"e\"}");
            assertThat(onPoison.awaitReply("e").getString("code")).isEqualTo("bad_request");
            assertThat(latest(poison)).as("nothing was stored").isZero();

            Http.publish(poison, "{\"s\":\"\\ud83d\\ude00 😀\"}");
            for (int i = 0; i < 20; i++) {
                Http.publish(other, String.valueOf(i));
            }
            assertThat(onPoison.awaitMessages(poison, 1).get(0).getJsonObject("data").getString("s"))
                    .isEqualTo("😀 😀");
            assertThat(onOther.awaitMessages(other, 20)).hasSize(20);
            for (SseClient sse : streams) {
                assertThat(sse.awaitEnvelopes(other, 20)).hasSize(20);
                assertThat(sse.awaitEnvelopes(poison, 1)).hasSize(1);
            }
            onPoison.send("{\"type\":\"ping\",\"ref\":\"alive\"}");
            assertThat(onPoison.awaitReply("alive").getString("type")).isEqualTo("pong");
        } finally {
            streams.forEach(SseClient::close);
        }
    }

    @Test
    void aBodyInAnotherCharsetIsRefusedNeverAltered() {
        String channel = Http.channel("charset");
        byte[] latin1 = "{\"s\":\"été\"}".getBytes(StandardCharsets.ISO_8859_1);
        assertRefused(Http.post(path(channel), "application/json; charset=ISO-8859-1", latin1), 415, "UTF-8");
        assertRefused(Http.post(path(channel), "application/json;charset=utf-16", "{}"), 415, "UTF-8");
        for (String odd : new String[] {";", "application/json;", ";charset=utf-8", "application/json; charset"}) {
            int status = Http.post(path(channel + "-odd"), odd, "{}").statusCode();
            assertThat(status).as(odd).isIn(201, 400, 415);
        }
        assertRefused(Http.post(path(channel), JSON, latin1), 400, "not valid UTF-8");
        assertThat(latest(channel)).isZero();

        HttpResponse<String> ok = Http.post(path(channel), "application/json; charset=\"UTF-8\"",
                "{\"s\":\"été\"}".getBytes(StandardCharsets.UTF_8));
        assertThat(ok.statusCode()).isEqualTo(201);
        assertThat(Http.json(ok).getJsonObject("data").getString("s")).isEqualTo("été");
    }

    @Test
    void outOfRangeAndMistypedPositionsAreRefusedWithTheRefAndTheFieldNamed() {
        String channel = Http.channel("res");
        for (int i = 0; i < 3; i++) {
            Http.publish(channel, String.valueOf(i));
        }
        try (WsClient ws = WsClient.connect()) {
            String[] bad = {"18446744073709551616", "9007199254740992", "-1", "1.5", "1e3", "\"abc\"", "\"1\"",
                    "true", "[]"};
            for (int i = 0; i < bad.length; i++) {
                ws.send("{\"type\":\"subscribe\",\"channel\":\"" + channel + "\",\"since\":" + bad[i]
                        + ",\"ref\":\"r" + i + "\"}");
                JsonObject error = ws.awaitReply("r" + i);
                assertThat(error.getString("type")).as(bad[i]).isEqualTo("error");
                assertThat(error.getString("code")).isEqualTo("bad_request");
                assertThat(error.getString("message")).isEqualTo("since must be an integer from 0 to 9007199254740991");
            }
            ws.send("{\"type\":\"subscribe\",\"channel\":\"" + channel + "\",\"channel\":\"other\",\"ref\":\"dup\"}");
            assertThat(ws.awaitReply("dup").getString("message")).contains("\"channel\" twice");
            ws.send("{\"type\":\"subscribe\",\"channel\":7,\"ref\":\"t\"}");
            assertThat(ws.awaitReply("t").getString("message")).isEqualTo("channel must be a string");
            assertThat(ws.messages(channel)).as("no subscription was made").isEmpty();

            ws.subscribe(channel, 1L, "good");
            assertThat(ws.awaitMessages(channel, 2)).extracting(m -> m.getInt("offset")).containsExactly(2, 3);
        }
        for (String query : new String[] {"since=18446744073709551616", "since=9007199254740992", "since=%2B1",
                "limit=1e3", "since=1.0"}) {
            assertRefused(Http.get("api/messages?channel=" + channel + "&" + query), 400, "must be an integer");
        }
        for (String since : new String[] {"18446744073709551616", "9007199254740992"}) {
            HttpResponse<String> poll = Http.get("poll?channel=" + channel + "&since=" + since);
            assertRefused(poll, 400, "must be an integer");
            try (SseClient sse = SseClient.open("?channel=" + channel,
                    Map.of("Last-Event-ID", channel + "=" + since))) {
                assertThat(sse.status()).isEqualTo(400);
            }
        }
    }
}
