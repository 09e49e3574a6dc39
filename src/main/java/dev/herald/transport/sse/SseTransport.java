package dev.herald.transport.sse;

import dev.herald.core.Disconnect;
import dev.herald.core.Envelope;
import dev.herald.core.Frame;
import dev.herald.core.Gap;
import dev.herald.core.Outbound;
import dev.herald.core.Subscribed;
import dev.herald.core.Transport;
import dev.herald.protocol.ResumeToken;
import dev.herald.protocol.SseEvents;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a subscriber's items to an SSE stream with non-blocking servlet I/O: a batch becomes one buffer, written
 * and flushed when the container says the stream is ready, so a slow client never holds a thread. Each event's
 * {@code id:} is the stream's resume token: the position on every channel of the stream, kept here as events are
 * encoded.
 *
 * <p>{@link #write} runs on a fan-out thread and {@link #onWritePossible} on a container thread; the monitor keeps
 * them from touching the output stream at the same time. The callback is completed outside the monitor.
 */
final class SseTransport implements Transport, WriteListener {
    private final AsyncContext async;
    private final ServletOutputStream out;
    /** Channel to "epoch-offset", in subscription order. Only touched by {@link #write} (one call at a time). */
    private final Map<String, String> positions = new LinkedHashMap<>();
    private volatile Runnable onFailure = () -> { };

    // guarded by this
    private boolean ready;
    private byte[] pending;
    private boolean flushPending;
    private WriteCallback callback;
    private boolean closed;

    SseTransport(AsyncContext async, ServletOutputStream out) {
        this.async = async;
        this.out = out;
    }

    /** What to do when the stream fails under us (the client went away). */
    void onFailure(Runnable action) {
        this.onFailure = action;
    }

    @Override
    public void write(List<Outbound> batch, WriteCallback cb) {
        byte[] bytes = encode(batch);
        Runnable then;
        synchronized (this) {
            pending = bytes;
            callback = cb;
            then = ready ? advance() : null;
        }
        run(then);
    }

    @Override
    public void onWritePossible() {
        Runnable then;
        synchronized (this) {
            ready = true;
            then = advance();
        }
        run(then);
    }

    @Override
    public void onError(Throwable t) {
        WriteCallback cb;
        synchronized (this) {
            cb = callback;
            callback = null;
            closed = true;
        }
        if (cb != null) {
            cb.failed(t);
        }
        onFailure.run();
    }

    /**
     * Moves the pending write on as far as the stream allows. Returns what to run once the monitor is released (the
     * completed callback), or null while the write waits for {@link #onWritePossible}.
     */
    private Runnable advance() {
        WriteCallback cb = callback;
        if (cb == null || closed) {
            return null;
        }
        try {
            if (pending != null) {
                if (!out.isReady()) {
                    return null;
                }
                out.write(pending);
                pending = null;
                flushPending = true;
            }
            if (flushPending) {
                if (!out.isReady()) {
                    return null;
                }
                out.flush();
                flushPending = false;
            }
            callback = null;
            return cb::succeeded;
        } catch (IOException | RuntimeException e) {
            closed = true;
            callback = null;
            return () -> cb.failed(e);
        }
    }

    private static void run(Runnable then) {
        if (then != null) {
            then.run();
        }
    }

    private byte[] encode(List<Outbound> batch) {
        if (batch.size() == 1 && batch.get(0) instanceof Envelope e
                && (positions.isEmpty() || positions.size() == 1 && positions.containsKey(e.channel()))) {
            positions.put(e.channel(), e.id());
            return SseEvents.singleChannelEvent(e); // shared, never modified: no copy
        }
        ByteArrayOutputStream b = new ByteArrayOutputStream(256 * batch.size());
        for (Outbound item : batch) {
            if (item instanceof Envelope e) {
                positions.put(e.channel(), e.id());
                if (positions.size() == 1) {
                    b.writeBytes(SseEvents.singleChannelEvent(e)); // shared by every single-channel stream
                } else {
                    b.writeBytes(token("id: "));
                    b.writeBytes(SseEvents.envelopeTail(e));
                }
            } else if (item instanceof Frame f) {
                b.writeBytes(f.text().getBytes(StandardCharsets.UTF_8));
            } else if (item instanceof Subscribed s) {
                positions.put(s.channel(), s.epoch() + "-" + s.from());
                b.writeBytes(token("id: "));
                b.write('\n');
                b.write('\n');
            } else if (item instanceof Gap g) {
                if (g.reset()) {
                    positions.put(g.channel(), g.epoch() + "-" + (g.earliest() - 1));
                }
                b.writeBytes(SseEvents.gap(g).getBytes(StandardCharsets.UTF_8));
            }
        }
        return b.toByteArray();
    }

    private byte[] token(String prefix) {
        return ResumeToken.format(new StringBuilder(prefix), positions).toString().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close(Disconnect reason) {
        synchronized (this) {
            closed = true;
        }
        try {
            async.complete();
        } catch (IllegalStateException e) {
            // already completed
        }
    }

    @Override
    public String name() {
        return "sse";
    }
}
