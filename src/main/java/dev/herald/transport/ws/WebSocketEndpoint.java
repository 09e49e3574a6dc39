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
import dev.herald.security.Caller;
import jakarta.inject.Inject;
import jakarta.websocket.CloseReason;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.OnClose;
import jakarta.websocket.OnError;
import jakarta.websocket.OnMessage;
import jakarta.websocket.OnOpen;
import jakarta.websocket.Session;
import jakarta.websocket.server.ServerEndpoint;
import java.nio.ByteBuffer;

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
 */
@ServerEndpoint(value = "/ws", configurator = CdiEndpointConfigurator.class)
public class WebSocketEndpoint {
    private static final System.Logger LOG = System.getLogger(WebSocketEndpoint.class.getName());

    @Inject
    Bus bus;

    private Subscriber subscriber;
    private WebSocketTransport transport;
    /** The parts of a text message received so far, or null; the container calls one handler at a time. */
    private StringBuilder pending;
    private long pendingBytes;
    /** A message that was too large or binary is being skipped up to its last part. */
    private boolean skipping;

    @OnOpen
    public void open(Session session, EndpointConfig config) {
        session.setMaxIdleTimeout(0); // Herald enforces herald.ws.idle-timeout itself (see the class comment)
        transport = new WebSocketTransport(session);
        subscriber = bus.connect(new Caller(session.getUserPrincipal(), "ws", null), transport);
        subscriber.idleTimeout(bus.config().wsIdleTimeout());
    }

    /**
     * A part of a text message, as the container reads it (its default buffer, 8 KiB on Tomcat), assembled here up to
     * {@code herald.max-message-bytes}. Herald never raises the container's message buffer to that limit: Tomcat
     * allocates that buffer whole for every connection that sends a frame (2 MiB of heap each at 1 MiB), which ran a
     * 512 MB Tomcat out of heap at 200 connections.
     */
    @OnMessage
    public void text(String part, boolean last) {
        subscriber.active();
        if (skipping) {
            skipping = !last;
            return;
        }
        long size = pendingBytes + utf8Length(part);
        if (size > bus.config().maxMessageBytes()) {
            pending = null;
            pendingBytes = 0;
            skipping = !last;
            subscriber.close(Disconnect.TOO_LARGE);
            return;
        }
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
            case "subscribe" -> bus.subscribe(subscriber, required(f.channel()), f.since(), f.epoch(), f.ref());
            case "unsubscribe" -> {
                bus.unsubscribe(subscriber, required(f.channel()));
                reply(WsFrames.unsubscribed(f.channel(), f.ref()));
            }
            case "publish" -> {
                Envelope e = bus.publishJson(subscriber.caller(), required(f.channel()), f.event(), f.data());
                reply(WsFrames.ack(e, f.ref()));
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
    @OnMessage
    public void binary(ByteBuffer part, boolean last) {
        subscriber.active();
        if (last) {
            reply(WsFrames.error(ErrorCode.BAD_REQUEST, "binary frames are not supported; send JSON text", null));
        }
    }

    @OnClose
    public void close(Session session, CloseReason reason) {
        if (subscriber != null) {
            subscriber.close(Disconnect.NORMAL);
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
