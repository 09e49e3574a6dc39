package dev.herald.ops;

import dev.herald.transport.Beans;
import dev.herald.transport.HttpIo;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * {@code GET {ctx}/health/live} and {@code GET {ctx}/health/ready}: 200 with {@code "status":"UP"}, or 503 with
 * {@code "DOWN"}, and each check in MicroProfile Health's JSON shape ({@link Operations#ready}). Open to every
 * client, as load balancers and Kubernetes probes expect; they show nothing but the node's name and state.
 * Container threads; stateless.
 */
public class HealthServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String path = request.getPathInfo();
        Operations ops = Beans.get(Operations.class);
        Operations.Health health;
        if ("/live".equals(path)) {
            health = ops.live();
        } else if ("/ready".equals(path)) {
            health = ops.ready();
        } else {
            HttpIo.error(response, 404, dev.herald.core.ErrorCode.NOT_FOUND, "health/live or health/ready");
            return;
        }
        HttpIo.json(response, health.up() ? 200 : 503, health.json());
    }
}
