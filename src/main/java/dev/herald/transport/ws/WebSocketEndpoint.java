package dev.herald.transport.ws;

import dev.herald.core.Bus;
import dev.herald.core.Disconnect;
import dev.herald.core.Envelope;
import dev.herald.core.ErrorCode;
import dev.herald.core.Frame;
import dev.herald.core.HeraldException;
import dev.herald.core.Subscriber;
import dev.herald.protocol.ClientFrame;
import dev.herald.protocol.WsFrames;
import dev.herald.security.Authenticator;
import dev.herald.security.Caller;
import dev.herald.security.Credentials;
import dev.herald.security.Limits;
import dev.herald.security.TokenBucket;
import jakarta.inject.Inject;
import jakarta.json.bind.JsonbException;
import jakarta.websocket.CloseReason;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.OnClose;
import jakarta.websocket.OnError;
import jakarta.websocket.OnMessage;
import jakarta.websocket.OnOpen;
import jakarta.websocket.Session;
import jakarta.websocket.server.ServerEndpoint;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.concurrent.Future;

/**
 * {@code {ctx}/ws}: JSON text frames, one object per frame (docs/protocol.md, "WebSocket"). Decodes a frame, calls
 * the {@link Bus}, queues the reply on the connection's {@link Subscriber} so that replies and messages keep their
 * order. A bad frame gets an error frame and the connection goes on; a frame over the size limit closes it with 1009.
 * Containers differ there (Jetty and Tomcat enforce the buffer size set here and close; Undertow and Tyrus may hand
 * the whole message over), so the endpoint checks the size itself too.
 */
@ServerEndpoint(value = "/ws", configurator = CdiEndpointConfigurator.class)
public class WebSocketEndpoint {
    private static final System.Logger LOG = System.getLogger(WebSocketEndpoint.class.getName());

    @Inject
    Bus bus;
    @Inject
    Authenticator authenticator;
    @Inject
    Limits limits;

    private Subscriber subscriber;
    private WebSocketTransport transport;
    /** The handshake's address and container user, kept for {@code auth} frames. */
    private Handshake handshake;
    private java.security.Principal principal;
    private TokenBucket publishes;
    private Limits.Permit permit;
    /** The pending expiry or grace timer of the current caller (docs/security.md, "Token lifetime"). */
    private Future<?> timer;

    @OnOpen
    public void open(Session session, EndpointConfig config) {
        int max = bus.config().maxMessageBytes();
        session.setMaxTextMessageBufferSize(max);
        session.setMaxBinaryMessageBufferSize(max);
        session.setMaxIdleTimeout(bus.config().wsIdleTimeout().toMillis());
        transport = new WebSocketTransport(session);
        principal = session.getUserPrincipal();
        // taken out, not read: on a container that shared the map between sessions, no other one could reuse it
        handshake = session.getUserProperties().remove(Handshake.KEY) instanceof Handshake h ? h
                : new Handshake(Caller.anonymous("ws", null), null, null);
        subscriber = bus.connect(handshake.caller(), transport);
        publishes = limits.publishBucket();
        if (handshake.refusal() != null && handshake.refusal().code() == ErrorCode.FORBIDDEN) {
            subscriber.close(Disconnect.POLICY); // origin refused where checkOrigin could not tell
            return;
        }
        try {
            permit = limits.connection(handshake.address());
        } catch (HeraldException e) {
            subscriber.close(Disconnect.RATE_LIMITED); // the close code says it: a frame would be dropped by the close
            return;
        }
        if (handshake.refusal() != null) {
            reply(WsFrames.error(ErrorCode.UNAUTHORIZED, handshake.refusal().getMessage(), null));
            graceThenClose(handshake.caller());
        } else {
            watch(handshake.caller());
        }
    }

    /**
     * {@code {"type":"auth","token":…}}: the connection acts as the token's subject from now on, and what the new
     * capability does not allow is unsubscribed. A token that does not verify leaves the connection as it was.
     */
    private void authenticate(ClientFrame f) {
        if (f.token == null || f.token.isEmpty()) {
            throw new HeraldException(ErrorCode.BAD_REQUEST, "auth frame has no token");
        }
        Caller current = subscriber.caller();
        Caller next = authenticator.authenticate(new Credentials(f.token, principal, null, "ws",
                handshake.address()));
        if (!current.anonymous() && !current.subject().equals(next.subject())) {
            throw new HeraldException(ErrorCode.FORBIDDEN, "a connection keeps its subject; connect again to change it");
        }
        java.util.List<String> dropped = bus.reauthenticate(subscriber, next);
        watch(next);
        reply(WsFrames.authenticated(next.subject(), next.expires(), f.ref));
        for (String channel : dropped) {
            reply(WsFrames.unsubscribedBecause(channel, ErrorCode.FORBIDDEN));
        }
    }

    /** Arms the expiry of {@code caller}'s token, replacing any timer of an earlier caller. */
    private synchronized void watch(Caller caller) {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        if (caller.expires() != null) {
            timer = authenticator.at(caller.expires(), () -> expired(caller));
        }
    }

    /** The token expired: say so, then close with 4001 unless a fresh {@code auth} frame came meanwhile. */
    private void expired(Caller caller) {
        if (subscriber.caller() != caller || subscriber.isClosed()) {
            return;
        }
        reply(WsFrames.error(ErrorCode.UNAUTHORIZED, "token expired; send a fresh auth frame", null));
        graceThenClose(caller);
    }

    private synchronized void graceThenClose(Caller caller) {
        timer = authenticator.at(Instant.now().plus(authenticator.settings().authGrace()), () -> {
            if (subscriber.caller() == caller) {
                subscriber.close(Disconnect.UNAUTHORIZED);
            }
        });
    }

    @OnMessage
    public void text(String text) {
        if (utf8Length(text) > bus.config().maxMessageBytes()) {
            subscriber.close(Disconnect.TOO_LARGE);
            return;
        }
        ClientFrame frame;
        try {
            wellFormed(text);
            frame = bus.jsonb().fromJson(text, ClientFrame.class);
        } catch (JsonbException | IllegalArgumentException | ClassCastException e) {
            reply(WsFrames.error(ErrorCode.BAD_REQUEST, "malformed frame: expected one JSON object", null));
            return;
        }
        if (frame == null) {
            reply(WsFrames.error(ErrorCode.BAD_REQUEST, "malformed frame: expected one JSON object", null));
            return;
        }
        try {
            handle(frame);
        } catch (HeraldException e) {
            reply(WsFrames.error(e.code(), e.getMessage(), frame.ref));
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "frame failed: " + frame.type, e);
            reply(WsFrames.error(ErrorCode.INTERNAL, "internal error", frame.ref));
        }
    }

    private void handle(ClientFrame f) {
        if (f.type == null) {
            throw new HeraldException(ErrorCode.BAD_REQUEST, "frame has no type");
        }
        switch (f.type) {
            case "auth" -> authenticate(f);
            case "subscribe" -> bus.subscribe(subscriber, required(f.channel), f.since, f.epoch, f.ref);
            case "unsubscribe" -> {
                bus.unsubscribe(subscriber, required(f.channel));
                reply(WsFrames.unsubscribed(f.channel, f.ref));
            }
            case "publish" -> {
                if (!publishes.tryTake()) {
                    throw new HeraldException(ErrorCode.RATE_LIMITED, "more than "
                            + authenticator.settings().publishRate() + " publishes per second on this connection");
                }
                String data = f.data == null ? "null" : f.data.toString();
                Envelope e = bus.publishJson(subscriber.caller(), required(f.channel), f.event, data);
                reply(WsFrames.ack(e, f.ref));
            }
            case "ping" -> reply(WsFrames.pong(f.ref));
            default -> throw new HeraldException(ErrorCode.UNKNOWN_TYPE, "unknown frame type: " + f.type);
        }
    }

    private static String required(String channel) {
        if (channel == null) {
            throw new HeraldException(ErrorCode.BAD_REQUEST, "frame has no channel");
        }
        return channel;
    }

    @OnMessage
    public void binary(ByteBuffer bytes) {
        reply(WsFrames.error(ErrorCode.BAD_REQUEST, "binary frames are not supported; send JSON text", null));
    }

    @OnClose
    public void close(Session session, CloseReason reason) {
        if (subscriber != null) {
            subscriber.close(Disconnect.NORMAL);
        }
        release();
    }

    private synchronized void release() {
        if (permit != null) {
            permit.close();
        }
        if (timer != null) {
            timer.cancel(false);
        }
    }

    @OnError
    public void error(Session session, Throwable cause) {
        LOG.log(System.Logger.Level.DEBUG, () -> "websocket error: " + cause);
        if (subscriber != null) {
            if (!session.isOpen()) {
                transport.failed(); // nothing left to close
            }
            subscriber.close(tooLarge(cause) ? Disconnect.TOO_LARGE : Disconnect.ERROR);
        }
        release();
    }

    /** Jetty's MessageTooLargeException, Tyrus' MessageTooBigException, and the like. */
    private static boolean tooLarge(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            String name = t.getClass().getSimpleName();
            if (name.contains("TooLarge") || name.contains("TooBig")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Reads the frame through once with the streaming parser, which refuses malformed JSON. Stopgap until the frame
     * parsing is rewritten: JSON-B skips unknown members with Parsson's skipObject, which never returns on some
     * malformed input inside such a member (found by FuzzIT), pinning a container thread per frame.
     */
    private static void wellFormed(String text) {
        try (jakarta.json.stream.JsonParser parser = jakarta.json.Json.createParser(new java.io.StringReader(text))) {
            while (parser.hasNext()) {
                parser.next();
            }
        } catch (jakarta.json.JsonException | java.util.NoSuchElementException e) {
            throw new IllegalArgumentException("malformed JSON", e);
        }
    }

    /** The UTF-8 size of {@code s}, without encoding it. */
    static long utf8Length(String s) {
        long n = s.length();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                n += c >= 0x800 && !Character.isSurrogate(c) ? 2 : 1;
            }
        }
        return n;
    }

    private void reply(String text) {
        subscriber.send(new Frame(text));
    }
}
