package dev.herald.transport.ws;

import dev.herald.core.Disconnect;
import dev.herald.core.Envelope;
import dev.herald.core.Outbound;
import dev.herald.core.Transport;
import dev.herald.protocol.WsFrames;
import jakarta.websocket.CloseReason;
import jakarta.websocket.RemoteEndpoint;
import jakarta.websocket.SendHandler;
import jakarta.websocket.SendResult;
import jakarta.websocket.Session;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Writes a subscriber's items to a WebSocket session as text frames (a binary message as one binary frame), one
 * asynchronous send at a time (containers refuse overlapping sends). Message frames are the per-publish encoding
 * shared by all subscribers.
 *
 * <p>Where the container offers a non-blocking flush ({@link WebSocketBatching}), batching is allowed on the
 * session: the frames of a batch are gathered in the container's output buffer (each send completes at once) and the
 * flush at the end of the batch writes them together, so a batch costs one socket write (one per output buffer)
 * rather than one per frame.
 */
final class WebSocketTransport implements Transport {
    private final Session session;
    private final RemoteEndpoint.Async remote;
    private final BiConsumer<Session, Consumer<Throwable>> flush;
    private volatile boolean failed;

    WebSocketTransport(Session session) {
        this.session = session;
        this.remote = session.getAsyncRemote();
        BiConsumer<Session, Consumer<Throwable>> f = WebSocketBatching.flush();
        if (f != null) {
            try {
                remote.setBatchingAllowed(true); // off -> on never flushes, so never blocks
            } catch (IOException | RuntimeException e) {
                f = null;
            }
        }
        this.flush = f;
    }

    @Override
    public void write(List<Outbound> batch, WriteCallback callback) {
        new Sends(batch, callback).signal();
    }

    /** The container reported an error: it closes the session with its own code, so {@link #close} must not. */
    void failed() {
        failed = true;
    }

    @Override
    public void close(Disconnect reason) {
        if (!failed && session.isOpen()) {
            try {
                session.close(new CloseReason(CloseReason.CloseCodes.getCloseCode(reason.code()), reason.reason()));
            } catch (IOException | IllegalStateException e) {
                // already closing
            }
        }
    }

    @Override
    public String name() {
        return "ws";
    }

    /**
     * Sends a batch in order, each send started when the previous one completed, then flushes it when batching. A
     * trampoline: a completion that arrives inline (inside {@code sendText} or the flush) only bumps the counter, so
     * the stack never grows with the batch.
     */
    private final class Sends implements SendHandler {
        private final List<Outbound> batch;
        private final WriteCallback callback;
        private final AtomicInteger signals = new AtomicInteger();
        private int next;
        private boolean flushed;

        Sends(List<Outbound> batch, WriteCallback callback) {
            this.batch = batch;
            this.callback = callback;
        }

        @Override
        public void onResult(SendResult result) {
            if (result.isOK()) {
                signal();
            } else {
                callback.failed(result.getException());
            }
        }

        private void flushed(Throwable failure) {
            if (failure == null) {
                signal();
            } else {
                callback.failed(failure);
            }
        }

        void signal() {
            if (signals.getAndIncrement() != 0) {
                return;
            }
            int missed = 1;
            for (;;) {
                if (next < batch.size()) {
                    try {
                        Outbound item = batch.get(next++);
                        if (item instanceof Envelope e && e.binary()) {
                            remote.sendBinary(java.nio.ByteBuffer.wrap(WsFrames.binaryMessage(e)), this);
                        } else {
                            remote.sendText(WsFrames.encode(item), this);
                        }
                    } catch (Throwable e) { // Payara's Tyrus threw an Error from its encoder: end this connection only
                        callback.failed(e);
                        return;
                    }
                } else if (flush != null && !flushed) {
                    flushed = true;
                    try {
                        flush.accept(session, this::flushed);
                    } catch (Throwable e) {
                        callback.failed(e);
                        return;
                    }
                } else {
                    callback.succeeded();
                }
                missed = signals.addAndGet(-missed);
                if (missed == 0) {
                    return;
                }
            }
        }
    }
}
