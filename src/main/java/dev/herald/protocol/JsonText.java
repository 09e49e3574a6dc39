package dev.herald.protocol;

import dev.herald.core.ErrorCode;
import dev.herald.core.HeraldException;
import jakarta.json.Json;
import jakarta.json.JsonException;
import jakarta.json.stream.JsonParser;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.NoSuchElementException;

/**
 * The JSON helpers the codecs need: Herald writes its own frames by hand, in one pass, and normalises incoming
 * message data to compact one-line JSON.
 */
public final class JsonText {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private JsonText() {
    }

    /** Appends {@code s} as a JSON string literal (quoted and escaped), or {@code null}. */
    public static StringBuilder string(StringBuilder out, String s) {
        if (s == null) {
            return out.append("null");
        }
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\u2028' -> out.append("\\u2028");
                case '\u2029' -> out.append("\\u2029");
                default -> {
                    if (c < 0x20) {
                        out.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xf]);
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"');
    }

    /** {@code s} as a JSON string literal. */
    public static String quote(String s) {
        return string(new StringBuilder(s == null ? 4 : s.length() + 8), s).toString();
    }

    /**
     * Parses exactly one UTF-8 JSON value of any type and returns it written back compactly on one line, or throws
     * {@code bad_request}.
     */
    public static String normalise(byte[] json) {
        try (JsonParser parser = Json.createParser(new StringReader(new String(json, StandardCharsets.UTF_8)))) {
            if (!parser.hasNext()) {
                throw new HeraldException(ErrorCode.BAD_REQUEST, "body must be one JSON value");
            }
            parser.next();
            String value = parser.getValue().toString();
            if (parser.hasNext()) {
                throw new HeraldException(ErrorCode.BAD_REQUEST, "body must be one JSON value, found more");
            }
            return value;
        } catch (JsonException | IllegalStateException | NoSuchElementException e) {
            throw new HeraldException(ErrorCode.BAD_REQUEST, "body is not valid JSON");
        }
    }
}
