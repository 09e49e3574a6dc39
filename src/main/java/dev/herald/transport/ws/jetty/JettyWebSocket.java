package dev.herald.transport.ws.jetty;

import dev.herald.core.ErrorCode;
import dev.herald.core.HeraldException;
import dev.herald.transport.HttpIo;
import dev.herald.transport.Origins;
import dev.herald.transport.ws.CdiEndpointConfigurator;
import dev.herald.transport.ws.ConnectionBeans;
import dev.herald.transport.ws.Handshake;
import jakarta.servlet.ServletContext;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.time.Duration;
import java.util.Collections;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletCoreRequest;
import org.eclipse.jetty.ee10.servlet.ServletCoreResponse;
import org.eclipse.jetty.ee10.websocket.servlet.WebSocketUpgradeFilter;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.core.server.ServerUpgradeRequest;
import org.eclipse.jetty.websocket.core.server.ServerUpgradeResponse;
import org.eclipse.jetty.websocket.core.server.WebSocketCreator;
import org.eclipse.jetty.websocket.core.server.WebSocketMappings;

/**
 * Maps {@code {ctx}/ws} to Jetty's core WebSocket API ({@code WebSocketMappings}, upgraded by Jetty's
 * {@code WebSocketUpgradeFilter}), with the handshake Herald runs on every container: the Origin allow-list (a
 * refused origin is answered 403 {@code forbidden}, as every container answers it), the client's
 * address ({@code X-Forwarded-For} from a trusted proxy), the token of the {@code token} query parameter or cookie,
 * and the compression policy ({@code herald.ws.permessage-deflate}). Each upgrade gets a {@link JettyEndpoint}.
 *
 * <p>Registered by {@code dev.herald.web} when the context starts, in place of the Jakarta endpoint, if the servlet
 * context attribute {@value #API_ATTRIBUTE} is {@value #JETTY} (the standalone runner sets it unless
 * {@code herald.ws.api} is {@code jakarta}; README, "Configuration"). Needs the web application to see Jetty's
 * classes, which the runner allows for its own WAR.
 */
public final class JettyWebSocket implements WebSocketCreator {
    /** The servlet context attribute that selects the WebSocket API {@code {ctx}/ws} is served with. */
    public static final String API_ATTRIBUTE = "dev.herald.ws.api";
    /** {@value #API_ATTRIBUTE}'s value for Jetty's core API. */
    public static final String JETTY = "jetty";

    /** The application's beans, looked up at the first handshake (CDI is not up yet when the mapping is added). */
    private final ConnectionBeans beans = new ConnectionBeans();

    private JettyWebSocket() {
    }

    /**
     * Maps {@code path} (within the context) to Herald's WebSocket on Jetty's core API. Called once, when the web
     * application starts, on the container's thread.
     *
     * <p>Fails (a runtime exception from Jetty) when the context is not a Jetty 12 ee10 servlet context.
     */
    public static void register(ServletContext context, String path) {
        ServletContextHandler handler = ServletContextHandler.getServletContextHandler(context);
        WebSocketMappings mappings = WebSocketMappings.ensureMappings(handler);
        mappings.addMapping(WebSocketMappings.parsePathSpec(path), new JettyWebSocket(),
                (endpoint, request, response) -> (JettyEndpoint) endpoint,
                configuration -> configuration.setIdleTimeout(Duration.ZERO)); // Herald keeps herald.ws.idle-timeout
        WebSocketUpgradeFilter.ensureFilter(context);
    }

    /**
     * One handshake, on the container's request thread: the connection's endpoint, or null with 403
     * {@code forbidden} for an Origin that is not allowed (400 {@code bad_request} for a malformed query).
     */
    @Override
    public Object createWebSocket(ServerUpgradeRequest request, ServerUpgradeResponse response, Callback callback) {
        ConnectionBeans.Services s = beans.get();
        HttpServletRequest http = Request.as(request, ServletCoreRequest.class).getServletRequest();
        if (!Origins.allowed(http.getHeader("Origin"), http.getHeader("Host"),
                s.authenticator().settings().allowedOrigins())) {
            return refuse(response, callback, new HeraldException(ErrorCode.FORBIDDEN, "origin not allowed"));
        }
        String token;
        try {
            token = HttpIo.parameters(http, "token").stream().findFirst().orElse(null);
        } catch (HeraldException e) {
            return refuse(response, callback, e);
        }
        if (!s.bus().config().wsPermessageDeflate()) {
            response.setExtensions(response.getExtensions().stream()
                    .filter(e -> !CdiEndpointConfigurator.compression(e.getName())).toList());
        }
        String address = s.limits().clientAddress(http.getRemoteAddr(), header(http, "X-Forwarded-For"));
        Handshake handshake = Handshake.of(s.authenticator(), token, header(http, "Cookie"),
                http.getUserPrincipal(), http::isUserInRole, address);
        return new JettyEndpoint(s.bus(), s.authenticator(), s.limits(), handshake, http.getUserPrincipal());
    }

    /**
     * Answers the handshake with Herald's error (the status and JSON body every HTTP endpoint answers with,
     * docs/protocol.md) instead of upgrading it. Returns null, which tells Jetty the response is handled.
     */
    private static Object refuse(ServerUpgradeResponse response, Callback callback, HeraldException refusal) {
        try {
            HttpIo.error(Response.as(response, ServletCoreResponse.class).getServletResponse(), refusal);
            callback.succeeded();
        } catch (IOException | RuntimeException e) {
            callback.failed(e);
        }
        return null;
    }

    /** All values of a header, comma-joined; null when absent. */
    private static String header(HttpServletRequest http, String name) {
        var values = http.getHeaders(name);
        if (values == null || !values.hasMoreElements()) {
            return null;
        }
        return String.join(",", Collections.list(values));
    }
}
