package dev.herald.transport;

import dev.herald.core.ErrorCode;
import dev.herald.security.Authenticator;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;

/**
 * Origins and CORS for SSE, long-poll, the HTTP API and the demo token endpoint, and a JSON 400 for a query string
 * or character encoding the container cannot decode (its own error page would name its classes).
 * Origins and CORS (docs/security.md, "Origins and
 * CORS"; the Fetch standard's CORS protocol):
 * <ul>
 *   <li>no {@code Origin} (not a browser) or the server's own origin: passes, no CORS headers;</li>
 *   <li>an origin listed in {@code herald.allowed-origins}: passes, with {@code Access-Control-Allow-Origin} set to
 *   that origin (never {@code *}), {@code Access-Control-Allow-Credentials: true} and {@code Vary: Origin}; a
 *   preflight is answered here (204: methods GET, POST; headers {@code Authorization}, {@code Content-Type},
 *   {@code Last-Event-ID}; cached 10 minutes);</li>
 *   <li>any other origin: 403 {@code forbidden}, before Herald does anything for it.</li>
 * </ul>
 * Registered by {@code dev.herald.web.HeraldInitializer} at the mount point.
 */
public class CorsFilter extends HttpFilter {
    private static final long serialVersionUID = 1L;
    static final String ALLOW_HEADERS = "Authorization, Content-Type, Last-Event-ID, Idempotency-Key";

    private transient List<String> allowed;

    @Override
    public void init() {
        allowed = Beans.get(Authenticator.class).settings().allowedOrigins();
    }

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        String origin = request.getHeader("Origin");
        if (origin == null) {
            chain.doFilter(request, response);
            return;
        }
        response.addHeader("Vary", "Origin");
        boolean listed = Origins.listed(origin, allowed);
        if (!listed && !Origins.sameOrigin(origin, request.getHeader("Host"))) {
            HttpIo.error(response, 403, ErrorCode.FORBIDDEN, "origin not allowed");
            return;
        }
        if (listed) {
            response.setHeader("Access-Control-Allow-Origin", origin.trim());
            response.setHeader("Access-Control-Allow-Credentials", "true");
            response.setHeader("Access-Control-Expose-Headers", "Idempotent-Replayed");
        }
        if ("OPTIONS".equals(request.getMethod()) && request.getHeader("Access-Control-Request-Method") != null) {
            response.setHeader("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
            response.setHeader("Access-Control-Allow-Headers", ALLOW_HEADERS);
            response.setHeader("Access-Control-Max-Age", "600");
            response.setStatus(204);
            return;
        }
        chain.doFilter(request, response);
    }
}
