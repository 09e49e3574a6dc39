package dev.herald.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.herald.core.Envelope;
import dev.herald.core.ErrorCode;
import dev.herald.core.Gap;
import dev.herald.core.HeraldException;
import dev.herald.core.Subscribed;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** docs/protocol.md, "The envelope", "WebSocket" and "Errors": the frames, checked by parsing them back. */
class FramesTest {
    private final Envelope envelope = new Envelope("chat:lobby", 3, "ep", "chat", "{\"text\":\"<b>\\\"hi\\\"</b>\"}", 99);

    private static JsonObject parse(String json) {
        return Json.createReader(new StringReader(json)).readObject();
    }

    @Test
    void theEnvelopeHasTheContractsFieldsAndIsEncodedOncePerPublish() {
        JsonObject o = parse(EnvelopeJson.of(envelope));
        assertThat(o.keySet()).containsExactly("channel", "offset", "id", "event", "data", "ts");
        assertThat(o.getString("channel")).isEqualTo("chat:lobby");
        assertThat(o.getJsonNumber("offset").longValue()).isEqualTo(3);
        assertThat(o.getString("id")).isEqualTo("ep-3");
        assertThat(o.getJsonObject("data").getString("text")).isEqualTo("<b>\"hi\"</b>");
        assertThat(EnvelopeJson.of(envelope)).isSameAs(EnvelopeJson.of(envelope));
    }

    @Test
    void aMessageFrameIsTheEnvelopeWithATypeInFront() {
        JsonObject frame = parse(WsFrames.message(envelope));
        assertThat(frame.getString("type")).isEqualTo("message");
        JsonObject withoutType = Json.createObjectBuilder(frame).remove("type").build();
        assertThat(withoutType).isEqualTo(parse(EnvelopeJson.of(envelope)));
    }

    @Test
    void aBinaryMessageIsBase64InTheEnvelopeAndRawBytesAfterAHeaderOnWebSocket() {
        byte[] bytes = {0, 10, 13, (byte) 0x80, (byte) 0xff, '{'};
        Envelope binary = new Envelope("files:a", 7, "ep", "chunk", Envelope.base64Data(bytes), Envelope.BASE64, 99);
        JsonObject o = parse(EnvelopeJson.of(binary));
        assertThat(o.keySet()).containsExactly("channel", "offset", "id", "event", "encoding", "data", "ts");
        assertThat(o.getString("encoding")).isEqualTo("base64");
        assertThat(java.util.Base64.getDecoder().decode(o.getString("data"))).containsExactly(bytes);

        byte[] frame = WsFrames.binaryMessage(binary);
        int lf = 0;
        while (frame[lf] != '\n') {
            lf++;
        }
        JsonObject header = parse(new String(frame, 0, lf, StandardCharsets.UTF_8));
        assertThat(header).isEqualTo(parse("{\"type\":\"message\",\"channel\":\"files:a\",\"offset\":7,"
                + "\"id\":\"ep-7\",\"event\":\"chunk\",\"ts\":99}"));
        assertThat(java.util.Arrays.copyOfRange(frame, lf + 1, frame.length)).containsExactly(bytes);
        assertThat(WsFrames.binaryMessage(binary)).isSameAs(frame);
        // SSE carries the same envelope JSON
        assertThat(new String(SseEvents.singleChannelEvent(binary, true), StandardCharsets.UTF_8))
                .contains(EnvelopeJson.of(binary));
        assertThatThrownBy(envelope::bytes).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void repliesEchoTheirRef() {
        assertThat(parse(WsFrames.subscribed(new Subscribed("a", 5, "ep", 5, "r1"))))
                .isEqualTo(parse("{\"type\":\"subscribed\",\"channel\":\"a\",\"offset\":5,\"epoch\":\"ep\",\"ref\":\"r1\"}"));
        assertThat(parse(WsFrames.unsubscribed("a", null))).doesNotContainKey("ref");
        assertThat(parse(WsFrames.ack(envelope, "r3")))
                .isEqualTo(parse("{\"type\":\"ack\",\"ref\":\"r3\",\"channel\":\"chat:lobby\",\"offset\":3,\"id\":\"ep-3\"}"));
        assertThat(parse(WsFrames.pong("r4"))).isEqualTo(parse("{\"type\":\"pong\",\"ref\":\"r4\"}"));
        assertThat(parse(WsFrames.error(ErrorCode.BAD_CHANNEL, "no \"such\"", "r5")))
                .isEqualTo(parse("{\"type\":\"error\",\"code\":\"bad_channel\",\"message\":\"no \\\"such\\\"\",\"ref\":\"r5\"}"));
        assertThat(parse(WsFrames.gap(new Gap("a", 1, 4, false, "ep"))))
                .isEqualTo(parse("{\"type\":\"gap\",\"channel\":\"a\",\"requested\":1,\"earliest\":4}"));
    }

    @Test
    void httpErrorsNestTheCodeAndMessage() {
        assertThat(parse(HttpErrors.body(ErrorCode.TOO_LARGE, "big")))
                .isEqualTo(parse("{\"error\":{\"code\":\"too_large\",\"message\":\"big\"}}"));
        assertThat(ErrorCode.RATE_LIMITED.wire()).isEqualTo("rate_limited");
        assertThat(ErrorCode.TOO_LARGE.httpStatus()).isEqualTo(413);
    }

    @Test
    void stringsAreEscapedIncludingControlCharacters() {
        String quoted = JsonText.quote("a\"b\\c\n\u0001\u2028");
        assertThat(quoted).isEqualTo("\"a\\\"b\\\\c\\n\\u0001\\u2028\"");
        assertThat(Json.createReader(new StringReader("[" + quoted + "]")).readArray().getString(0))
                .isEqualTo("a\"b\\c\n\u0001\u2028");
    }
}
