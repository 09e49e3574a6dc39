package dev.herald.protocol;

import dev.herald.core.ErrorCode;
import dev.herald.core.HeraldException;
import dev.herald.core.StrictJson;
import java.util.Map;

/**
 * A frame from a WebSocket client (docs/protocol.md, section 7), read by {@link StrictJson}: one JSON object whose
 * members have the types below. Unknown members are ignored; a member given twice is refused, so the channel that is
 * authorised is the channel that is used. An optional member given as {@code null} counts as absent.
 *
 * @param type    {@code auth}, {@code subscribe}, {@code unsubscribe}, {@code publish} or {@code ping} (required, a
 *                string)
 * @param channel the channel, or null
 * @param since   subscribe: resume after this offset (0 to 2^53-1), or null
 * @param epoch   subscribe: the epoch {@code since} belongs to, or null
 * @param event   publish: the event name, or null for {@code message}
 * @param data    publish: the data as compact JSON text ({@code null} when absent)
 * @param token   auth: a bearer token (a JWT), or null
 * @param ref     the client's string echoed in the reply, or null
 * @param idempotencyKey publish: the key that makes a retried publish a replay (docs/protocol.md, "Idempotent
 *                publish"), or null
 */
public record ClientFrame(String type, String channel, Long since, String epoch, String event, String data,
                          String token, String ref, String idempotencyKey) {

    /** A frame without an idempotency key. */
    public ClientFrame(String type, String channel, Long since, String epoch, String event, String data,
                       String token, String ref) {
        this(type, channel, since, epoch, event, data, token, ref, null);
    }

    /** A frame refused before it was handled, with the {@code ref} to echo when the frame had a usable one. */
    public static final class Refused extends HeraldException {
        private static final long serialVersionUID = 1L;
        private final String ref;

        Refused(String message, String ref) {
            super(ErrorCode.BAD_REQUEST, message);
            this.ref = ref;
        }

        /** The frame's {@code ref}, or null. */
        public String ref() {
            return ref;
        }
    }

    /**
     * Reads a text frame.
     *
     * @throws Refused ({@code bad_request}) when it is not one JSON object, breaks a JSON limit, repeats a member or
     *                 has a member of the wrong type; the message names the member
     */
    public static ClientFrame parse(String text) {
        StrictJson.Document d;
        try {
            d = StrictJson.parse(text, StrictJson.MAX_DEPTH + 1);
        } catch (HeraldException e) {
            throw new Refused("malformed frame: " + e.getMessage(), null);
        }
        if (d.kind() != StrictJson.Kind.OBJECT) {
            throw new Refused("malformed frame: expected one JSON object", null);
        }
        Map<String, StrictJson.Member> m = d.members();
        String ref = null;
        if (!"ref".equals(d.duplicate())) {
            StrictJson.Member r = m.get("ref");
            if (r != null && r.kind() == StrictJson.Kind.STRING) {
                ref = r.string();
            }
        }
        if (d.duplicate() != null) {
            throw new Refused("frame has the member \"" + d.duplicate() + "\" twice", ref);
        }
        if (d.problem() != null) {
            throw new Refused(d.problem(), ref);
        }
        try {
            String type = string(m, "type");
            if (type == null) {
                throw new Refused("frame has no type", ref);
            }
            StrictJson.Member since = present(m, "since");
            StrictJson.Member data = present(m, "data");
            string(m, "ref");
            return new ClientFrame(type, string(m, "channel"),
                    since == null ? null : offset(since), string(m, "epoch"), string(m, "event"),
                    data == null ? "null" : data.json(), string(m, "token"), ref, string(m, "idempotencyKey"));
        } catch (HeraldException e) {
            throw new Refused(e.getMessage(), ref);
        }
    }

    private static StrictJson.Member present(Map<String, StrictJson.Member> m, String name) {
        StrictJson.Member v = m.get(name);
        return v == null || v.kind() == StrictJson.Kind.NULL ? null : v;
    }

    private static String string(Map<String, StrictJson.Member> m, String name) {
        StrictJson.Member v = present(m, name);
        if (v == null) {
            return null;
        }
        if (v.kind() != StrictJson.Kind.STRING) {
            throw new HeraldException(ErrorCode.BAD_REQUEST, name + " must be a string");
        }
        return v.string();
    }

    private static long offset(StrictJson.Member since) {
        return StrictJson.safeInteger(since.kind() == StrictJson.Kind.NUMBER ? since.json() : "", "since");
    }
}
