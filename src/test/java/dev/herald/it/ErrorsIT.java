package dev.herald.it;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.json.JsonObject;
import jakarta.websocket.CloseReason;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/**
 * docs/protocol.md, "Errors": every bad input gets its documented error, and the connection, its other
 * subscriptions and the server carry on.
 */
class ErrorsIT {

    private static void assertError(HttpResponse<String> r, int status, String code) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
        JsonObject error = Http.json(r).getJsonObject("error");
        assertThat(error.getString("code")).isEqualTo(code);
        assertThat(error.getString("message")).isNotBlank();
    }

    @Test
    void badWebSocketFramesGetErrorFramesAndTheOtherSubscriptionKeepsReceiving() {
        String channel = Http.channel("errors");
        try (WsClient ws = WsClient.connect()) {
            ws.subscribe(channel, null, "s");
            Http.publish(channel, "1");
            ws.awaitMessages(channel, 1);

            ws.send("{not json");
            assertThat(ws.await(f -> "bad_request".equals(f.getString("code", null))).getString("type"))
                    .isEqualTo("error");
            ws.send("{\"type\":\"dance\",\"ref\":\"u\"}");
            assertThat(ws.awaitReply("u").getString("code")).isEqualTo("unknown_type");
            ws.send("{\"type\":\"subscribe\",\"channel\":\"bad channel!\",\"ref\":\"c\"}");
            assertThat(ws.awaitReply("c").getString("code")).isEqualTo("bad_channel");
            ws.send("{\"type\":\"publish\",\"channel\":\"" + channel + "\",\"event\":\"herald-gap\",\"ref\":\"e\"}");
            assertThat(ws.awaitReply("e").getString("code")).isEqualTo("bad_request");
            ws.send("{\"type\":\"subscribe\",\"ref\":\"m\"}");
            assertThat(ws.awaitReply("m").getString("code")).isEqualTo("bad_request");
            ws.send("[1,2]");
            ws.send("{\"type\":\"ping\",\"ref\":\"alive\"}");
            assertThat(ws.awaitReply("alive").getString("type")).isEqualTo("pong");

            Http.publish(channel, "2");
            assertThat(ws.awaitMessages(channel, 2)).extracting(o -> o.getInt("data")).containsExactly(1, 2);
            assertThat(ws.isOpen()).isTrue();
        }
    }

    @Test
    void aFrameOverTheLimitClosesWith1009AndOthersCarryOn() throws Exception {
        String channel = Http.channel("big");
        try (WsClient bystander = WsClient.connect(); WsClient big = WsClient.connect()) {
            bystander.subscribe(channel, null, "s");
            big.sendExpectingClose("{\"type\":\"publish\",\"channel\":\"" + channel + "\",\"data\":\"" + "x".repeat(1024 * 1024)
                    + "\"}");
            CloseReason reason = big.awaitClose();
            assertThat(reason.getCloseCode().getCode()).isEqualTo(1009);

            Http.publish(channel, "\"after\"");
            assertThat(bystander.awaitMessages(channel, 1).get(0).getString("data")).isEqualTo("after");
            assertThat(bystander.messages(channel)).hasSize(1);
        }
    }

    /** Messages arrive in parts (the container's buffer, 8 KiB on Tomcat); Herald puts them together. */
    @Test
    void aLargeFrameUnderTheLimitIsPublished() {
        String channel = Http.channel("large");
        String text = "é".repeat(300_000); // 600,000 bytes of UTF-8
        try (WsClient bystander = WsClient.connect(); WsClient publisher = WsClient.connect()) {
            bystander.subscribe(channel, null, "s");
            publisher.send("{\"type\":\"publish\",\"channel\":\"" + channel + "\",\"data\":\"" + text
                    + "\",\"ref\":\"big\"}");
            assertThat(publisher.awaitReply("big").getString("type")).isEqualTo("ack");
            assertThat(bystander.awaitMessages(channel, 1).get(0).getString("data")).isEqualTo(text);
        }
    }

    /**
     * Payara's Tyrus buffers a whole frame before anything else sees it, and closes with 1011 "Buffer overflow." one
     * larger than its incoming buffer (4 MiB + 11 bytes): the documented exception (README, "Deploy").
     */
    @Test
    void aFrameFarOverTheLimitClosesWith1009Too() throws Exception {
        String channel = Http.channel("huge");
        try (WsClient bystander = WsClient.connect(); WsClient huge = WsClient.connect()) {
            bystander.subscribe(channel, null, "s");
            huge.sendExpectingClose("{\"type\":\"publish\",\"channel\":\"" + channel + "\",\"data\":\""
                    + "x".repeat(5 * 1024 * 1024) + "\"}");
            CloseReason reason = huge.awaitClose();
            if (HeraldTarget.container().startsWith("Payara")) {
                assertThat(reason.getCloseCode().getCode()).isEqualTo(1011);
                assertThat(reason.getReasonPhrase()).contains("Buffer overflow");
            } else {
                assertThat(reason.getCloseCode().getCode()).isEqualTo(1009);
            }
            Http.publish(channel, "\"after\"");
            assertThat(bystander.awaitMessages(channel, 1).get(0).getString("data")).isEqualTo("after");
        }
    }

    @Test
    void badHttpPublishesGetTheirStatusAndCode() {
        String path = "api/channels/" + Http.channel("http") + "/messages";
        assertError(Http.post(path, "application/json", "{\"a\":"), 400, "bad_request");
        assertError(Http.post(path, "application/json", ""), 400, "bad_request");
        assertError(Http.post(path, "text/plain", "{}"), 415, "bad_request");
        assertError(Http.post(path, null, "{}"), 415, "bad_request");
        assertError(Http.post("api/channels/bad%20channel/messages", "application/json", "{}"), 400, "bad_channel");
        assertError(Http.post(path + "?event=herald-x", "application/json", "{}"), 400, "bad_request");
        assertError(Http.post(path, "application/json", "\"" + "x".repeat(1024 * 1024) + "\""), 413, "too_large");
        assertError(Http.post("api/nothing", "application/json", "{}"), 404, "not_found");
        assertThat(Http.post(path, "application/json; charset=utf-8", "[]").statusCode()).isEqualTo(201);
    }

    @Test
    void badHistoryAndSseRequestsAreRefusedBeforeStreaming() throws Exception {
        assertError(Http.get("api/channels/ok/messages?since=-1"), 400, "bad_request");
        assertError(Http.get("api/channels/ok/messages?limit=abc"), 400, "bad_request");
        assertError(Http.get("api/channels/-bad/messages"), 400, "bad_channel");
        assertError(Http.get("api/channels/ok/nothing"), 404, "not_found");

        for (String query : new String[] {"", "?channel=bad%20name", "?channel=ok&lastEventId=%25%25%25"}) {
            try (SseClient sse = SseClient.open(query)) {
                assertThat(sse.status()).as(query).isEqualTo(400);
                assertThat(sse.errorBody()).contains("\"error\"");
            }
        }
    }
}
