package dev.herald.runner;

import jakarta.websocket.Session;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.eclipse.jetty.ee10.websocket.jakarta.common.JakartaWebSocketSession;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's non-blocking flush of a WebSocket session's batched frames, handed to the web application as
 * {@link dev.herald.transport.ws.WebSocketBatching#FLUSH_ATTRIBUTE}: {@code CoreSession.flush(Callback)}, the
 * asynchronous form of {@code RemoteEndpoint#flushBatch()}. Completes with null once written, or the failure.
 */
enum JettyFlush implements BiConsumer<Session, Consumer<Throwable>> {
    INSTANCE;

    @Override
    public void accept(Session session, Consumer<Throwable> done) {
        if (session instanceof JakartaWebSocketSession jetty) {
            jetty.getCoreSession().flush(Callback.from(() -> done.accept(null), done::accept));
        } else {
            done.accept(new IllegalStateException("not a Jetty WebSocket session: " + session.getClass()));
        }
    }
}
