package dev.herald.example;

import dev.herald.core.Bus;
import dev.herald.core.Envelope;
import jakarta.inject.Inject;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Map;

/**
 * {@code POST {app}/orders?channel=orders:eu&item=NAME}: the application's own endpoint, which publishes an event on
 * Herald's {@link Bus}. Every WebSocket, SSE and long-poll subscriber of the channel, at {@code {app}/herald/…},
 * receives it. Answers 201 and the envelope's offset.
 */
@WebServlet("/orders")
public class OrdersServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Inject
    private transient Bus bus;

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String channel = request.getParameter("channel");
        Envelope published = bus.publish(channel == null ? "orders" : channel, "order-created",
                Map.of("item", String.valueOf(request.getParameter("item")), "quantity", 1));
        response.setStatus(201);
        response.setContentType("application/json");
        response.getWriter().write("{\"offset\":" + published.offset() + "}");
    }
}
