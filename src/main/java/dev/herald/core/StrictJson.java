package dev.herald.core;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Herald's one reader of untrusted JSON (docs/protocol.md, section 3.1 "Untrusted JSON"): message data from HTTP,
 * WebSocket and Java publishes, and WebSocket control frames. It checks RFC 8259's grammar plus Herald's limits, the
 * same on every container whatever JSON-P implementation the container ships, and writes the value back compactly
 * (whitespace outside strings dropped; strings, escapes and numbers exactly as written).
 *
 * <ul>
 *   <li>Nesting: at most {@value #MAX_DEPTH} levels of arrays and objects.</li>
 *   <li>Numbers: at most {@value #MAX_NUMBER_LENGTH} characters each; passed through untouched (never rounded).</li>
 *   <li>Strings: valid Unicode once escapes are decoded, so a lone UTF-16 surrogate (U+D83D escaped alone) is refused:
 *   no stored message can make an encoder or a container fail later.</li>
 *   <li>Bytes: UTF-8 only (RFC 8259, section 8.1), checked strictly by {@link #utf8}.</li>
 * </ul>
 *
 * <p>The parser is iterative, so no input can exhaust the stack; its work and memory are linear in the input, which
 * the transports bound by {@code herald.max-message-bytes} before calling it. Thread-safe (no shared state).
 */
public final class StrictJson {
    /** Deepest nesting of arrays and objects accepted in message data. */
    public static final int MAX_DEPTH = 128;
    /** Longest number accepted, in characters. */
    public static final int MAX_NUMBER_LENGTH = 1000;
    /** The largest integer a JavaScript client holds exactly (2^53 - 1): the bound of every offset and count. */
    public static final long MAX_SAFE_INTEGER = 9_007_199_254_740_991L;

    /** The kind of a JSON value. */
    public enum Kind { OBJECT, ARRAY, STRING, NUMBER, TRUE, FALSE, NULL }

    /**
     * One member of the top-level object.
     *
     * @param kind   its value's kind
     * @param json   its value as compact JSON text
     * @param string its value decoded, for a {@link Kind#STRING} that is valid Unicode; null otherwise
     */
    public record Member(Kind kind, String json, String string) {
    }

    /**
     * A document that is syntactically valid JSON.
     *
     * @param json      the value, compact
     * @param kind      the kind of the top-level value
     * @param members   for a top-level object, its members by name in order (the first of a repeated name)
     * @param duplicate the first member name the top-level object repeats, or null
     * @param problem   the first limit the document breaks (depth, number length, invalid Unicode), or null
     */
    public record Document(String json, Kind kind, Map<String, Member> members, String duplicate, String problem) {
    }

    private StrictJson() {
    }

    /**
     * Checks one JSON value (message data) and returns it compact.
     *
     * @throws HeraldException {@code bad_request}, naming what is wrong and where, for invalid JSON or a broken limit
     */
    public static String normalise(String text) {
        Document d = parse(text, MAX_DEPTH);
        if (d.problem() != null) {
            throw bad(d.problem());
        }
        return d.json();
    }

    /**
     * Parses one JSON value whose grammar must be valid; limits that it breaks are reported in
     * {@link Document#problem()} instead of thrown, so that a caller can still read the top-level members (a frame's
     * {@code ref}).
     *
     * @param maxDepth the deepest nesting allowed: {@link #MAX_DEPTH} for data, one more for a frame that wraps data
     * @throws HeraldException {@code bad_request} when the text is not one JSON value
     */
    public static Document parse(String text, int maxDepth) {
        return new Parser(text, maxDepth).document();
    }

    /**
     * Decodes a body as UTF-8, strictly (a leading byte order mark is skipped, as RFC 8259 allows).
     *
     * @throws HeraldException {@code bad_request} when the bytes are not valid UTF-8
     */
    public static String utf8(byte[] bytes) {
        int skip = bytes.length >= 3 && (bytes[0] & 0xff) == 0xef && (bytes[1] & 0xff) == 0xbb
                && (bytes[2] & 0xff) == 0xbf ? 3 : 0;
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, skip, bytes.length - skip)).toString();
        } catch (CharacterCodingException e) {
            throw bad("body is not valid UTF-8 (JSON must be UTF-8, RFC 8259 section 8.1)");
        }
    }

    /**
     * Parses a non-negative integer written in decimal digits only, at most {@link #MAX_SAFE_INTEGER}: offsets,
     * limits and counts from frames, query parameters and resume tokens.
     *
     * @param what the field's name, for the error message
     * @throws HeraldException {@code bad_request} otherwise ({@code -1}, {@code +1}, {@code 1.0}, {@code 2^64} …)
     */
    public static long safeInteger(String text, String what) {
        if (text != null && !text.isEmpty() && text.length() <= 16
                && (text.length() == 1 || text.charAt(0) != '0')) {
            long n = 0;
            boolean digits = true;
            for (int i = 0; i < text.length() && digits; i++) {
                char c = text.charAt(i);
                digits = c >= '0' && c <= '9';
                n = n * 10 + (c - '0');
            }
            if (digits && n <= MAX_SAFE_INTEGER) {
                return n;
            }
        }
        throw bad(what + " must be an integer from 0 to " + MAX_SAFE_INTEGER);
    }

    private static HeraldException bad(String message) {
        return new HeraldException(ErrorCode.BAD_REQUEST, message);
    }

    /** One pass over the text. Confined to the calling thread. */
    private static final class Parser {
        private final String s;
        private final int n;
        private final int maxDepth;
        private final StringBuilder out;
        private byte[] stack = new byte[16];
        private int depth;
        private int i;
        private String problem;
        private int problemCount;
        private Map<String, Member> members;
        private String duplicate;
        private String key;
        private int valueStart;
        private String lastString;

        Parser(String s, int maxDepth) {
            this.s = s;
            this.n = s.length();
            this.maxDepth = maxDepth;
            this.out = new StringBuilder(Math.min(n, 1 << 16) + 16);
        }

        Document document() {
            whitespace();
            if (i >= n) {
                throw syntax("no JSON value");
            }
            Kind root = null;
            for (;;) {
                boolean opened = value();
                if (root == null) {
                    root = kindOf(out.charAt(0));
                    if (root == Kind.OBJECT) {
                        members = new LinkedHashMap<>();
                    }
                }
                if (opened) {
                    whitespace();
                    char close = stack[depth - 1] == '{' ? '}' : ']';
                    if (i < n && s.charAt(i) == close) {
                        i++;
                        out.append(close);
                        depth--;
                    } else {
                        if (close == '}') {
                            key();
                        }
                        continue;
                    }
                }
                if (climb()) {
                    break;
                }
            }
            whitespace();
            if (i < n) {
                throw syntax("more than one JSON value");
            }
            return new Document(out.toString(), root, members, duplicate, problem);
        }

        /** After a value: closes the containers it completes; false when another value follows. */
        private boolean climb() {
            for (;;) {
                if (depth == 0) {
                    return true;
                }
                if (depth == 1 && members != null) {
                    String json = out.substring(valueStart);
                    Kind kind = kindOf(json.charAt(0));
                    if (members.containsKey(key)) {
                        duplicate = duplicate == null ? key : duplicate;
                    } else {
                        members.put(key, new Member(kind, json, kind == Kind.STRING ? lastString : null));
                    }
                }
                whitespace();
                if (i >= n) {
                    throw syntax("unexpected end");
                }
                char c = s.charAt(i++);
                boolean object = stack[depth - 1] == '{';
                if (c == ',') {
                    out.append(',');
                    whitespace();
                    if (object) {
                        key();
                    }
                    return false;
                } else if (c == (object ? '}' : ']')) {
                    out.append(c);
                    depth--;
                } else {
                    i--;
                    throw syntax(object ? "expected , or }" : "expected , or ]");
                }
            }
        }

        /** A value: a scalar in full (false), or the opening of a container (true). */
        private boolean value() {
            if (i >= n) {
                throw syntax("unexpected end");
            }
            char c = s.charAt(i);
            switch (c) {
                case '{', '[' -> {
                    i++;
                    out.append(c);
                    if (depth == stack.length) {
                        stack = Arrays.copyOf(stack, depth * 2);
                    }
                    stack[depth++] = (byte) c;
                    if (depth > maxDepth) {
                        problem("data nests deeper than " + MAX_DEPTH + " levels of arrays and objects");
                    }
                    return true;
                }
                case '"' -> string();
                case 't' -> literal("true");
                case 'f' -> literal("false");
                case 'n' -> literal("null");
                default -> {
                    if (c == '-' || (c >= '0' && c <= '9')) {
                        number();
                    } else {
                        throw syntax("expected a JSON value");
                    }
                }
            }
            return false;
        }

        private void key() {
            if (i >= n || s.charAt(i) != '"') {
                throw syntax("expected a member name in double quotes");
            }
            string();
            whitespace();
            if (i >= n || s.charAt(i) != ':') {
                throw syntax("expected :");
            }
            i++;
            out.append(':');
            whitespace();
            if (depth == 1) {
                key = lastString;
                valueStart = out.length();
            }
        }

        private void literal(String word) {
            if (!s.startsWith(word, i)) {
                throw syntax("expected a JSON value");
            }
            i += word.length();
            out.append(word);
        }

        private void number() {
            int start = i;
            if (s.charAt(i) == '-') {
                i++;
            }
            if (i < n && s.charAt(i) == '0') {
                i++;
            } else if (!digits()) {
                throw syntax("malformed number");
            }
            if (i < n && s.charAt(i) == '.') {
                i++;
                if (!digits()) {
                    throw syntax("malformed number");
                }
            }
            if (i < n && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
                i++;
                if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
                    i++;
                }
                if (!digits()) {
                    throw syntax("malformed number");
                }
            }
            if (i - start > MAX_NUMBER_LENGTH) {
                problem("number longer than " + MAX_NUMBER_LENGTH + " characters at character " + (start + 1));
            }
            out.append(s, start, i);
        }

        private boolean digits() {
            int start = i;
            while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                i++;
            }
            return i > start;
        }

        /** A string, checked and copied as written; decoded into {@link #lastString} at the top level only. */
        private void string() {
            int start = i++;
            StringBuilder decoded = depth <= 1 ? new StringBuilder() : null;
            boolean highPending = false;
            int problems = problemCount;
            for (;;) {
                if (i >= n) {
                    throw syntax("unterminated string");
                }
                char c = s.charAt(i++);
                if (c == '"') {
                    break;
                }
                char unit = c;
                if (c == '\\') {
                    if (i >= n) {
                        throw syntax("unterminated string");
                    }
                    char e = s.charAt(i++);
                    switch (e) {
                        case '"', '\\', '/' -> unit = e;
                        case 'b' -> unit = '\b';
                        case 'f' -> unit = '\f';
                        case 'n' -> unit = '\n';
                        case 'r' -> unit = '\r';
                        case 't' -> unit = '\t';
                        case 'u' -> unit = hex4();
                        default -> throw syntax("bad escape \\" + (e < 0x20 || e > 0x7e ? "?" : e));
                    }
                } else if (c < 0x20) {
                    throw syntax("control character in a string (escape it)");
                }
                if (Character.isHighSurrogate(unit)) {
                    if (highPending) {
                        loneSurrogate();
                    }
                    highPending = true;
                } else if (Character.isLowSurrogate(unit)) {
                    if (!highPending) {
                        loneSurrogate();
                    }
                    highPending = false;
                } else if (highPending) {
                    loneSurrogate();
                    highPending = false;
                }
                if (decoded != null) {
                    decoded.append(unit);
                }
            }
            if (highPending) {
                loneSurrogate();
            }
            out.append(s, start, i);
            lastString = decoded == null || problemCount != problems ? null : decoded.toString();
        }

        private char hex4() {
            if (i + 4 > n) {
                throw syntax("bad \\u escape");
            }
            int v = 0;
            for (int k = 0; k < 4; k++) {
                int d = Character.digit(s.charAt(i++), 16);
                if (d < 0) {
                    throw syntax("bad \\u escape");
                }
                v = v * 16 + d;
            }
            return (char) v;
        }

        private void loneSurrogate() {
            problem("string is not valid Unicode: lone surrogate before character " + i);
        }

        private void whitespace() {
            while (i < n) {
                char c = s.charAt(i);
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                    return;
                }
                i++;
            }
        }

        private void problem(String message) {
            problemCount++;
            if (problem == null) {
                problem = message;
            }
        }

        private HeraldException syntax(String what) {
            return bad("invalid JSON at character " + (i + 1) + ": " + what);
        }

        private static Kind kindOf(char first) {
            return switch (first) {
                case '{' -> Kind.OBJECT;
                case '[' -> Kind.ARRAY;
                case '"' -> Kind.STRING;
                case 't' -> Kind.TRUE;
                case 'f' -> Kind.FALSE;
                case 'n' -> Kind.NULL;
                default -> Kind.NUMBER;
            };
        }
    }
}
