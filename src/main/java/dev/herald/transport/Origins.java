package dev.herald.transport;

import java.net.URI;
import java.util.List;
import java.util.Locale;

/**
 * The Origin rule of docs/security.md, "Origins": a request without {@code Origin} comes from a non-browser client
 * and passes; one whose origin is the server's own (its host and port are the request's {@code Host}) passes; any
 * other origin passes only if listed, exactly, in {@code herald.allowed-origins}.
 */
public final class Origins {
    private Origins() {
    }

    /** Whether a request with this {@code Origin} (null when absent) and {@code Host} header is allowed. */
    public static boolean allowed(String origin, String host, List<String> allowList) {
        if (origin == null) {
            return true;
        }
        String o = origin.trim().toLowerCase(Locale.ROOT);
        if (allowList.contains(o)) {
            return true;
        }
        return sameOrigin(o, host);
    }

    /** Whether the origin is listed (so CORS headers are due). */
    public static boolean listed(String origin, List<String> allowList) {
        return origin != null && allowList.contains(origin.trim().toLowerCase(Locale.ROOT));
    }

    /** The origin's host[:port] equals the request's Host (Gorilla's and Spring's same-origin check). */
    public static boolean sameOrigin(String origin, String host) {
        if (host == null || origin == null) {
            return false;
        }
        try {
            URI u = URI.create(origin.trim());
            String authority = u.getRawAuthority();
            return authority != null && u.getRawPath() != null && u.getRawPath().isEmpty()
                    && authority.equalsIgnoreCase(host.trim());
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
