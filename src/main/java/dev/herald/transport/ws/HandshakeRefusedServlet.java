package dev.herald.transport.ws;

import dev.herald.core.ErrorCode;
import dev.herald.security.Authenticator;
import dev.herald.transport.Beans;
import dev.herald.transport.HttpIo;
import dev.herald.transport.Origins;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * What {@code {ctx}/ws} answers to a request that the container did not upgrade to a WebSocket: 403
 * {@code forbidden} when its {@code Origin} is not allowed (docs/security.md, "Origins and CORS"), otherwise 400
 * {@code bad_request}. Mapped at the endpoint's own path; containers upgrade a handshake in a filter before any
 * servlet, so an accepted handshake never reaches it. It makes the refusal the same everywhere: Tomcat, Jetty and
 * Payara answer 403 themselves when {@link CdiEndpointConfigurator#checkOrigin} refuses, but WildFly's Undertow lets
 * the refused request go on down the filter chain, where it met no servlet (404). Container threads; stateless.
 */
public class HandshakeRefusedServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String origin = request.getHeader("Origin");
        if (origin != null && !Origins.allowed(origin, request.getHeader("Host"),
                Beans.get(Authenticator.class).settings().allowedOrigins())) {
            HttpIo.error(response, 403, ErrorCode.FORBIDDEN, "origin not allowed");
        } else {
            HttpIo.error(response, 400, ErrorCode.BAD_REQUEST, "this is Herald's WebSocket endpoint: open a WebSocket");
        }
    }
}
