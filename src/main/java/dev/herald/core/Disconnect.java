package dev.herald.core;

/**
 * Why the server ends a connection. {@code code} is the WebSocket close code used for it (SSE streams simply end;
 * a client reconnects and resumes).
 *
 * @param code   a WebSocket close code
 * @param reason a short human reason (at most 123 bytes, the WebSocket limit)
 */
public record Disconnect(int code, String reason) {
    /** The client went away or asked to close. */
    public static final Disconnect NORMAL = new Disconnect(1000, "closed");
    /** The application is stopping or being undeployed. */
    public static final Disconnect SHUTDOWN = new Disconnect(1001, "server shutting down");
    /**
     * This node is draining (a rolling restart, an undeploy, {@code POST {ctx}/admin/drain}): reconnect at once,
     * without backoff, and resume; another node will take the connection (docs/protocol.md, section 9). SSE streams
     * end with {@code event: herald-reconnect}, long-polls answer {@code "reconnect":true}.
     */
    public static final Disconnect RESTART = new Disconnect(1012, "service restart");
    /**
     * The subscriber could not keep up: its bounded queue filled. 1013 is "try again later": reconnect and resume
     * from the last offset seen.
     */
    public static final Disconnect SLOW = new Disconnect(1013, "slow consumer: outgoing queue full");
    /** A frame was larger than the configured limit. */
    public static final Disconnect TOO_LARGE = new Disconnect(1009, "message too large");
    /**
     * A write stayed in flight for {@code herald.write-timeout}: the peer stopped reading, or the container never
     * reported the write done. Like {@link #SLOW}: reconnect and resume.
     */
    public static final Disconnect WRITE_TIMEOUT = new Disconnect(1013, "slow consumer: write timed out");
    /** Nothing went either way for {@code herald.ws.idle-timeout} (WebSocket only). */
    public static final Disconnect IDLE = new Disconnect(1001, "idle timeout");
    /**
     * The connection's credentials expired (or were refused) and no valid {@code auth} frame came within
     * {@code herald.auth.grace}: authenticate and connect again (docs/protocol.md, section 7).
     */
    public static final Disconnect UNAUTHORIZED = new Disconnect(4001, "unauthorized");
    /** The handshake's Origin is not allowed (a WebSocket that could not be refused with 403 before it opened). */
    public static final Disconnect POLICY = new Disconnect(1008, "origin not allowed");
    /** Too many connections from the client's address: try again later, with backoff. */
    public static final Disconnect RATE_LIMITED = new Disconnect(4029, "rate_limited: too many connections");
    /** The connection failed (write error, protocol error, a fault in the container's send path). */
    public static final Disconnect ERROR = new Disconnect(1011, "connection error");
}
