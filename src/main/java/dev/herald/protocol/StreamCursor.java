package dev.herald.protocol;

import dev.herald.core.Envelope;
import dev.herald.core.Gap;
import dev.herald.core.Outbound;
import dev.herald.core.Subscribed;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A stream's position on each of its channels, advanced item by item as the stream's items are sent, and written as
 * the resume token of docs/protocol.md section 6.1. Used by the transports whose client resumes with a token: SSE
 * (each event's {@code id:}) and long-polling (the answer's {@code cursor}).
 *
 * <p>A {@link Subscribed} sets the channel's position to where its envelopes follow, an {@link Envelope} to its own
 * id, a {@link Gap} to just before the offset delivery continues from (in the new epoch, for a reset). Not thread-safe: owned by the one
 * writer of a stream (a transport's {@code write}, called one batch at a time).
 */
public final class StreamCursor {
    /** Channel to {@code <epoch>-<offset>}, in subscription order. */
    private final Map<String, String> positions = new LinkedHashMap<>();

    /** Moves the position of the item's channel past the item, which the stream is about to send. */
    public void advance(Outbound item) {
        if (item instanceof Envelope e) {
            positions.put(e.channel(), e.id());
        } else if (item instanceof Subscribed s) {
            positions.put(s.channel(), s.epoch() + "-" + s.from());
        } else if (item instanceof Gap g) {
            positions.put(g.channel(), g.epoch() + "-" + (g.earliest() - 1));
        }
    }

    /** Sets a channel's position, as a client's resume token gave it (epoch null when the token had none). */
    public void seed(String channel, long offset, String epoch) {
        positions.put(channel, epoch == null ? Long.toString(offset) : epoch + "-" + offset);
    }

    /** True when the stream's only channel is {@code channel}: its token is then that channel's position alone. */
    public boolean isOnly(String channel) {
        return positions.size() == 1 && positions.containsKey(channel);
    }

    /** Appends the resume token of every position so far. */
    public StringBuilder appendTo(StringBuilder out) {
        return ResumeToken.format(out, positions);
    }

    /** The resume token of every position so far ({@code ""} before any). */
    public String token() {
        return appendTo(new StringBuilder(32 * positions.size())).toString();
    }
}
