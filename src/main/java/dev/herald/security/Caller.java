package dev.herald.security;

import java.security.Principal;

/**
 * Who is asking, as far as the transport knows.
 *
 * @param principal     the authenticated user from the container (servlet or WebSocket handshake), or null
 * @param transport     {@code ws}, {@code sse}, {@code http}, {@code poll} or {@code java}
 * @param remoteAddress the peer's address, or null for in-process callers
 */
public record Caller(Principal principal, String transport, String remoteAddress) {
    /** Application code calling the bus directly: trusted, but still passed to the {@link Authorizer}. */
    public static final Caller SYSTEM = new Caller(null, "java", null);
}
