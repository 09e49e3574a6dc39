package dev.herald.protocol;

import dev.herald.core.Envelope;
import dev.herald.core.ErrorCode;
import dev.herald.core.Frame;
import dev.herald.core.Gap;
import dev.herald.core.Outbound;
import dev.herald.core.PresenceEvent;
import dev.herald.core.Subscribed;

/** Server-to-client WebSocket frames (docs/protocol.md, "WebSocket"). */
public final class WsFrames {
    private WsFrames() {
    }

    /** {@code {"type":"message", …envelope}}: computed once per publish and shared. */
    public static String message(Envelope e) {
        return e.encoded(WsFrames::encodeMessage);
    }

    /**
     * {@link #message} as UTF-8 bytes, computed once per publish and shared: for a WebSocket API that sends a text
     * frame's bytes as they are (Jetty's core API). Wrap it in a new {@code ByteBuffer} per send and never write to it.
     */
    public static byte[] messageUtf8(Envelope e) {
        return e.encoded(WsFrames::encodeMessageUtf8);
    }

    private static byte[] encodeMessageUtf8(Envelope e) {
        return message(e).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /**
     * The text frame of any item a subscriber is sent: a message ({@link #message}), a reply already encoded
     * ({@link Frame}), {@code subscribed}, {@code presence} or {@code gap}.
     *
     * @throws ClassCastException for an item of another kind
     */
    public static String encode(Outbound item) {
        if (item instanceof Envelope e) {
            return message(e);
        } else if (item instanceof Frame f) {
            return f.text();
        } else if (item instanceof Subscribed s) {
            return subscribed(s);
        } else if (item instanceof PresenceEvent p) {
            return presence(p);
        } else {
            return gap((Gap) item);
        }
    }

    private static String encodeMessage(Envelope e) {
        StringBuilder b = new StringBuilder(e.data().length() + 128).append("{\"type\":\"message\",");
        return EnvelopeJson.fields(b, e).append('}').toString();
    }

    /**
     * A binary message as one binary WebSocket frame (docs/protocol.md, "Binary messages"): the header
     * {@code {"type":"message","channel":…,"offset":…,"id":…,"event":…,"ts":…}} as UTF-8 JSON, one LF byte
     * ({@code 0x0A}, which compact JSON never contains), then the message's bytes. Computed once per publish and
     * shared: wrap it in a new {@code ByteBuffer} per send and never write to it.
     *
     * @throws IllegalStateException for a JSON message
     */
    public static byte[] binaryMessage(Envelope e) {
        return e.encoded(WsFrames::encodeBinaryMessage);
    }

    private static byte[] encodeBinaryMessage(Envelope e) {
        byte[] header = EnvelopeJson.header(new StringBuilder(128).append("{\"type\":\"message\","), e).append("}\n")
                .toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] bytes = e.bytes();
        byte[] frame = java.util.Arrays.copyOf(header, header.length + bytes.length);
        System.arraycopy(bytes, 0, frame, header.length, bytes.length);
        return frame;
    }

    /** The separator between a binary frame's JSON header and its bytes (docs/protocol.md, "Binary messages"). */
    public static final byte HEADER_END = '\n';

    public static String subscribed(Subscribed s) {
        StringBuilder b = start("subscribed");
        b.append(",\"channel\":");
        JsonText.string(b, s.channel());
        b.append(",\"offset\":").append(s.latest()).append(",\"epoch\":");
        JsonText.string(b, s.epoch());
        return ref(b, s.ref());
    }

    public static String unsubscribed(String channel, String ref) {
        StringBuilder b = start("unsubscribed");
        b.append(",\"channel\":");
        JsonText.string(b, channel);
        return ref(b, ref);
    }

    /** {@code unsubscribed} sent by the server, with the reason (e.g. {@code forbidden} after an {@code auth}). */
    public static String unsubscribedBecause(String channel, ErrorCode reason) {
        StringBuilder b = start("unsubscribed");
        b.append(",\"channel\":");
        JsonText.string(b, channel);
        b.append(",\"code\":");
        JsonText.string(b, reason.wire());
        return b.append('}').toString();
    }

    /**
     * The reply to an {@code auth} frame: {@code {"type":"authenticated","subject":…,"expires":MILLIS_OR_NULL,
     * "ref":…}}.
     */
    public static String authenticated(String subject, java.time.Instant expires, String ref) {
        StringBuilder b = start("authenticated");
        b.append(",\"subject\":");
        JsonText.string(b, subject);
        b.append(",\"expires\":").append(expires == null ? "null" : Long.toString(expires.toEpochMilli()));
        return ref(b, ref);
    }

    public static String ack(Envelope e, String ref) {
        return ack(e, ref, false);
    }

    /**
     * {@code {"type":"ack","ref":…,"channel":…,"offset":N,"id":…}}, with {@code "replayed":true} when the publish
     * was a replay of an earlier one with the same idempotency key (docs/protocol.md, "Idempotent publish").
     */
    public static String ack(Envelope e, String ref, boolean replayed) {
        StringBuilder b = start("ack");
        if (ref != null) {
            b.append(",\"ref\":");
            JsonText.string(b, ref);
        }
        b.append(",\"channel\":");
        JsonText.string(b, e.channel());
        b.append(",\"offset\":").append(e.offset()).append(",\"id\":");
        JsonText.string(b, e.id());
        if (replayed) {
            b.append(",\"replayed\":true");
        }
        return b.append('}').toString();
    }

    public static String pong(String ref) {
        return ref(start("pong"), ref);
    }

    public static String gap(Gap g) {
        return GapJson.fields(start("gap").append(','), g).append('}').toString();
    }

    /** {@code {"type":"join"|"leave","channel":…,"client":…,"user":…,"info":…}} (docs/protocol.md, "Presence"). */
    public static String presence(dev.herald.core.PresenceEvent e) {
        return PresenceJson.event(start(e.type()).append(','), e).append('}').toString();
    }

    /** {@code {"type":"presence","channel":…,"presence":[entries],"ref":…}}: the reply to a presence request. */
    public static String presenceList(String channel, java.util.List<dev.herald.core.PresenceEntry> entries,
                                      String ref) {
        StringBuilder b = start("presence").append(",\"channel\":");
        JsonText.string(b, channel).append(",\"presence\":");
        PresenceJson.list(b, entries);
        return ref(b, ref);
    }

    public static String error(ErrorCode code, String message, String ref) {
        StringBuilder b = start("error");
        b.append(",\"code\":");
        JsonText.string(b, code.wire());
        b.append(",\"message\":");
        JsonText.string(b, message);
        return ref(b, ref);
    }

    private static StringBuilder start(String type) {
        return new StringBuilder(96).append("{\"type\":\"").append(type).append('"');
    }

    private static String ref(StringBuilder b, String ref) {
        if (ref != null) {
            b.append(",\"ref\":");
            JsonText.string(b, ref);
        }
        return b.append('}').toString();
    }
}
