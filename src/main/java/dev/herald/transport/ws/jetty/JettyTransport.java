package dev.herald.transport.ws.jetty;

import dev.herald.core.Disconnect;
import dev.herald.core.Envelope;
import dev.herald.core.Outbound;
import dev.herald.core.Transport;
import dev.herald.protocol.WsFrames;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.Frame;
import org.eclipse.jetty.websocket.core.OpCode;

/**
 * Writes a subscriber's items to a Jetty core WebSocket session. A message frame is the per-publish UTF-8 encoding
 * shared by every subscriber ({@link WsFrames#messageUtf8}, {@link WsFrames#binaryMessage}), wrapped in a new
 * {@code ByteBuffer} per send and never copied or re-encoded; the frames of a batch are gathered in the session's
 * output buffer and the last one flushes them, so a batch costs one socket write (one per output buffer). The write
 * completes when the last frame has been written.
 */
final class JettyTransport implements Transport {
    private final CoreSession session;
    private volatile boolean failed;

    JettyTransport(CoreSession session) {
        this.session = session;
    }

    @Override
    public void write(List<Outbound> batch, WriteCallback callback) {
        new Sends(batch, callback).signal();
    }

    private static Frame frame(Outbound item) {
        if (item instanceof Envelope e) {
            return e.binary() ? new Frame(OpCode.BINARY, true, ByteBuffer.wrap(WsFrames.binaryMessage(e)))
                    : new Frame(OpCode.TEXT, true, ByteBuffer.wrap(WsFrames.messageUtf8(e)));
        }
        return new Frame(OpCode.TEXT, true, WsFrames.encode(item));
    }

    /**
     * Sends a batch in order, each frame once the previous one was taken: frames before the last are batched (Jetty
     * gathers them in the session's output buffer and completes them at once), the last one flushes. A trampoline,
     * as in the Jakarta transport: a completion that arrives inline only bumps the counter, so the stack never grows
     * with the batch. Non-blocking, so Jetty may complete it on its selector thread.
     */
    private final class Sends implements Callback {
        private final List<Outbound> batch;
        private final WriteCallback callback;
        private final AtomicInteger signals = new AtomicInteger();
        private int next;

        Sends(List<Outbound> batch, WriteCallback callback) {
            this.batch = batch;
            this.callback = callback;
        }

        @Override
        public void succeeded() {
            signal();
        }

        @Override
        public void failed(Throwable cause) {
            callback.failed(cause);
        }

        @Override
        public InvocationType getInvocationType() {
            return InvocationType.NON_BLOCKING;
        }

        void signal() {
            if (signals.getAndIncrement() != 0) {
                return;
            }
            int missed = 1;
            for (;;) {
                if (next < batch.size()) {
                    Outbound item = batch.get(next++);
                    session.sendFrame(frame(item), this, next < batch.size());
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

    /** Jetty reported an error: it closes the session with the code the error calls for, so {@link #close} must not. */
    void failed() {
        failed = true;
    }

    @Override
    public void close(Disconnect reason) {
        if (!failed && !session.isClosed()) {
            session.close(reason.code(), reason.reason(), Callback.NOOP);
        }
    }

    @Override
    public String name() {
        return "ws";
    }
}
