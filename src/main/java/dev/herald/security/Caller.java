package dev.herald.security;

import java.security.Principal;
import java.time.Instant;

/**
 * Who is asking, as the transport's {@link Authenticator} step established it.
 *
 * @param principal     the authenticated user from the container (servlet or WebSocket handshake), or null
 * @param transport     {@code ws}, {@code sse}, {@code http}, {@code poll} or {@code java}
 * @param remoteAddress the client's address (docs/security.md, "Client address"), or null for in-process callers
 * @param subject       the identity: a token's {@code sub}, the container principal's name; null when anonymous
 * @param capabilities  what the caller may do; null means the configured anonymous capability
 *                      ({@code herald.anonymous})
 * @param expires       when the caller's token expires (its {@code exp}); null when it never does. From then on the
 *                      {@link Authorizer} refuses the caller with {@code unauthorized}
 */
public record Caller(Principal principal, String transport, String remoteAddress, String subject,
                     Capabilities capabilities, Instant expires) {
    /** Application code calling the bus directly: every action on every channel. */
    public static final Caller SYSTEM = new Caller(null, "java", null, "system", Capabilities.ALL, null);

    /** An anonymous caller (or one the container authenticated, with no capability of its own). */
    public Caller(Principal principal, String transport, String remoteAddress) {
        this(principal, transport, remoteAddress, principal == null ? null : principal.getName(), null, null);
    }

    /** An anonymous caller of a transport: the configured anonymous capability applies. */
    public static Caller anonymous(String transport, String remoteAddress) {
        return new Caller(null, transport, remoteAddress, null, null, null);
    }

    /** A caller whose credentials were refused: unauthenticated until it presents valid ones. */
    public static Caller refused(String transport, String remoteAddress) {
        return new Caller(null, transport, remoteAddress, null, Capabilities.NONE, Instant.EPOCH);
    }

    /** True for a caller with no identity. */
    public boolean anonymous() {
        return subject == null;
    }

    /** True once {@link #expires} has passed at {@code now}. */
    public boolean expiredAt(Instant now) {
        return expires != null && !now.isBefore(expires);
    }

    /** The same caller on another transport or address (a WebSocket's caller learns its address late). */
    public Caller withAddress(String address) {
        return new Caller(principal, transport, address, subject, capabilities, expires);
    }
}
