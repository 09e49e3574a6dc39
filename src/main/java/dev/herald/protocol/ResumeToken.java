package dev.herald.protocol;

import dev.herald.core.ErrorCode;
import dev.herald.core.HeraldException;
import dev.herald.core.Names;
import dev.herald.core.StreamPosition;
import dev.herald.core.StrictJson;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The SSE resume token (the {@code id:} of each event, sent back as {@code Last-Event-ID}): the stream's position on
 * every one of its channels. Opaque to clients; its form, which herald.js relies on, is
 * {@code <channel>=<epoch>-<offset>} entries joined by {@code ,} ({@code <channel>=<offset>} is accepted too, without
 * epoch). Channel names cannot contain {@code =} or {@code ,}, and no part can contain CR, LF or NUL.
 */
public final class ResumeToken {
    /** Longest token accepted. */
    public static final int MAX_LENGTH = 16 * 1024;

    private ResumeToken() {
    }

    /** Parses a token; null or empty gives an empty map. Throws {@code bad_request} when malformed. */
    public static Map<String, StreamPosition> parse(String token) {
        if (token == null || token.isBlank()) {
            return Collections.emptyMap();
        }
        if (token.length() > MAX_LENGTH) {
            throw bad("resume token too long");
        }
        Map<String, StreamPosition> positions = new LinkedHashMap<>();
        for (String entry : token.trim().split(",")) {
            int eq = entry.indexOf('=');
            if (eq <= 0 || !Names.isChannel(entry.substring(0, eq))) {
                throw bad("malformed resume token");
            }
            String position = entry.substring(eq + 1);
            int dash = position.lastIndexOf('-');
            String epoch = dash < 0 ? null : position.substring(0, dash);
            long offset;
            try {
                offset = StrictJson.safeInteger(position.substring(dash + 1), "offset");
            } catch (HeraldException e) {
                throw bad("malformed resume token: each offset must be an integer from 0 to "
                        + StrictJson.MAX_SAFE_INTEGER);
            }
            if (epoch != null && (epoch.isEmpty()
                    || !epoch.chars().allMatch(c -> c < 128 && Character.isLetterOrDigit(c)))) {
                throw bad("malformed resume token");
            }
            positions.put(entry.substring(0, eq), new StreamPosition(offset, epoch));
        }
        return positions;
    }

    /** Appends the token for {@code positions} (channel to {@code <epoch>-<offset>}). */
    public static StringBuilder format(StringBuilder out, Map<String, String> positions) {
        boolean first = true;
        for (Map.Entry<String, String> p : positions.entrySet()) {
            if (!first) {
                out.append(',');
            }
            first = false;
            out.append(p.getKey()).append('=').append(p.getValue());
        }
        return out;
    }

    private static HeraldException bad(String message) {
        return new HeraldException(ErrorCode.BAD_REQUEST, message);
    }
}
