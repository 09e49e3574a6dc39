package dev.herald.ops;

import dev.herald.core.Bus;
import dev.herald.core.ErrorCode;
import dev.herald.transport.Beans;
import dev.herald.transport.HttpIo;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * While the node drains ({@link Bus#draining}), refuses every new request to Herald's endpoints ({@code /sse},
 * {@code /poll}, {@code /api/*}, {@code /ws}, {@code /demo/*}) with 503 {@code unavailable} and
 * {@code Retry-After: 1}, so that a load balancer or the client tries another node; WebSocket handshakes included
 * (tested on Jetty). On a container that upgrades a handshake before any filter runs, the WebSocket opens and is
 * closed at once with 1012 instead ({@link Bus#connect}). Container threads; stateless.
 */
public class DrainFilter extends HttpFilter {
    private static final long serialVersionUID = 1L;
    private transient Bus bus;

    @Override
    public void init() {
        bus = Beans.get(Bus.class);
    }

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        if (bus.draining()) {
            response.setHeader("Retry-After", "1");
            HttpIo.error(response, 503, ErrorCode.UNAVAILABLE, "this node is draining (service restart): "
                    + "try again, another node will answer");
            return;
        }
        chain.doFilter(request, response);
    }
}
