package dev.herald.ops;

import dev.herald.core.OpsSettings;
import jakarta.servlet.http.HttpServletRequest;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Who may read {@code {ctx}/metrics} and use {@code {ctx}/admin/} (README, "Operate"). Allowed, first match:
 * <ol>
 *   <li>the request came in on the standalone runner's operations port ({@code --ops-port});</li>
 *   <li>{@code herald.ops.token} is set and the request presents it: {@code Authorization: Bearer TOKEN}, or
 *   {@code ?token=TOKEN} (the admin page, opened from a browser's address bar);</li>
 *   <li>{@code herald.ops.role} is set and the container's user has that role;</li>
 *   <li>neither is set, and the request came straight from a loopback address (127.0.0.0/8, ::1) with no
 *   {@code X-Forwarded-For} nor {@code Forwarded} header: a reverse proxy on the same host would otherwise make the
 *   endpoints public.</li>
 * </ol>
 * Everything else gets 403 {@code forbidden}. Stateless and thread-safe; called on container threads.
 */
public final class OpsAccess {
    private final byte[] token;
    private final String role;

    public OpsAccess(OpsSettings settings) {
        this.token = settings.token() == null ? null : settings.token().getBytes(StandardCharsets.UTF_8);
        this.role = settings.role();
    }

    /** Whether {@code request} may see the operations endpoints. */
    public boolean allows(HttpServletRequest request) {
        java.util.function.IntSupplier opsPort = OpsLifecycle.opsPort(request.getServletContext());
        if (opsPort != null && request.getLocalPort() == opsPort.getAsInt()) {
            return true;
        }
        if (token != null) {
            String presented = bearer(request.getHeader("Authorization"));
            if (presented == null) {
                presented = queryToken(request.getQueryString());
            }
            if (presented != null && MessageDigest.isEqual(token, presented.getBytes(StandardCharsets.UTF_8))) {
                return true;
            }
        }
        if (role != null) {
            return request.getUserPrincipal() != null && request.isUserInRole(role);
        }
        return token == null && direct(request);
    }

    /** A loopback peer and no proxy header. */
    static boolean direct(HttpServletRequest request) {
        return request.getHeader("X-Forwarded-For") == null && request.getHeader("Forwarded") == null
                && loopback(request.getRemoteAddr());
    }

    static boolean loopback(String address) {
        if (address == null || address.isEmpty()) {
            return false;
        }
        String a = address.startsWith("[") && address.endsWith("]") ? address.substring(1, address.length() - 1)
                : address;
        if (!a.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == '.' || c == ':' || c == '%')) {
            return false; // never resolve a name
        }
        try {
            return InetAddress.getByName(a).isLoopbackAddress();
        } catch (java.io.IOException | RuntimeException e) {
            return false;
        }
    }

    private static String bearer(String header) {
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        return header.substring(7).trim();
    }

    private static String queryToken(String query) {
        if (query == null) {
            return null;
        }
        for (String part : query.split("&")) {
            if (part.startsWith("token=")) {
                return java.net.URLDecoder.decode(part.substring(6), StandardCharsets.UTF_8);
            }
        }
        return null;
    }
}
