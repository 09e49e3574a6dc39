package dev.herald.web;

import dev.herald.transport.ws.CdiEndpointConfigurator;
import dev.herald.transport.ws.WebSocketEndpoint;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.websocket.DeploymentException;
import jakarta.websocket.server.ServerContainer;
import jakarta.websocket.server.ServerEndpointConfig;

/**
 * Adds {@link WebSocketEndpoint} at {@code {path}/ws} when the web application starts, through the container's
 * {@link ServerContainer} (the servlet context attribute {@code jakarta.websocket.server.ServerContainer}, set by the
 * container's own initializer, which may run after {@link HeraldInitializer}). Each connection gets its own endpoint
 * instance, made by {@link CdiEndpointConfigurator} so that it is injected on every container. Logs when the
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
