package dev.herald.protocol;

import dev.herald.core.Envelope;
import dev.herald.core.Gap;
import java.nio.charset.StandardCharsets;

/**
 * Server-Sent Events encoding (docs/protocol.md, "Server-Sent Events"). Field injection is impossible by
 * construction: {@code data} is split into one {@code data:} line per line of text, and an {@code id} or
 * {@code event} containing CR, LF or NUL is refused.
 */
public final class SseEvents {
    /** The heartbeat: a comment line, ignored by EventSource. */
    public static final String HEARTBEAT = ":\n\n";
    private static final byte[] ID = "id: ".getBytes(StandardCharsets.US_ASCII);

    private SseEvents() {
    }

    /** {@code retry: <millis>}, sent once when a stream starts. */
    public static String retry(long millis) {
        return "retry: " + millis + "\n\n";
    }

    /** An event with only an id: updates the client's Last-Event-ID without dispatching anything. */
    public static String idOnly(String id) {
        return "id: " + field(id) + "\n\n";
    }

    /**
     * The part of an envelope's event after its {@code id:} line, as UTF-8: {@code event:} and {@code data:} lines
     * and the blank line. Shared by every subscriber of the publish; each prepends its own id.
     */
    public static byte[] envelopeTail(Envelope e) {
        return e.encoded(SseEvents::encodeTail);
    }

    private static byte[] encodeTail(Envelope e) {
        StringBuilder b = new StringBuilder(e.data().length() + 160).append('\n');
        event(b, e.event(), EnvelopeJson.of(e));
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The envelope's event for a stream in Herald mode (docs/protocol.md section 6.3), after its {@code id:} line:
     * no {@code event:} line, so that EventSource dispatches every envelope as {@code message} (the envelope
     * carries its event name). Shared by every subscriber of the publish.
     */
    public static byte[] unnamedEnvelopeTail(Envelope e) {
        return e.encoded(SseEvents::encodeUnnamedTail);
    }

    private static byte[] encodeUnnamedTail(Envelope e) {
        String json = EnvelopeJson.of(e);
        return new StringBuilder(json.length() + 16).append("\ndata: ").append(json).append("\n\n").toString()
                .getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The heartbeat of a stream in Herald mode: an event EventSource dispatches (a comment is invisible to it),
     * {@code event: herald-heartbeat} with {@code data: {"interval":MILLIS}}, the interval between heartbeats.
     */
    public static String heraldHeartbeat(long intervalMillis) {
        return event(new StringBuilder(64), "herald-heartbeat", "{\"interval\":" + intervalMillis + "}").toString();
    }

    /**
     * The whole event of an envelope on a stream that carries only its channel, as UTF-8: its {@code id:} line (the
     * resume token {@code <channel>=<epoch>-<offset>}, the same for every such stream) and {@link #envelopeTail} (or
     * {@link #unnamedEnvelopeTail} in Herald mode). Computed once per publish and shared, so a single-channel
     * subscriber costs no encoding at all.
     */
    public static byte[] singleChannelEvent(Envelope e, boolean unnamed) {
        return unnamed ? e.encoded(SseEvents::encodeSingleChannelUnnamed) : e.encoded(SseEvents::encodeSingleChannel);
    }

    private static byte[] encodeSingleChannel(Envelope e) {
        return withId(e, envelopeTail(e));
    }

    private static byte[] encodeSingleChannelUnnamed(Envelope e) {
        return withId(e, unnamedEnvelopeTail(e));
    }

    private static byte[] withId(Envelope e, byte[] tail) {
        byte[] id = ("id: " + e.channel() + "=" + e.id()).getBytes(StandardCharsets.UTF_8);
        byte[] event = java.util.Arrays.copyOf(id, id.length + tail.length);
        System.arraycopy(tail, 0, event, id.length, tail.length);
        return event;
    }

    /** The bytes {@code "id: "}. */
    public static byte[] idPrefix() {
        return ID.clone();
    }

    /** {@code event: herald-gap} with the gap as JSON data. */
    public static String gap(Gap g) {
        return event(new StringBuilder(), "herald-gap", GapJson.of(g)).toString();
    }

    /** Appends {@code event: name} and one {@code data:} line per line of {@code data}, then the blank line. */
    public static StringBuilder event(StringBuilder b, String name, String data) {
        b.append("event: ").append(field(name)).append('\n');
        int start = 0;
        int n = data.length();
        for (int i = 0; i < n; i++) {
            char c = data.charAt(i);
            if (c == '\n' || c == '\r') {
                b.append("data: ").append(data, start, i).append('\n');
                if (c == '\r' && i + 1 < n && data.charAt(i + 1) == '\n') {
                    i++;
                }
                start = i + 1;
            }
        }
        return b.append("data: ").append(data, start, n).append("\n\n");
    }

    /** Returns {@code value}, or throws if it contains CR, LF or NUL (which would inject fields). */
    public static String field(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\n' || c == '\r' || c == 0) {
                throw new IllegalArgumentException("CR, LF and NUL are not allowed in an SSE id or event name");
            }
        }
        return value;
    }

    /**
     * {@code event: herald-reconnect} with {@code data: {"reason":"service restart"}}: this node is draining and the
     * stream ends after it; reconnect at once (no backoff) and resume with the last id (docs/protocol.md, section 9).
     */
    public static final String RECONNECT = "event: herald-reconnect\ndata: {\"reason\":\"service restart\"}\n\n";

    /**
     * {@code event: herald-error} with the error body {@code {"code":…,"message":…}}: the stream ends after it
     * (docs/protocol.md, section 6; sent when the stream's token expires).
     */
    public static String heraldError(dev.herald.core.ErrorCode code, String message) {
        StringBuilder b = new StringBuilder(96).append("event: herald-error\ndata: {\"code\":");
        JsonText.string(b, code.wire()).append(",\"message\":");
        return JsonText.string(b, message).append("}\n\n").toString();
    }
}
