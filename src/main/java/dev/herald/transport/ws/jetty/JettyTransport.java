package dev.herald.transport.ws.jetty;

import dev.herald.core.Disconnect;
import dev.herald.core.Envelope;
import dev.herald.core.Outbound;
import dev.herald.core.Transport;
import dev.herald.protocol.WsFrames;
import java.nio.ByteBuffer;
import java.util.List;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.Frame;
import org.eclipse.jetty.websocket.core.OpCode;

/**
 * Writes a subscriber's items to a Jetty core WebSocket session. A message frame is the per-publish UTF-8 encoding
 * shared by every subscriber ({@link WsFrames#messageUtf8}, {@link WsFrames#binaryMessage}), wrapped in a new
 * {@code ByteBuffer} per send and never copied or re-encoded; the frames of a batch are queued at once and
 * gathered in the session's output buffer, and the last one flushes them, so a batch costs one socket write (one
 * per output buffer). The write completes when the last frame has been written.
 */
final class JettyTransport implements Transport {
    private final CoreSession session;
    private volatile boolean failed;

    JettyTransport(CoreSession session) {
        this.session = session;
    }

    @Override
    public void write(List<Outbound> batch, WriteCallback callback) {
        int last = batch.size() - 1;
        if (last < 0) {
            callback.succeeded();
            return;
        }
        for (int i = 0; i < last; i++) {
            session.sendFrame(frame(batch.get(i)), Callback.NOOP, true);
        }
        // the frames before it fail with it when the session fails: one callback tells the outcome of the batch
        session.sendFrame(frame(batch.get(last)), Callback.from(callback::succeeded, callback::failed), false);
    }

    private static Frame frame(Outbound item) {
        if (item instanceof Envelope e) {
            return e.binary() ? new Frame(OpCode.BINARY, true, ByteBuffer.wrap(WsFrames.binaryMessage(e)))
                    : new Frame(OpCode.TEXT, true, ByteBuffer.wrap(WsFrames.messageUtf8(e)));
        }
        return new Frame(OpCode.TEXT, true, WsFrames.encode(item));
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
