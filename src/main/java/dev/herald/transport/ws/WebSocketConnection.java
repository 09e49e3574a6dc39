package dev.herald.transport.ws;

import dev.herald.core.PresenceOptions;
import dev.herald.core.Bus;
import dev.herald.core.Disconnect;
import dev.herald.core.ErrorCode;
import dev.herald.core.Frame;
import dev.herald.core.HeraldException;
import dev.herald.core.Published;
import dev.herald.core.Subscriber;
import dev.herald.core.Transport;
import dev.herald.protocol.ClientFrame;
import dev.herald.protocol.WsFrames;
import dev.herald.security.Authenticator;
import dev.herald.security.Caller;
import dev.herald.security.Credentials;
import dev.herald.security.Limits;
import dev.herald.security.TokenBucket;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.Principal;
import java.time.Instant;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One WebSocket connection as Herald handles it, whatever WebSocket API carries it: the Jakarta endpoint
 * ({@link WebSocketEndpoint}, on every container) or Jetty's core API ({@code dev.herald.transport.ws.jetty}, on the
 * standalone runner). Both hand it the same handshake, the same message parts and the same close, so the two behave
 * the same by construction (docs/protocol.md, "WebSocket"; the integration scenarios run on both).
 *
 * <p>Decodes a frame, calls the {@link Bus}, queues the reply on the connection's {@link Subscriber} so that
 * replies and messages keep their order. A bad frame gets an error frame and the connection goes on; a message over
 * the size limit closes it with 1009. Messages arrive in parts and the size is checked here, as the parts arrive
 * ({@link #text}).
 *
 * <p><b>Threading.</b> The adapter calls {@link #open} once, then the part methods one at a time (never
 * concurrently), then {@link #failed} (perhaps) and {@link #closed}; token timers run on the authenticator's
 * scheduler.
 */
public final class WebSocketConnection {
    private static final System.Logger LOG = System.getLogger(WebSocketConnection.class.getName());
    /** How far past {@code herald.max-message-bytes} a message too large is read (and dropped) before cutting off. */
    static final int SKIP_LIMIT_FACTOR = 16;
    /** Most bytes of a binary frame's JSON header, its line feed excluded (docs/protocol.md, "Binary messages"). */
    static final int BINARY_HEADER_MAX = 4096;

    private final Bus bus;
    private final Authenticator authenticator;
    private final Limits limits;

    /** One per connection, with the application's beans. */
    public WebSocketConnection(Bus bus, Authenticator authenticator, Limits limits) {
        this.bus = bus;
        this.authenticator = authenticator;
        this.limits = limits;
    }

    private Subscriber subscriber;
    /** The handshake's address and container user, kept for {@code auth} frames. */
    private Handshake handshake;
    private Principal principal;
    private TokenBucket publishes;
    private Limits.Permit permit;
    /** The pending expiry or grace timer of the current caller (docs/security.md, "Token lifetime"). */
    private Future<?> timer;
    /** The parts of a text message received so far, or null; the container calls one handler at a time. */
    private StringBuilder pending;
    private long pendingBytes;
    /** The parts of a binary message received so far, or null. */
    private java.io.ByteArrayOutputStream pendingBinary;
    /** Bytes of a message too large that were read and dropped so far; -1 while no such message is being read. */
    private long skipped = -1;

    /**
     * The connection is open: registers its {@link Subscriber} on {@code transport}, then applies the handshake's
     * outcome (an origin refused late closes with 1008, too many connections from the address with 4029, refused
     * credentials get an error frame and {@code herald.auth.grace} to send an {@code auth} frame).
     *
     * @param transport writes this connection's frames
     * @param handshake what the handshake established ({@link Handshake#of})
     * @param principal the container's user of the handshake, or null
     */
    public void open(Transport transport, Handshake handshake, Principal principal) {
        this.principal = principal;
        this.handshake = handshake;
        subscriber = bus.connect(handshake.caller(), transport);
        subscriber.idleTimeout(bus.config().wsIdleTimeout());
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
     * 512 MB Tomcat out of heap at 200 connections. For APIs that hand over text as received bytes, see
     * {@link #textUtf8}.
     *
     * <p>A message over the limit is dropped as it arrives and the connection is closed with 1009 when its last part
     * has been read, so the client is not cut off mid-write (then its TCP stack may discard the close frame unread,
     * and it sees 1006); a message still going on past {@value #SKIP_LIMIT_FACTOR} times the limit is cut off at once.
     */
    public void text(String part, boolean last) {
        subscriber.active();
        if (skipping(utf8Length(part), bus.config().maxMessageBytes(), last)) {
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

    /**
     * A part of a text message as its UTF-8 bytes (an API that hands over frames, not decoded text), assembled and
     * limited as {@link #text} does and decoded when the message is whole. Read before this returns: the caller may
     * reuse the buffer afterwards.
     *
     * @throws CharacterCodingException when the whole message is not valid UTF-8: the caller closes the connection
     *                                  with 1007 (RFC 6455, section 8.1)
     */
    public void textUtf8(ByteBuffer part, boolean last) throws CharacterCodingException {
        subscriber.active();
        int size = part.remaining();
        if (skipping(size, bus.config().maxMessageBytes(), last)) {
            return;
        }
        if (last && pendingBinary == null) {
            frame(StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(part).toString());
            return;
        }
        append(part);
        if (last) {
            ByteBuffer whole = ByteBuffer.wrap(pendingBinary.toByteArray());
            pendingBinary = null;
            pendingBytes = 0;
            frame(StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(whole).toString());
        }
    }

    /** Appends {@code part} to the message being assembled. */
    private void append(ByteBuffer part) {
        int size = part.remaining();
        if (pendingBinary == null) {
            pendingBinary = new java.io.ByteArrayOutputStream(Math.max(size * 2, 256));
        }
        if (part.hasArray()) {
            pendingBinary.write(part.array(), part.arrayOffset() + part.position(), size);
            part.position(part.limit());
        } else {
            byte[] chunk = new byte[size];
            part.get(chunk);
            pendingBinary.writeBytes(chunk);
        }
        pendingBytes += size;
    }

    /**
     * Counts a part of a message against {@code max} bytes: true while the message is over it, being dropped (see
     * {@link #text}); the connection is closed with 1009 at its last part.
     */
    private boolean skipping(long partBytes, long max, boolean last) {
        if (skipped < 0 && pendingBytes + partBytes > max) {
            skipped = pendingBytes;
            pending = null;
            pendingBinary = null;
            pendingBytes = 0;
        }
        if (skipped >= 0) {
            skipped += partBytes;
            if (last || skipped > SKIP_LIMIT_FACTOR * max) {
                subscriber.close(Disconnect.TOO_LARGE);
            }
            return true;
        }
        return false;
    }

    private void frame(String text) {
        answer(() -> ClientFrame.parse(text), this::handle);
    }

    /**
     * Reads a frame and handles it; a refusal or failure becomes an error frame (with the frame's {@code ref} when it
     * had one), and the connection goes on.
     */
    private void answer(Supplier<ClientFrame> read, Consumer<ClientFrame> handle) {
        String ref = null;
        try {
            ClientFrame frame = read.get();
            ref = frame.ref();
            handle.accept(frame);
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
            case "subscribe" -> bus.subscribe(subscriber, required(f.channel()), f.since(), f.epoch(), f.ref(),
                    new PresenceOptions(f.presence(), true, f.user(), f.info()));
            case "presence" -> reply(WsFrames.presenceList(f.channel(),
                    bus.presence(subscriber.caller(), required(f.channel())), f.ref()));
            case "unsubscribe" -> {
                bus.unsubscribe(subscriber, required(f.channel()));
                reply(WsFrames.unsubscribed(f.channel(), f.ref()));
            }
            case "publish" -> {
                takePublish();
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

    private void takePublish() {
        if (!publishes.tryTake()) {
            throw new HeraldException(ErrorCode.RATE_LIMITED, "more than "
                    + authenticator.settings().publishRate() + " publishes per second on this connection");
        }
    }

    /**
     * A part of a binary message: a binary publish (docs/protocol.md, "Binary messages"), assembled as {@link #text}
     * assembles text, up to {@code herald.max-message-bytes} plus {@value #BINARY_HEADER_MAX} bytes of header.
     */
    public void binary(ByteBuffer part, boolean last) {
        subscriber.active();
        int size = part.remaining();
        if (skipping(size, bus.config().maxMessageBytes() + (long) BINARY_HEADER_MAX, last)) {
            return;
        }
        if (last && pendingBinary == null) {
            byte[] frame = new byte[size];
            part.get(frame);
            binaryFrame(frame);
            return;
        }
        append(part);
        if (last) {
            byte[] frame = pendingBinary.toByteArray();
            pendingBinary = null;
            pendingBytes = 0;
            binaryFrame(frame);
        }
    }

    /**
     * A whole binary message: its JSON header (a {@code publish} frame without {@code data}), one LF byte, then the
     * bytes to publish. Answered with an {@code ack} as a text publish is, or an error frame.
     */
    private void binaryFrame(byte[] frame) {
        int end = -1;
        for (int i = 0; i < Math.min(frame.length, BINARY_HEADER_MAX); i++) {
            if (frame[i] == WsFrames.HEADER_END) {
                end = i;
                break;
            }
        }
        int headerEnd = end;
        answer(() -> {
            if (headerEnd < 0) {
                throw new HeraldException(ErrorCode.BAD_REQUEST, "a binary frame starts with a JSON header of at most "
                        + BINARY_HEADER_MAX + " bytes and a line feed (docs/protocol.md, \"Binary messages\")");
            }
            return ClientFrame.parse(dev.herald.core.StrictJson.utf8(java.util.Arrays.copyOf(frame, headerEnd)));
        }, f -> {
            if (!"publish".equals(f.type())) {
                throw new HeraldException(ErrorCode.BAD_REQUEST, "a binary frame publishes: its header's type must be"
                        + " \"publish\", not \"" + f.type() + "\"");
            }
            if (!"null".equals(f.data())) {
                throw new HeraldException(ErrorCode.BAD_REQUEST,
                        "a binary frame's data is the bytes after its header, not a header member");
            }
            takePublish();
            Published p = bus.publishBinary(subscriber.caller(), required(f.channel()), f.event(),
                    java.util.Arrays.copyOfRange(frame, headerEnd + 1, frame.length), f.idempotencyKey());
            reply(WsFrames.ack(p.envelope(), f.ref(), p.replayed()));
        });
    }

    /** The connection closed, whoever closed it: ends the subscriber, releases the address's permit and timers. */
    public void closed() {
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

    /**
     * The WebSocket API reported an error on this connection: closes it with 1009 for a message too large, else
     * 1011. An adapter whose session is already closed tells its transport first, so that no close is attempted.
     */
    public void failed(Throwable cause) {
        LOG.log(System.Logger.Level.DEBUG, () -> "websocket error: " + cause);
        if (subscriber != null) {
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
