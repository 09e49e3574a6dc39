package dev.herald.ops;

import dev.herald.core.ErrorCode;
import dev.herald.protocol.JsonText;
import dev.herald.transport.Beans;
import dev.herald.transport.HttpIo;
import dev.herald.transport.Origins;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;

/**
 * {@code {ctx}/admin/}: the admin page and its endpoints, for callers {@link OpsAccess} allows (403 otherwise):
 * <ul>
 *   <li>{@code GET {ctx}/admin/}: the page ({@code admin.html}, {@code admin.js}); it updates itself through
 *   herald.js, subscribed to {@value AdminTickets#CHANNEL};</li>
 *   <li>{@code GET {ctx}/admin/stats}: {@code {"nodes":[snapshot,…]}}, this node first ({@link Operations#cluster});</li>
 *   <li>{@code GET {ctx}/admin/ticket}: {@code {"token":…,"expires":EPOCH_MS}}, the page's herald.js token
 *   ({@link AdminTickets});</li>
 *   <li>{@code POST {ctx}/admin/drain}: starts draining this node (202 {@code {"draining":true}}); refused (403) from
 *   a page of another origin, so a web page cannot drain a node through an operator's browser.</li>
 * </ul>
 * Container threads; stateless apart from the page's bytes, read once.
 */
public class AdminServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private static final Map<String, String> FILES = Map.of(
            "/", "admin.html",
            "/admin.js", "admin.js");

    private transient Map<String, byte[]> files;

    @Override
    public void init() throws ServletException {
        Map<String, byte[]> loaded = new java.util.HashMap<>();
        for (var e : FILES.entrySet()) {
            try (InputStream in = AdminServlet.class.getResourceAsStream(e.getValue())) {
                if (in == null) {
                    throw new ServletException("dev/herald/ops/" + e.getValue() + " is missing from the build");
                }
                loaded.put(e.getKey(), in.readAllBytes());
            } catch (IOException ex) {
                throw new ServletException(ex);
            }
        }
        files = Map.copyOf(loaded);
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Operations ops = Beans.get(Operations.class);
        if (!allowed(ops, request, response)) {
            return;
        }
        String path = request.getPathInfo() == null ? "" : request.getPathInfo();
        switch (path) {
            case "" -> response.sendRedirect(request.getRequestURI() + "/"
                    + (request.getQueryString() == null ? "" : "?" + request.getQueryString()));
            case "/stats" -> HttpIo.json(response, 200, ops.cluster());
            case "/ticket" -> {
                AdminTickets.Ticket t = ops.tickets().issue();
                HttpIo.json(response, 200, "{\"token\":" + JsonText.quote(t.token()) + ",\"expires\":"
                        + t.expires().toEpochMilli() + ",\"channel\":" + JsonText.quote(AdminTickets.CHANNEL) + "}");
            }
            default -> {
                byte[] bytes = files.get(path);
                if (bytes == null) {
                    HttpIo.error(response, 404, ErrorCode.NOT_FOUND, "no such admin resource");
                    return;
                }
                response.setContentType(path.endsWith(".js") ? "text/javascript; charset=utf-8"
                        : "text/html; charset=utf-8");
                response.setHeader("Cache-Control", "no-cache");
                response.setHeader("Content-Security-Policy", "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
                        + "style-src 'self' 'unsafe-inline'");
                response.setContentLength(bytes.length);
                response.getOutputStream().write(bytes);
            }
        }
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Operations ops = Beans.get(Operations.class);
        if (!allowed(ops, request, response)) {
            return;
        }
        String origin = request.getHeader("Origin");
        if (origin != null && !Origins.allowed(origin, request.getHeader("Host"), List.of())) {
            HttpIo.error(response, 403, ErrorCode.FORBIDDEN, "origin not allowed");
            return;
        }
        if (!"/drain".equals(request.getPathInfo())) {
            HttpIo.error(response, 404, ErrorCode.NOT_FOUND, "POST admin/drain");
            return;
        }
        ops.drainLater();
        HttpIo.json(response, 202, "{\"draining\":true,\"node\":" + JsonText.quote(ops.node()) + "}");
    }

    private static boolean allowed(Operations ops, HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        if (ops.access().allows(request)) {
            return true;
        }
        HttpIo.error(response, 403, ErrorCode.FORBIDDEN, "the admin page is for operators (herald.ops.token, "
                + "herald.ops.role, or a direct loopback client)");
        return false;
    }
}
