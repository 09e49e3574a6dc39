package dev.herald.transport.sse;

import dev.herald.core.Disconnect;
import dev.herald.core.Envelope;
import dev.herald.core.Frame;
import dev.herald.core.Gap;
import dev.herald.core.Outbound;
import dev.herald.core.Subscribed;
import dev.herald.core.Transport;
import dev.herald.protocol.SseEvents;
import dev.herald.protocol.StreamCursor;
import dev.herald.transport.HttpIo;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Writes a subscriber's items to an SSE stream with non-blocking servlet I/O: a batch becomes one buffer, written
 * and flushed when the container says the stream is ready, so a slow client never holds a thread. Each event's
 * {@code id:} is the stream's resume token: the position on every channel of the stream, kept here as events are
 * encoded.
 *
 * <p>{@link #write} runs on a fan-out thread and {@link #onWritePossible} on a container thread; the monitor keeps
 * them from touching the output stream at the same time. The callback is completed outside the monitor.
 *
 * <p><b>Once the exchange has ended, nothing of it is touched again.</b> Containers recycle the request, response and
 * stream objects for the next connection as soon as an exchange ends (Tomcat reuses its processors), so a late write,
 * flush or {@code complete()} would land on someone else's stream: seen on Tomcat as a fresh stream that got its
 * {@code retry:} and then nothing, or failed with an old stream's "Broken pipe". The container's end callbacks
 * ({@link #ended}, {@link #onError}) close the transport under the monitor, so no write is under way when they return
 * and none starts after.
 *
 * <p><b>A failed write is left to the container to end.</b> Tomcat ends such an exchange itself, at once, on another
 * thread, and a {@code complete()} racing it broke a newcomer as above. Jetty leaves it open. So Herald completes a
 * failed exchange only if the container has not ended it within a grace period ({@link #endIfAbandoned}, from the
 * heartbeat).
 */
final class SseTransport implements Transport, WriteListener {
    private final AsyncContext async;
    private final ServletOutputStream out;
    /** Herald mode: envelopes without an {@code event:} line. */
    private final boolean unnamed;
    /** The stream's position on each channel. Only touched by {@link #write} (one call at a time). */
    private final StreamCursor cursor = new StreamCursor();
    private volatile Runnable onFailure = () -> { };
    /** The last frame of the stream (a {@code herald-error}), and what to do once it is written. */
    private volatile Frame last;
    private volatile Runnable onLast;

    // guarded by this
    private boolean ready;
    private byte[] pending;
    private boolean flushPending;
    private WriteCallback callback;
    /** No more writes: the exchange ended or Herald closed it. */
    private boolean closed;
    /** The exchange is over or being completed: the request, response and stream are never touched again. */
    private boolean ended;
    /** A write failed: the container is expected to end the exchange (see above). */
    private boolean failed;
    /** When it failed, by {@link System#nanoTime}. */
    private long failedAt;

    SseTransport(AsyncContext async, ServletOutputStream out, boolean unnamed) {
        this.async = async;
        this.out = out;
        this.unnamed = unnamed;
    }

    /** What to do when the stream fails under us (the client went away). */
    void onFailure(Runnable action) {
        this.onFailure = action;
    }

    /** Ends the stream (by {@code then}) once {@code frame}, queued next, has been written. */
    void endAfter(Frame frame, Runnable then) {
        this.onLast = then;
        this.last = frame;
    }

    @Override
    public void write(List<Outbound> batch, WriteCallback given) {
        Frame end = last;
        WriteCallback cb = end == null || !batch.contains(end) ? given : new WriteCallback() {
            @Override
            public void succeeded() {
                given.succeeded();
                onLast.run();
            }

            @Override
            public void failed(Throwable cause) {
                given.failed(cause);
            }
        };
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

    /** The container reports a failed write, on its own thread: completing here is what it expects. */
    @Override
    public void onError(Throwable t) {
        WriteCallback cb;
        boolean complete;
        synchronized (this) {
            cb = callback;
            callback = null;
            closed = true;
            complete = !ended;
            ended = true;
        }
        if (complete) {
            complete();
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
            closed = true; // and the container may be ending the exchange already, on another thread
            failed = true;
            failedAt = System.nanoTime();
            callback = null;
            return () -> {
                cb.failed(e);
                onFailure.run();
            };
        }
    }

    private static void run(Runnable then) {
        if (then != null) {
            then.run();
        }
    }

    private byte[] encode(List<Outbound> batch) {
        if (batch.size() == 1 && batch.get(0) instanceof Envelope e) {
            cursor.advance(e);
            if (cursor.isOnly(e.channel())) {
                return SseEvents.singleChannelEvent(e, unnamed); // shared by every such stream, never modified
            }
        }
        ByteArrayOutputStream b = new ByteArrayOutputStream(256 * batch.size());
        for (Outbound item : batch) {
            cursor.advance(item);
            if (item instanceof Envelope e) {
                if (cursor.isOnly(e.channel())) {
                    b.writeBytes(SseEvents.singleChannelEvent(e, unnamed));
                } else {
                    b.writeBytes(token());
                    b.writeBytes(unnamed ? SseEvents.unnamedEnvelopeTail(e) : SseEvents.envelopeTail(e));
                }
            } else if (item instanceof Frame f) {
                b.writeBytes(f.text().getBytes(StandardCharsets.UTF_8));
            } else if (item instanceof Subscribed) {
                b.writeBytes(token());
                b.write('\n');
                b.write('\n');
            } else if (item instanceof Gap g) {
                b.writeBytes(SseEvents.gap(g).getBytes(StandardCharsets.UTF_8));
            }
        }
        return b.toByteArray();
    }

    /** The {@code id:} line's start: the resume token of the stream's position after the current item. */
    private byte[] token() {
        return cursor.appendTo(new StringBuilder("id: ")).toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The container reports the exchange over (completed, timed out or failed), on its own thread and before it
     * recycles anything: from now on nothing here touches the stream or the async context.
     */
    synchronized void ended() {
        closed = true;
        ended = true;
    }

    /**
     * Completes an exchange whose write failed {@code grace} nanoseconds ago or more and that the container has not
     * ended. Returns true when nothing is left to do: the exchange has ended, or has been completed now.
     */
    boolean endIfAbandoned(long now, long grace) {
        synchronized (this) {
            if (ended) {
                return true;
            }
            if (!failed || now - failedAt < grace) {
                return false;
            }
            ended = true;
        }
        complete();
        return true;
    }

    /** Completes the exchange, unless it has ended or a write failed (then the container ends it, see above). */
    @Override
    public void close(Disconnect reason) {
        synchronized (this) {
            closed = true;
            if (ended || failed) {
                return;
            }
            ended = true;
        }
        complete();
    }

    private void complete() {
        HttpIo.complete(async);
    }

    /** A draining node's stream ends with {@code event: herald-reconnect} (docs/protocol.md, section 9). */
    @Override
    public Outbound farewell(Disconnect reason) {
        return reason.equals(Disconnect.RESTART) ? new Frame(SseEvents.RECONNECT) : null;
    }

    @Override
    public String name() {
        return "sse";
    }
}
