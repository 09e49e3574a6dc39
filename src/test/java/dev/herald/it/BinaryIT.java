package dev.herald.it;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.json.JsonObject;
import jakarta.websocket.CloseReason;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Issue 15, docs/protocol.md "Binary messages": binary data published from a WebSocket binary frame or an
 * {@code application/octet-stream} POST reaches WebSocket subscribers as binary frames and SSE and long-poll
 * subscribers as base64 with {@code "encoding":"base64"}, with one offset and one order for all; bad binary frames
 * get an error frame and the connection carries on; one too large closes it with 1009.
 */
class BinaryIT {
    /** Every byte value, and the two that matter to the framing: a line feed and a quote. */
    private static final byte[] BYTES = bytes();

    private static byte[] bytes() {
        byte[] b = new byte[258];
        for (int i = 0; i < 256; i++) {
            b[i] = (byte) i;
        }
        b[256] = '\n';
        b[257] = '"';
        return b;
    }

    private static String channel() {
        return Http.channel("files");
    }

    private static byte[] decode(JsonObject o) {
        return Base64.getDecoder().decode(o.getString(o.containsKey("frame") ? "bytes" : "data"));
    }

    @Test
    void aBinaryFrameReachesWebSocketAsBinaryAndSseAndPollAsBase64WithOneOffsetAndOrder() {
        String channel = channel();
        try (WsClient publisher = WsClient.connect(); WsClient ws = WsClient.connect();
             SseClient sse = SseClient.open("?channel=" + channel)) {
            ws.subscribe(channel, null, "s");
            Awaitility.await().atMost(WsClient.WAIT).until(() -> sse.lastEventId().contains(channel + "="));
            publisher.send("{\"type\":\"publish\",\"channel\":\"" + channel + "\",\"data\":{\"n\":1},\"ref\":\"j1\"}");
            publisher.sendBinary(WsClient.binaryFrame("{\"type\":\"publish\",\"channel\":\"" + channel
                    + "\",\"event\":\"chunk\",\"ref\":\"b1\"}", BYTES));
            publisher.send("{\"type\":\"publish\",\"channel\":\"" + channel + "\",\"data\":{\"n\":3},\"ref\":\"j3\"}");
            JsonObject ack = publisher.awaitReply("b1");
            assertThat(ack.getString("type")).isEqualTo("ack");
            assertThat(ack.getInt("offset")).isEqualTo(2);

            List<JsonObject> onWs = ws.awaitMessages(channel, 3);
            assertThat(onWs).extracting(m -> m.getInt("offset")).containsExactly(1, 2, 3);
            assertThat(onWs.get(0).containsKey("frame")).as("a JSON message is a text frame").isFalse();
            JsonObject binary = onWs.get(1);
            assertThat(binary.getString("frame")).isEqualTo("binary");
            assertThat(binary.getString("event")).isEqualTo("chunk");
            assertThat(binary.getString("id")).isEqualTo(ack.getString("id"));
            assertThat(binary.containsKey("data")).as("the header carries no data").isFalse();
            assertThat(decode(binary)).containsExactly(BYTES);

            List<JsonObject> onSse = sse.awaitEnvelopes(channel, 3);
            assertThat(onSse).extracting(m -> m.getInt("offset")).containsExactly(1, 2, 3);
            assertThat(onSse.get(1).getString("encoding")).isEqualTo("base64");
            assertThat(onSse.get(1).getString("id")).isEqualTo(ack.getString("id"));
            assertThat(decode(onSse.get(1))).containsExactly(BYTES);
            assertThat(onSse.get(0).containsKey("encoding")).isFalse();

            String since = URLEncoder.encode(channel + "=" + ack.getString("id").replaceFirst("-2$", "-0"),
                    StandardCharsets.UTF_8);
            JsonObject poll = Http.json(Http.get("poll?channel=" + channel + "&since=" + since));
            List<JsonObject> polled = poll.getJsonArray("messages").getValuesAs(JsonObject.class);
            assertThat(polled).extracting(m -> m.getInt("offset")).containsExactly(1, 2, 3);
            assertThat(polled.get(1).getString("encoding")).isEqualTo("base64");
            assertThat(decode(polled.get(1))).containsExactly(BYTES);
        }
    }

    @Test
    void anOctetStreamPostIsABinaryMessageInHistoryAndOnResume() {
        String channel = channel();
        try (WsClient ws = WsClient.connect()) {
            ws.subscribe(channel, null, "s");
            HttpResponse<String> posted = Http.post("api/messages?channel=" + channel + "&event=blob",
                    "application/octet-stream", BYTES);
            assertThat(posted.statusCode()).isEqualTo(201);
            JsonObject envelope = Http.json(posted);
            assertThat(envelope.getString("encoding")).isEqualTo("base64");
            assertThat(decode(envelope)).containsExactly(BYTES);

            JsonObject live = ws.awaitMessages(channel, 1).get(0);
            assertThat(live.getString("frame")).isEqualTo("binary");
            assertThat(live.getString("event")).isEqualTo("blob");
            assertThat(decode(live)).containsExactly(BYTES);

            JsonObject history = Http.json(Http.get("api/messages?channel=" + channel + "&since=0"));
            JsonObject kept = history.getJsonArray("messages").getJsonObject(0);
            assertThat(kept.getString("id")).isEqualTo(envelope.getString("id"));
            assertThat(decode(kept)).containsExactly(BYTES);
        }
        try (WsClient resumed = WsClient.connect()) {
            resumed.subscribe(channel, 0L, "r");
            JsonObject replayed = resumed.awaitMessages(channel, 1).get(0);
            assertThat(replayed.getString("frame")).as("replayed from history as binary").isEqualTo("binary");
            assertThat(decode(replayed)).containsExactly(BYTES);
        }
    }

    @Test
    void badBinaryFramesGetAnErrorFrameAndTheConnectionCarriesOn() {
        String channel = channel();
        try (WsClient ws = WsClient.connect()) {
            ws.subscribe(channel, null, "s");
            ws.sendBinary(new byte[] {1, 2, 3});
            assertThat(ws.await(f -> "error".equals(f.getString("type", null))).getString("code"))
                    .isEqualTo("bad_request");
            ws.sendBinary(WsClient.binaryFrame("{\"type\":\"subscribe\",\"channel\":\"" + channel
                    + "\",\"ref\":\"t\"}", BYTES));
            assertThat(ws.awaitReply("t").getString("code")).isEqualTo("bad_request");
            ws.sendBinary(WsClient.binaryFrame("{\"type\":\"publish\",\"channel\":\"" + channel
                    + "\",\"data\":{},\"ref\":\"d\"}", BYTES));
            assertThat(ws.awaitReply("d").getString("code")).isEqualTo("bad_request");
            ws.sendBinary(WsClient.binaryFrame("{\"type\":\"publish\",\"channel\":\"bad channel\",\"ref\":\"c\"}",
                    BYTES));
            assertThat(ws.awaitReply("c").getString("code")).isEqualTo("bad_channel");
            ws.sendBinary(WsClient.binaryFrame("{not json", BYTES));
            ws.send("{\"type\":\"ping\",\"ref\":\"p\"}");
            assertThat(ws.awaitReply("p").getString("type")).isEqualTo("pong");
            assertThat(ws.frames()).filteredOn(f -> "error".equals(f.getString("type", null))).hasSize(5);
            // the subscription is intact: a good binary publish is delivered
            ws.sendBinary(WsClient.binaryFrame("{\"type\":\"publish\",\"channel\":\"" + channel + "\"}", BYTES));
            assertThat(decode(ws.awaitMessages(channel, 1).get(0))).containsExactly(BYTES);
            assertThat(ws.messages(channel)).hasSize(1);
        }
    }

    /** Binary messages arrive in parts too (8 KiB on Tomcat); Herald puts them together up to the limit. */
    @Test
    void aLargeBinaryMessageUnderTheLimitIsPublishedWhole() {
        String channel = channel();
        byte[] large = new byte[600_000];
        new java.util.Random(15).nextBytes(large);
        try (WsClient ws = WsClient.connect(); WsClient publisher = WsClient.connect()) {
            ws.subscribe(channel, null, "s");
            publisher.sendBinary(WsClient.binaryFrame("{\"type\":\"publish\",\"channel\":\"" + channel
                    + "\",\"ref\":\"l\"}", large));
            assertThat(publisher.awaitReply("l").getString("type")).isEqualTo("ack");
            assertThat(decode(ws.awaitMessages(channel, 1).get(0))).containsExactly(large);
        }
    }

    @Test
    void aBinaryMessageOverTheLimitClosesWith1009AndAnOversizedPostGets413() throws Exception {
        String channel = channel();
        // herald.max-message-bytes is 1 MiB on every target; a frame may add a header of up to 4 KiB to it
        byte[] big = new byte[1024 * 1024 + 4097];
        try (WsClient ws = WsClient.connect(); WsClient other = WsClient.connect()) {
            other.subscribe(channel, null, "o");
            ws.sendBinaryExpectingClose(WsClient.binaryFrame("{\"type\":\"publish\",\"channel\":\"" + channel
                    + "\"}", big));
            CloseReason reason = ws.awaitClose();
            assertThat(reason.getCloseCode().getCode()).isEqualTo(1009);
            HttpResponse<String> post = Http.post("api/messages?channel=" + channel, "application/octet-stream", big);
            assertThat(post.statusCode()).isEqualTo(413);
            assertThat(Http.json(post).getJsonObject("error").getString("code")).isEqualTo("too_large");
            // the other client carries on, and nothing was published
            other.send("{\"type\":\"ping\",\"ref\":\"p\"}");
            assertThat(other.awaitReply("p").getString("type")).isEqualTo("pong");
            assertThat(other.messages(channel)).isEmpty();
        }
    }
}
