package dev.herald.bench;

import java.io.IOException;
import java.util.function.Supplier;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;

/**
 * A WebSocket subscriber (Jetty's client): subscribes in the target's {@link Target.Dialect}, then reads
 * {@code seq}/{@code t} out of each text frame. Speaks just enough Engine.IO v4 / Socket.IO v4 for the Socket.IO
 * peer: connect to the namespace, emit {@code subscribe} with an ack, answer pings.
 */
public final class WsConnection extends Connection implements Session.Listener.AutoDemanding {
    private static final String SUBSCRIBE = "{\"type\":\"subscribe\",\"channel\":\"" + Target.CHANNEL + "\"}";
    private final Target.Dialect dialect;
    private volatile Session session;

    WsConnection(Target.Dialect dialect, Supplier<Phase> phase, Runnable onError) {
        super(phase, onError);
        this.dialect = dialect;
    }

    /** The extensions the server accepted in the handshake (empty before it opened). */
    java.util.List<String> extensions() {
        Session s = session;
        return s == null ? java.util.List.of() : s.getUpgradeResponse().getExtensions().stream()
                .map(org.eclipse.jetty.websocket.api.ExtensionConfig::getName).toList();
    }

    @Override
    public void onWebSocketOpen(Session s) {
        session = s;
        if (dialect == Target.Dialect.JSON_WS) {
            s.sendText(SUBSCRIBE, Callback.NOOP);
        }
    }

    @Override
    public void onWebSocketText(String text) {
        if (dialect == Target.Dialect.SOCKET_IO) {
            socketIo(text);
        } else if (ready.isDone()) {
            message(text);
        } else if (text.contains("\"subscribed\"")) {
            subscribed();
        } else if (text.contains("\"type\":\"error\"")) {
            failed(new IOException("subscribe refused: " + text)); // e.g. unavailable: the engine did not answer
        }
    }

    private void socketIo(String text) {
        if (text.startsWith("42")) {
            message(text);
        } else if (text.equals("2")) {
            session.sendText("3", Callback.NOOP); // Engine.IO ping -> pong
        } else if (text.startsWith("0")) {
            session.sendText("40", Callback.NOOP); // Engine.IO open -> connect to namespace "/"
        } else if (text.startsWith("40")) {
            session.sendText("420[\"subscribe\",\"" + Target.CHANNEL + "\"]", Callback.NOOP);
        } else if (text.startsWith("430")) {
            subscribed();
        }
    }

    private void message(String text) {
        long seq = Payload.seq(text);
        if (seq >= 0) {
            payload(seq, Payload.sentAt(text));
        }
    }

    @Override
    public void onWebSocketClose(int code, String reason) {
        failed(new IOException("closed by the server: " + code + " " + reason));
    }

    @Override
    public void onWebSocketError(Throwable cause) {
        failed(cause);
    }

    @Override
    void close() {
        closing = true;
        Session s = session;
        if (s != null) {
            s.close(1000, "bench done", Callback.NOOP);
        }
    }
}
