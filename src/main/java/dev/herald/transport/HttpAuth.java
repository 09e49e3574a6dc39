package dev.herald.transport;

import dev.herald.security.Authenticator;
import dev.herald.security.Caller;
import dev.herald.security.Credentials;
import dev.herald.security.Limits;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Collections;
import java.util.Locale;

/**
 * The authentication step of the servlet transports (docs/security.md, "Where the token travels"): the
 * {@code Authorization: Bearer} header, and, where {@code queryOrCookie} (SSE and long-poll, whose browser clients
 * cannot set headers), the {@code token} query parameter or the token cookie; the container's user otherwise.
 */
public final class HttpAuth {
    private HttpAuth() {
    }

    /**
     * The request's caller.
     *
     * @throws dev.herald.core.HeraldException {@code unauthorized} when a token is presented and does not verify
     */
    public static Caller caller(HttpServletRequest request, String transport, Authenticator authenticator,
                                Limits limits, boolean queryOrCookie) {
        String token = bearer(request.getHeader("Authorization"));
        if (token == null && queryOrCookie) {
            token = HttpIo.parameter(request, "token");
            if (token == null) {
                token = cookie(request, authenticator.settings().cookie());
            }
        }
        return authenticator.authenticate(new Credentials(token, request.getUserPrincipal(), request::isUserInRole,
                transport, clientAddress(request, limits)));
    }

    /** The client's address: the peer's, or {@code X-Forwarded-For}'s from a trusted proxy. */
    public static String clientAddress(HttpServletRequest request, Limits limits) {
        var values = request.getHeaders("X-Forwarded-For");
        String xff = values == null || !values.hasMoreElements() ? null
                : String.join(",", Collections.list(values));
        return limits.clientAddress(request.getRemoteAddr(), xff);
    }

    /** The token of an {@code Authorization: Bearer} header (RFC 6750, section 2.1), or null. */
    public static String bearer(String authorization) {
        if (authorization == null || authorization.length() < 7
                || !authorization.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")) {
            return null;
        }
        String t = authorization.substring(7).trim();
        return t.isEmpty() ? null : t;
    }

    private static String cookie(HttpServletRequest request, String name) {
        Cookie[] cookies = request.getCookies();
        if (cookies != null) {
            for (Cookie c : cookies) {
                if (name.equals(c.getName()) && !c.getValue().isEmpty()) {
                    return c.getValue();
                }
            }
        }
        return null;
    }
}
