package dev.herald.transport.ws;

import dev.herald.security.Authenticator;
import dev.herald.security.Caller;
import dev.herald.security.Limits;
import dev.herald.core.Bus;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.MessageHandler;
import jakarta.websocket.Session;
import java.nio.ByteBuffer;

/**
 * {@code {ctx}/ws} on the Jakarta WebSocket API (every container): JSON text frames, one object per frame
 * (docs/protocol.md, "WebSocket"), and binary frames that publish binary messages ("Binary messages"). A thin
 * adapter: the session's message parts, open, error and close go to a {@link WebSocketConnection}, which does the
 * rest, the same as the standalone runner's Jetty core adapter ({@code dev.herald.transport.ws.jetty}); frames go out
 * through a {@link WebSocketTransport}.
 *
 * <p>The idle timeout ({@code herald.ws.idle-timeout}) is enforced by Herald ({@code Subscriber#idleTimeout}), and
 * the container's own is switched off: Payara Micro 6's Tyrus closed fresh sessions with "idle timeout" seconds
 * after they opened whenever one was set.
 *
 * <p>A programmatic endpoint, not an annotated one: {@code dev.herald.web} adds it at {@code {ctx}/ws} ({@code {ctx}}
 * includes {@code herald.path}, docs/protocol.md), with {@link CdiEndpointConfigurator} creating one instance per
 * connection from the application's beans (no CDI injection per connection). The container calls {@link #onOpen}
 * once, then the text and binary handlers one part at a time (never concurrently for one session), then
 * {@link #onError} (perhaps) and {@link #onClose}.
 */
public class WebSocketEndpoint extends Endpoint {
    private final WebSocketConnection connection;
    private WebSocketTransport transport;

    /** One per connection, made by {@link CdiEndpointConfigurator#getEndpointInstance} with the application's beans. */
    WebSocketEndpoint(Bus bus, Authenticator authenticator, Limits limits) {
        this.connection = new WebSocketConnection(bus, authenticator, limits);
    }

    @Override
    public void onOpen(Session session, EndpointConfig config) {
        session.setMaxIdleTimeout(0); // Herald enforces herald.ws.idle-timeout itself (see the class comment)
        transport = new WebSocketTransport(session);
        // taken out, not read: on a container that shared the map between sessions, no other one could reuse it
        Handshake handshake = session.getUserProperties().remove(Handshake.KEY) instanceof Handshake h ? h
                : new Handshake(Caller.anonymous("ws", null), null, null);
        session.addMessageHandler(String.class, (MessageHandler.Partial<String>) connection::text);
        session.addMessageHandler(ByteBuffer.class, (MessageHandler.Partial<ByteBuffer>) connection::binary);
        connection.open(transport, handshake, session.getUserPrincipal());
    }

    @Override
    public void onClose(Session session, CloseReason reason) {
        connection.closed();
    }

    @Override
    public void onError(Session session, Throwable cause) {
        if (transport != null && !session.isOpen()) {
            transport.failed(); // nothing left to close
        }
        connection.failed(cause);
    }
}
