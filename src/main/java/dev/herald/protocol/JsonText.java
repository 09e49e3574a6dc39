package dev.herald.protocol;

/**
 * The JSON writer the codecs need: Herald writes its own frames by hand, in one pass. Incoming JSON is read by
 * {@code core.StrictJson}.
 */
public final class JsonText {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private JsonText() {
    }

    /**
     * Appends {@code s} as a JSON string literal (quoted and escaped), or {@code null}. A lone surrogate is written as
     * a six-character escape (backslash, u, four hex digits), so the result is always encodable as UTF-8.
     */
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
                    if (c < 0x20 || (Character.isSurrogate(c) && !pairedAt(s, i))) {
                        out.append("\\u").append(HEX[c >> 12]).append(HEX[(c >> 8) & 0xf])
                                .append(HEX[(c >> 4) & 0xf]).append(HEX[c & 0xf]);
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"');
    }

    /** True if the surrogate at {@code i} is half of a well-formed pair (a lone one is written as an escape). */
    private static boolean pairedAt(String s, int i) {
        char c = s.charAt(i);
        return Character.isHighSurrogate(c)
                ? i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))
                : i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }

    /** {@code s} as a JSON string literal. */
    public static String quote(String s) {
        return string(new StringBuilder(s == null ? 4 : s.length() + 8), s).toString();
    }
}
