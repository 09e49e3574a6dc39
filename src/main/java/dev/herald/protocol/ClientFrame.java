package dev.herald.protocol;

import jakarta.json.JsonValue;

/**
 * A frame from a WebSocket client, as bound by JSON-B. Unknown members are ignored, so clients may send more.
 * See {@code docs/protocol.md}, "WebSocket".
 */
public class ClientFrame {
    /** {@code auth}, {@code subscribe}, {@code unsubscribe}, {@code publish} or {@code ping}. */
    public String type;
    public String channel;
    /** subscribe: resume after this offset. */
    public Long since;
    /** subscribe: the epoch {@code since} belongs to (optional). */
    public String epoch;
    /** publish: the event name, {@code message} when absent. */
    public String event;
    /** publish: any JSON value. */
    public JsonValue data;
    /** auth: a bearer token (a JWT). */
    public String token;
    /** Optional client string echoed in the reply. */
    public String ref;
}
