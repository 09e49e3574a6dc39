package dev.herald.transport.ws;

import dev.herald.core.Bus;
import dev.herald.core.Disconnect;
import dev.herald.core.Envelope;
import dev.herald.core.ErrorCode;
import dev.herald.core.Frame;
import dev.herald.core.HeraldException;
import dev.herald.core.Published;
import dev.herald.core.Subscriber;
import dev.herald.protocol.ClientFrame;
import dev.herald.protocol.WsFrames;
import dev.herald.security.Authenticator;
import dev.herald.security.Caller;
import dev.herald.security.Credentials;
import dev.herald.security.Limits;
import dev.herald.security.TokenBucket;
import jakarta.inject.Inject;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.MessageHandler;
import jakarta.websocket.Session;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.concurrent.Future;

/**
 * {@code {ctx}/ws}: JSON text frames, one object per frame (docs/protocol.md, "WebSocket"). Decodes a frame, calls
 * the {@link Bus}, queues the reply on the connection's {@link Subscriber} so that replies and messages keep their
 * order. A bad frame gets an error frame and the connection goes on; a message over the size limit closes it with
 * 1009. Messages are received in parts and the size is checked here, as the parts arrive, the same on every
 * container ({@link #text}).
 *
 * <p>Frames are read by {@link ClientFrame#parse} (Herald's own strict JSON reader, the same on every container).
 * The idle timeout ({@code herald.ws.idle-timeout}) is enforced by Herald ({@link Subscriber#idleTimeout}), and the
 * container's own is switched off: Payara Micro 6's Tyrus closed fresh sessions with "idle timeout" seconds after
 * they opened whenever one was set.
 *
 * <p>A programmatic endpoint, not an annotated one: {@code dev.herald.web} adds it at {@code {ctx}/ws} ({@code {ctx}}
 * includes {@code herald.path}, docs/protocol.md), with {@link CdiEndpointConfigurator} creating one instance per
 * connection. The container calls {@link #onOpen} once, then the text and binary handlers one part at a time
 * (never concurrently for one session), then {@link #onError} (perhaps) and {@link #onClose}.
 */
public class WebSocketEndpoint extends Endpoint {
    private static final System.Logger LOG = System.getLogger(WebSocketEndpoint.class.getName());
    /** How far past {@code herald.max-message-bytes} a message too large is read (and dropped) before cutting off. */
    static final int SKIP_LIMIT_FACTOR = 16;

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
    /** The parts of a text message received so far, or null; the container calls one handler at a time. */
    private StringBuilder pending;
    private long pendingBytes;
    /** Bytes of a message too large that were read and dropped so far; -1 while no such message is being read. */
    private long skipped = -1;

    @Override
    public void onOpen(Session session, EndpointConfig config) {
        session.setMaxIdleTimeout(0); // Herald enforces herald.ws.idle-timeout itself (see the class comment)
        transport = new WebSocketTransport(session);
        principal = session.getUserPrincipal();
        // taken out, not read: on a container that shared the map between sessions, no other one could reuse it
        handshake = session.getUserProperties().remove(Handshake.KEY) instanceof Handshake h ? h
                : new Handshake(Caller.anonymous("ws", null), null, null);
        subscriber = bus.connect(handshake.caller(), transport);
        subscriber.idleTimeout(bus.config().wsIdleTimeout());
        session.addMessageHandler(String.class, (MessageHandler.Partial<String>) this::text);
        session.addMessageHandler(ByteBuffer.class, (MessageHandler.Partial<ByteBuffer>) this::binary);
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
        if (f.token() == null || f.token().isEmpty()) {
            throw new HeraldException(ErrorCode.BAD_REQUEST, "auth frame has no token");
        }
        Caller current = subscriber.caller();
        Caller next = authenticator.authenticate(new Credentials(f.token(), principal, null, "ws",
                handshake.address()));
        if (!current.anonymous() && !current.subject().equals(next.subject())) {
            throw new HeraldException(ErrorCode.FORBIDDEN, "a connection keeps its subject; connect again to change it");
        }
        java.util.List<String> dropped = bus.reauthenticate(subscriber, next);
        watch(next);
        reply(WsFrames.authenticated(next.subject(), next.expires(), f.ref()));
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

    /**
     * A part of a text message, as the container reads it (its default buffer, 8 KiB on Tomcat), assembled here up to
     * {@code herald.max-message-bytes}. Herald never raises the container's message buffer to that limit: Tomcat
     * allocates that buffer whole for every connection that sends a frame (2 MiB of heap each at 1 MiB), which ran a
     * 512 MB Tomcat out of heap at 200 connections.
     *
     * <p>A message over the limit is dropped as it arrives and the connection is closed with 1009 when its last part
     * has been read, so the client is not cut off mid-write (then its TCP stack may discard the close frame unread,
     * and it sees 1006); a message still going on past {@value #SKIP_LIMIT_FACTOR} times the limit is cut off at once.
     */
    void text(String part, boolean last) {
        subscriber.active();
        long max = bus.config().maxMessageBytes();
        if (skipped < 0 && pendingBytes + utf8Length(part) > max) {
            skipped = pendingBytes;
            pending = null;
            pendingBytes = 0;
        }
        if (skipped >= 0) {
            skipped += utf8Length(part);
            if (last || skipped > SKIP_LIMIT_FACTOR * max) {
                subscriber.close(Disconnect.TOO_LARGE);
            }
            return;
        }
        long size = pendingBytes + utf8Length(part);
        if (last && pending == null) {
            frame(part);
        } else if (last) {
            String text = pending.append(part).toString();
            pending = null;
            pendingBytes = 0;
            frame(text);
        } else {
            pending = pending == null ? new StringBuilder(part) : pending.append(part);
            pendingBytes = size;
        }
    }

    private void frame(String text) {
        String ref = null;
        try {
            ClientFrame frame = ClientFrame.parse(text);
            ref = frame.ref();
            handle(frame);
        } catch (ClientFrame.Refused e) {
            reply(WsFrames.error(e.code(), e.getMessage(), e.ref()));
        } catch (HeraldException e) {
            reply(WsFrames.error(e.code(), e.getMessage(), ref));
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "frame failed", e);
            reply(WsFrames.error(ErrorCode.INTERNAL, "internal error", ref));
        }
    }

    private void handle(ClientFrame f) {
        switch (f.type()) {
            case "auth" -> authenticate(f);
            case "subscribe" -> bus.subscribe(subscriber, required(f.channel()), f.since(), f.epoch(), f.ref());
            case "unsubscribe" -> {
                bus.unsubscribe(subscriber, required(f.channel()));
                reply(WsFrames.unsubscribed(f.channel(), f.ref()));
            }
            case "publish" -> {
                if (!publishes.tryTake()) {
                    throw new HeraldException(ErrorCode.RATE_LIMITED, "more than "
                            + authenticator.settings().publishRate() + " publishes per second on this connection");
                }
                Published p = bus.publishOnce(subscriber.caller(), required(f.channel()), f.event(), f.data(),
                        f.idempotencyKey());
                reply(WsFrames.ack(p.envelope(), f.ref(), p.replayed()));
            }
            case "ping" -> reply(WsFrames.pong(f.ref()));
            default -> throw new HeraldException(ErrorCode.UNKNOWN_TYPE, "unknown frame type: " + f.type());
        }
    }

    private static String required(String channel) {
        if (channel == null) {
            throw new HeraldException(ErrorCode.BAD_REQUEST, "frame has no channel");
        }
        return channel;
    }

    /** Binary messages are refused with an error frame once, at their last part; the connection goes on. */
    void binary(ByteBuffer part, boolean last) {
        subscriber.active();
        if (last) {
            reply(WsFrames.error(ErrorCode.BAD_REQUEST, "binary frames are not supported; send JSON text", null));
        }
    }

    @Override
    public void onClose(Session session, CloseReason reason) {
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

    @Override
    public void onError(Session session, Throwable cause) {
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
