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
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.Session;
import java.nio.ByteBuffer;

/**
 * {@code {ctx}/ws}: JSON text frames, one object per frame (docs/protocol.md, "WebSocket"). Decodes a frame, calls
 * the {@link Bus}, queues the reply on the connection's {@link Subscriber} so that replies and messages keep their
 * order. A bad frame gets an error frame and the connection goes on; a frame over the size limit closes it with 1009.
 * Containers differ there (Jetty and Tomcat enforce the buffer size set here and close; Undertow and Tyrus may hand
 * the whole message over), so the endpoint checks the size itself too.
 *
 * <p>Frames are read by {@link ClientFrame#parse} (Herald's own strict JSON reader, the same on every container).
 * The idle timeout ({@code herald.ws.idle-timeout}) is enforced by Herald ({@link Subscriber#idleTimeout}), and the
 * container's own is switched off: Payara Micro 6's Tyrus closed fresh sessions with "idle timeout" seconds after
 * they opened whenever one was set.
 *
 * <p>A programmatic endpoint, not an annotated one: {@code dev.herald.web} adds it at {@code {ctx}/ws} ({@code {ctx}}
 * includes {@code herald.path}, docs/protocol.md), with {@link CdiEndpointConfigurator} creating one instance per
 * connection. The container calls {@link #onOpen} once, then the text and binary handlers one message at a time
 * (never concurrently for one session), then {@link #onError} (perhaps) and {@link #onClose}.
 */
public class WebSocketEndpoint extends Endpoint {
    private static final System.Logger LOG = System.getLogger(WebSocketEndpoint.class.getName());

    @Inject
    Bus bus;

    private Subscriber subscriber;
    private WebSocketTransport transport;

    @Override
    public void onOpen(Session session, EndpointConfig config) {
        int max = bus.config().maxMessageBytes();
        session.setMaxTextMessageBufferSize(max);
        session.setMaxBinaryMessageBufferSize(max);
        session.setMaxIdleTimeout(0); // Herald enforces herald.ws.idle-timeout itself (see the class comment)
        transport = new WebSocketTransport(session);
        subscriber = bus.connect(new Caller(session.getUserPrincipal(), "ws", null), transport);
        subscriber.idleTimeout(bus.config().wsIdleTimeout());
        session.addMessageHandler(String.class, this::text);
        session.addMessageHandler(ByteBuffer.class, this::binary);
    }

    /** One whole text frame (the container assembles fragments). */
    void text(String text) {
        subscriber.active();
        if (utf8Length(text) > bus.config().maxMessageBytes()) {
            subscriber.close(Disconnect.TOO_LARGE);
            return;
        }
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

    /** One whole binary frame: refused with an error frame. */
    void binary(ByteBuffer bytes) {
        subscriber.active();
        reply(WsFrames.error(ErrorCode.BAD_REQUEST, "binary frames are not supported; send JSON text", null));
    }

    @Override
    public void onClose(Session session, CloseReason reason) {
        if (subscriber != null) {
            subscriber.close(Disconnect.NORMAL);
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
