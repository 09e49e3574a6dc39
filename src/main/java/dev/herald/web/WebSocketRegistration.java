package dev.herald.web;

import dev.herald.transport.ws.CdiEndpointConfigurator;
import dev.herald.transport.ws.WebSocketEndpoint;
import dev.herald.transport.ws.jetty.JettyWebSocket;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.websocket.DeploymentException;
import jakarta.websocket.server.ServerContainer;
import jakarta.websocket.server.ServerEndpointConfig;

/**
 * Adds {@link WebSocketEndpoint} at {@code {path}/ws} when the web application starts, through the container's
 * {@link ServerContainer} (the servlet context attribute {@code jakarta.websocket.server.ServerContainer}, set by the
 * container's own initializer, which may run after {@link HeraldInitializer}). Each connection gets its own endpoint
 * instance, made by {@link CdiEndpointConfigurator} so that it is injected on every container. Where the servlet
 * context attribute {@value JettyWebSocket#API_ATTRIBUTE} is {@value JettyWebSocket#JETTY} (set by the standalone
 * runner), {@link JettyWebSocket} serves the path with Jetty's core WebSocket API instead. Logs when the
 * application stops, which is when the container removes the endpoint.
 */
final class WebSocketRegistration implements ServletContextListener {
    private static final System.Logger LOG = System.getLogger(WebSocketRegistration.class.getName());
    private final Mount mount;

    WebSocketRegistration(Mount mount) {
        this.mount = mount;
    }

    @Override
    public void contextInitialized(ServletContextEvent event) {
        if (JettyWebSocket.JETTY.equals(event.getServletContext().getAttribute(JettyWebSocket.API_ATTRIBUTE))) {
            JettyWebSocket.register(event.getServletContext(), mount.at("/ws"));
            LOG.log(System.Logger.Level.INFO, () -> mount.at("/ws") + " is served with Jetty's core WebSocket API");
            return;
        }
        Object container = event.getServletContext().getAttribute(ServerContainer.class.getName());
        if (!(container instanceof ServerContainer server)) {
            LOG.log(System.Logger.Level.WARNING, "no Jakarta WebSocket container in this web application: "
                    + mount.at("/ws") + " is not served (SSE and long-polling are)");
            return;
        }
        try {
            server.addEndpoint(ServerEndpointConfig.Builder.create(WebSocketEndpoint.class, mount.at("/ws"))
                    .configurator(new CdiEndpointConfigurator()).build());
        } catch (DeploymentException e) {
            throw new IllegalStateException("cannot add Herald's WebSocket endpoint at " + mount.at("/ws"), e);
        }
    }

    @Override
    public void contextDestroyed(ServletContextEvent event) {
        LOG.log(System.Logger.Level.INFO, () -> "Herald at " + event.getServletContext().getContextPath()
                + mount.path() + "/ stopped");
    }
}
