package dev.herald.security;

import java.security.Principal;
import java.util.function.Predicate;

/**
 * What a transport found on a request, for the {@link Authenticator} to turn into a {@link Caller}.
 *
 * @param token     a bearer token (an {@code Authorization: Bearer} header, a {@code token} query parameter, the
 *                  token cookie, or a WebSocket {@code auth} frame), or null
 * @param principal the container's authenticated user, or null
 * @param inRole    whether the container's user is in a role (for {@code herald.roles}); never null
 * @param transport {@code ws}, {@code sse}, {@code poll} or {@code http}
 * @param address   the client's address (docs/security.md, "Client address")
 */
public record Credentials(String token, Principal principal, Predicate<String> inRole, String transport,
                          String address) {
    public Credentials {
        inRole = inRole == null ? role -> false : inRole;
    }
}
