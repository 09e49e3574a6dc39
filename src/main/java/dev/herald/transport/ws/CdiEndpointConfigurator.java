package dev.herald.transport.ws;

import jakarta.enterprise.inject.spi.Unmanaged;
import jakarta.websocket.server.ServerEndpointConfig;

/**
 * Creates each endpoint instance through CDI, so its {@code @Inject} fields are filled on every container: on Tomcat
 * or Jetty with Weld, the container's own endpoint factory does not inject. The instances are non-contextual
 * ({@link Unmanaged}): CDI keeps no reference to them, so a closed connection leaves nothing behind.
 */
public class CdiEndpointConfigurator extends ServerEndpointConfig.Configurator {
    @Override
    public <T> T getEndpointInstance(Class<T> endpointClass) {
        return new Unmanaged<>(endpointClass).newInstance().produce().inject().postConstruct().get();
    }
}
