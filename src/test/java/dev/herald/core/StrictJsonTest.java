package dev.herald.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** docs/protocol.md, section 3.1 "Untrusted JSON": grammar, limits and what is kept as written. */
class StrictJsonTest {

    private static void refused(String json, String messagePart) {
        assertThatThrownBy(() -> StrictJson.normalise(json)).as(json.length() > 80 ? json.substring(0, 80) : json)
                .isInstanceOfSatisfying(HeraldException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST);
                    assertThat(e.getMessage()).contains(messagePart);
                });
    }

    @Test
    void validJsonIsMadeCompactWithStringsAndNumbersAsWritten() {
        assertThat(StrictJson.normalise("{ \"a\" :\n [1, 2] }")).isEqualTo("{\"a\":[1,2]}");
        assertThat(StrictJson.normalise(" \"x\\ny\" ")).isEqualTo("\"x\\ny\"");
        assertThat(StrictJson.normalise("42")).isEqualTo("42");
        assertThat(StrictJson.normalise("-0.5e+10")).isEqualTo("-0.5e+10");
        assertThat(StrictJson.normalise("\"é€ 😀\"")).isEqualTo("\"é€ 😀\"");
        assertThat(StrictJson.normalise("\"\\ud83d\\ude00\"")).isEqualTo("\"\\ud83d\\ude00\"");
        assertThat(StrictJson.normalise("{\"a\":{},\"b\":[],\"c\":[{}, [true, false, null]]}"))
                .isEqualTo("{\"a\":{},\"b\":[],\"c\":[{},[true,false,null]]}");
        String big = "1" + "0".repeat(999);
        assertThat(StrictJson.normalise(big)).as("1,000 digits pass through untouched").isEqualTo(big);
    }

    @Test
    void malformedJsonIsRefusedWithWhere() {
        for (String bad : new String[] {"", " ", "{", "{\"a\":1} x", "[1,]", "nul", "{\"a\":1}{}", "01", "1.",
                "-", "1e", "{a:1}", "{\"a\" 1}", "[1 2]", "\"\u0001\"", "\"\\x\"", "\"\\u12\"", "'a'", "[", "]",
                "{\"a\":1,}", "\"abc"}) {
            refused(bad, "");
        }
        refused("[1,]", "invalid JSON at character 4");
    }

    @Test
    void nestingIsBoundedAtTheDocumentedDepthWithoutExhaustingTheStack() {
        String ok = "[".repeat(StrictJson.MAX_DEPTH) + "]".repeat(StrictJson.MAX_DEPTH);
        assertThat(StrictJson.normalise(ok)).isEqualTo(ok);
        String deep = "[".repeat(StrictJson.MAX_DEPTH + 1) + "]".repeat(StrictJson.MAX_DEPTH + 1);
        refused(deep, "deeper than 128 levels");
        refused("{\"a\":".repeat(200) + "1" + "}".repeat(200), "deeper than 128");
        refused("[".repeat(500_000) + "]".repeat(500_000), "deeper than 128");
        refused("[".repeat(500_000), "invalid JSON");
    }

    @Test
    void longNumbersAreRefusedWhateverTheirShape() {
        refused("1" + "0".repeat(1000), "number longer than 1000 characters");
        refused("[0." + "1".repeat(1000) + "]", "number longer than 1000");
        refused("{\"n\":1e" + "9".repeat(1000) + "}", "number longer than 1000");
    }

    @Test
    void stringsMustBeValidUnicodeOnceDecoded() {
        for (String bad : new String[] {"\"\\ud83d\"", "{\"s\":\"\\ud800x\"}", "\"\\ude00\"", "\"\\ud83d\\ud83d\"",
                "\"\ud83d\"", "\"a\ude00\"", "{\"\\udfff\":1}", "[\"ok\",\"\\uDBFF\"]"}) {
            refused(bad, "not valid Unicode");
        }
    }

    @Test
    void bodiesMustBeUtf8() {
        assertThat(StrictJson.utf8("{\"s\":\"été\"}".getBytes(StandardCharsets.UTF_8))).isEqualTo("{\"s\":\"été\"}");
        assertThat(StrictJson.utf8(new byte[] {(byte) 0xef, (byte) 0xbb, (byte) 0xbf, '1'})).isEqualTo("1");
        for (byte[] bad : new byte[][] {
                "{\"s\":\"été\"}".getBytes(StandardCharsets.ISO_8859_1),
                {'"', (byte) 0xed, (byte) 0xa0, (byte) 0xbd, '"'}, // CESU-8 surrogate
                {'"', (byte) 0xc0, (byte) 0xaf, '"'}, // overlong
                {'"', (byte) 0xf0, (byte) 0x9f, '"'}}) { // truncated
            assertThatThrownBy(() -> StrictJson.utf8(bad)).isInstanceOfSatisfying(HeraldException.class,
                    e -> assertThat(e.getMessage()).contains("not valid UTF-8"));
        }
    }

    @Test
    void safeIntegersAreDigitsFromZeroToTwoToThe53MinusOne() {
        assertThat(StrictJson.safeInteger("0", "since")).isZero();
        assertThat(StrictJson.safeInteger("9007199254740991", "since")).isEqualTo(StrictJson.MAX_SAFE_INTEGER);
        for (String bad : new String[] {"9007199254740992", "18446744073709551616", "-1", "+1", "1.0", "1e3", "",
                "007", " 1", "abc", "٣"}) {
            assertThatThrownBy(() -> StrictJson.safeInteger(bad, "since")).as(bad)
                    .hasMessageContaining("since must be an integer from 0 to 9007199254740991");
        }
    }

    @Test
    void topLevelMembersAreReadWithDuplicatesAndProblemsReported() {
        StrictJson.Document d = StrictJson.parse(
                "{\"type\":\"publish\",\"data\":{\"deep\":[\"\\ud83d\"]},\"ref\":\"r\\u00e9\",\"type\":\"ping\"}",
                StrictJson.MAX_DEPTH + 1);
        assertThat(d.kind()).isEqualTo(StrictJson.Kind.OBJECT);
        assertThat(d.duplicate()).isEqualTo("type");
        assertThat(d.problem()).contains("not valid Unicode");
        assertThat(d.members().get("type").string()).isEqualTo("publish");
        assertThat(d.members().get("ref").string()).isEqualTo("ré");
        assertThat(d.members().get("data").json()).isEqualTo("{\"deep\":[\"\\ud83d\"]}");
        assertThat(d.members().get("data").kind()).isEqualTo(StrictJson.Kind.OBJECT);
    }
}
