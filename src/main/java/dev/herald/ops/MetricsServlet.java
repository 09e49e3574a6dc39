package dev.herald.ops;

import dev.herald.core.ErrorCode;
import dev.herald.transport.Beans;
import dev.herald.transport.HttpIo;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * {@code GET {ctx}/metrics}: every metric in the Prometheus text format (0.0.4), for callers {@link OpsAccess}
 * allows (403 {@code forbidden} otherwise); 404 {@code not_found} when metrics are off ({@code herald.metrics=false},
 * or no Micrometer on the class path). The names are in docs/operations.md. Container threads; stateless.
 */
public class MetricsServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Operations ops = Beans.get(Operations.class);
        if (!ops.access().allows(request)) {
            HttpIo.error(response, 403, ErrorCode.FORBIDDEN, "metrics are for operators (herald.ops.token, "
                    + "herald.ops.role, or a direct loopback client)");
            return;
        }
        String text = ops.scrape();
        if (text == null) {
            HttpIo.error(response, 404, ErrorCode.NOT_FOUND, "metrics are off (herald.metrics, or Micrometer "
                    + "missing from the class path)");
            return;
        }
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        response.setStatus(200);
        response.setContentType("text/plain; version=0.0.4; charset=utf-8");
        response.setHeader("Cache-Control", "no-store");
        response.setContentLength(bytes.length);
        response.getOutputStream().write(bytes);
    }
}
