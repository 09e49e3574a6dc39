package dev.herald.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.herald.core.ErrorCode;
import org.junit.jupiter.api.Test;

/** docs/protocol.md, section 7: how a client frame is read, and what a refusal echoes. */
class ClientFrameTest {

    private static ClientFrame.Refused refused(String text) {
        ClientFrame.Refused r = catchThrowableOfType(() -> ClientFrame.parse(text), ClientFrame.Refused.class);
        assertThat(r).as(text).isNotNull();
        assertThat(r.code()).isEqualTo(ErrorCode.BAD_REQUEST);
        return r;
    }

    @Test
    void aFrameIsReadWithItsDataKeptAsCompactJson() {
        ClientFrame f = ClientFrame.parse(
                "{\"type\":\"publish\",\"channel\":\"c\",\"event\":\"e\",\"data\":{ \"a\" : [1, 2.50] },\"ref\":\"r\","
                        + "\"extra\":{\"ignored\":true}}");
        assertThat(f).isEqualTo(new ClientFrame("publish", "c", null, null, "e", "{\"a\":[1,2.50]}", null, "r"));
        assertThat(ClientFrame.parse("{\"type\":\"subscribe\",\"channel\":\"c\",\"since\":9007199254740991,"
                + "\"epoch\":null}").since()).isEqualTo(9007199254740991L);
        assertThat(ClientFrame.parse("{\"type\":\"publish\",\"channel\":\"c\"}").data()).isEqualTo("null");
    }

    @Test
    void aBadFieldIsNamedAndTheRefEchoed() {
        ClientFrame.Refused r = refused("{\"type\":\"subscribe\",\"channel\":\"res\",\"since\":\"abc\",\"ref\":\"a\"}");
        assertThat(r.ref()).isEqualTo("a");
        assertThat(r.getMessage()).isEqualTo("since must be an integer from 0 to 9007199254740991");

        for (String since : new String[] {"18446744073709551616", "-1", "1.5", "1e2", "9007199254740992", "true"}) {
            r = refused("{\"ref\":\"b\",\"type\":\"subscribe\",\"channel\":\"res\",\"since\":" + since + "}");
            assertThat(r.ref()).as(since).isEqualTo("b");
            assertThat(r.getMessage()).contains("since");
        }
        r = refused("{\"type\":\"subscribe\",\"channel\":7,\"ref\":\"c\"}");
        assertThat(r.getMessage()).isEqualTo("channel must be a string");
        assertThat(r.ref()).isEqualTo("c");
        r = refused("{\"type\":[\"subscribe\"],\"ref\":\"d\"}");
        assertThat(r.getMessage()).isEqualTo("type must be a string");
        assertThat(refused("{\"channel\":\"c\",\"ref\":\"e\"}").getMessage()).isEqualTo("frame has no type");
    }

    @Test
    void brokenLimitsAreRefusedWithTheRefWhenItIsUsable() {
        ClientFrame.Refused r = refused("{\"type\":\"publish\",\"channel\":\"c\",\"data\":\"\\ud800\",\"ref\":\"s\"}");
        assertThat(r.getMessage()).contains("not valid Unicode");
        assertThat(r.ref()).isEqualTo("s");
        r = refused("{\"type\":\"publish\",\"channel\":\"c\",\"data\":" + "[".repeat(129) + "]".repeat(129)
                + ",\"ref\":\"d\"}");
        assertThat(r.getMessage()).contains("deeper than 128");
        assertThat(r.ref()).isEqualTo("d");
        assertThat(ClientFrame.parse("{\"type\":\"publish\",\"channel\":\"c\",\"data\":" + "[".repeat(128)
                + "]".repeat(128) + "}").data()).hasSize(256);
        r = refused("{\"type\":\"ping\",\"ref\":\"\\udc00\"}");
        assertThat(r.ref()).as("a ref that is not valid Unicode is never echoed").isNull();
    }

    @Test
    void repeatedMembersAreRefusedSoTheAuthorisedChannelIsTheOneUsed() {
        ClientFrame.Refused r = refused("{\"type\":\"subscribe\",\"channel\":\"ok\",\"channel\":\"secret\","
                + "\"ref\":\"x\"}");
        assertThat(r.getMessage()).isEqualTo("frame has the member \"channel\" twice");
        assertThat(r.ref()).isEqualTo("x");
        assertThat(refused("{\"type\":\"ping\",\"ref\":\"a\",\"ref\":\"b\"}").ref()).isNull();
    }

    @Test
    void whatIsNotOneObjectIsRefusedWithoutARef() {
        for (String bad : new String[] {"{not json", "[1,2]", "\"s\"", "null", "{\"ref\":\"a\"} {}", ""}) {
            ClientFrame.Refused r = refused(bad);
            assertThat(r.ref()).isNull();
            assertThat(r.getMessage()).startsWith("malformed frame");
        }
    }
}
