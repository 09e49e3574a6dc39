package dev.herald.transport.ws;

import dev.herald.core.HeraldException;
import dev.herald.security.Authenticator;
import dev.herald.security.Caller;
import dev.herald.security.Credentials;
import java.security.Principal;
import java.util.function.Predicate;

/**
 * What a WebSocket handshake established, handed from the handshake to the open connection
 * ({@link WebSocketConnection#open}): by {@link CdiEndpointConfigurator#modifyHandshake} through the session's user
 * properties on the Jakarta API, directly by the Jetty core adapter.
 *
 * @param caller  the caller the handshake's credentials establish; {@link Caller#refused} when they were refused
 * @param refusal why the credentials (or, as a fallback, the origin) were refused, or null
 * @param address the client's address
 */
public record Handshake(Caller caller, HeraldException refusal, String address) {
    static final String KEY = "dev.herald.handshake";

    /**
     * The authentication step of a handshake (docs/security.md): the token of the {@code token} query parameter,
     * else of the cookie {@code herald.auth.cookie} in {@code cookieHeader}, else the container's user. Called on
     * the handshake's thread.
     *
     * @param token        the {@code token} query parameter, or null
     * @param cookieHeader the request's Cookie header (all values comma-joined), or null
     * @param principal    the container's user, or null
     * @param inRole       the container's role check, or null
     * @param address      the client's address ({@code Limits#clientAddress})
     * @return the caller, or a refused caller and the refusal when the credentials do not verify
     */
    public static Handshake of(Authenticator authenticator, String token, String cookieHeader, Principal principal,
            Predicate<String> inRole, String address) {
        if (token == null) {
            token = CdiEndpointConfigurator.cookie(cookieHeader, authenticator.settings().cookie());
        }
        try {
            return new Handshake(authenticator.authenticate(new Credentials(token, principal, inRole, "ws", address)),
                    null, address);
        } catch (HeraldException e) {
            return new Handshake(Caller.refused("ws", address), e, address);
        }
    }
}
