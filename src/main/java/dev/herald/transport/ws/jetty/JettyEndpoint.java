package dev.herald.transport.ws.jetty;

import dev.herald.core.Bus;
import dev.herald.security.Authenticator;
import dev.herald.security.Limits;
import dev.herald.transport.ws.Handshake;
import dev.herald.transport.ws.WebSocketConnection;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.security.Principal;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.core.CloseStatus;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.Frame;
import org.eclipse.jetty.websocket.core.FrameHandler;
import org.eclipse.jetty.websocket.core.OpCode;
import org.eclipse.jetty.websocket.core.exception.BadPayloadException;

/**
 * One connection on Jetty's core WebSocket API: hands the frames of text and binary messages to a
 * {@link WebSocketConnection} part by part (a message's size is checked as its frames arrive, as on the Jakarta
 * endpoint), answers pings, and tells the connection when the session errs or closes. Jetty's core session does the
 * rest of RFC 6455 (frame sequence and close handshake); a text message that is not valid UTF-8 closes with 1007.
 *
 * <p><b>Threading.</b> Jetty calls {@link #onOpen} once, then {@link #onFrame} one frame at a time (the next only
 * after the previous callback completed and {@link CoreSession#demand()} was called), then {@link #onError}
 * (perhaps) and {@link #onClosed}, each on one of its threads. A frame's payload is read before its callback
 * completes: Jetty reuses the buffer afterwards.
 */
final class JettyEndpoint implements FrameHandler {
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);
    private final WebSocketConnection connection;
    private final Handshake handshake;
    private final Principal principal;
    private CoreSession session;
    private JettyTransport transport;
    /** The opcode of the message whose frames are arriving ({@link OpCode#TEXT} or {@link OpCode#BINARY}). */
    private byte message = OpCode.UNDEFINED;

    JettyEndpoint(Bus bus, Authenticator authenticator, Limits limits, Handshake handshake, Principal principal) {
        this.connection = new WebSocketConnection(bus, authenticator, limits);
        this.handshake = handshake;
        this.principal = principal;
    }

    @Override
    public void onOpen(CoreSession coreSession, Callback callback) {
        session = coreSession;
        transport = new JettyTransport(coreSession);
        callback.succeeded();
        try {
            connection.open(transport, handshake, principal);
        } catch (RuntimeException e) { // a fault of Herald's: this connection ends, the others carry on
            coreSession.close(dev.herald.core.Disconnect.ERROR.code(), dev.herald.core.Disconnect.ERROR.reason(),
                    Callback.NOOP);
            return;
        }
        coreSession.demand();
    }

    @Override
    public void onFrame(Frame frame, Callback callback) {
        byte opcode = frame.getOpCode();
        switch (opcode) {
            case OpCode.PING -> {
                session.sendFrame(new Frame(OpCode.PONG, true, payload(frame)), Callback.from(session::demand,
                        callback), false);
                return;
            }
            case OpCode.CLOSE -> {
                callback.succeeded(); // the session answers the close
                return;
            }
            case OpCode.PONG -> {
                // nothing to do: Herald's keep-alive is the client's own ping frame (docs/protocol.md)
            }
            default -> {
                if (opcode != OpCode.CONTINUATION) {
                    message = opcode;
                }
                try {
                    if (message == OpCode.TEXT) {
                        connection.textUtf8(payload(frame), frame.isFin());
                    } else {
                        connection.binary(payload(frame), frame.isFin());
                    }
                } catch (CharacterCodingException e) {
                    callback.failed(new BadPayloadException("text message is not valid UTF-8"));
                    return;
                }
                if (frame.isFin()) {
                    message = OpCode.UNDEFINED;
                }
            }
        }
        callback.succeeded();
        session.demand();
    }

    private static ByteBuffer payload(Frame frame) {
        return frame.hasPayload() ? frame.getPayload() : EMPTY.duplicate();
    }

    /** Jetty closes the session itself after an error, with the code the error calls for (1002, 1007, 1009…). */
    @Override
    public void onError(Throwable cause, Callback callback) {
        if (transport != null) {
            transport.failed();
        }
        connection.failed(cause);
        callback.succeeded();
    }

    @Override
    public void onClosed(CloseStatus closeStatus, Callback callback) {
        connection.closed();
        callback.succeeded();
    }
}
