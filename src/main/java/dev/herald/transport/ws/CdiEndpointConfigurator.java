package dev.herald.transport.ws;

import jakarta.enterprise.inject.spi.Unmanaged;
import jakarta.websocket.server.ServerEndpointConfig;

/**
 * Creates each endpoint instance through CDI, so its {@code @Inject} fields are filled on every container: on Tomcat
 * or Jetty with Weld, the container's own endpoint factory does not inject. The instances are non-contextual
 * ({@link Unmanaged}): CDI keeps no reference to them, so a closed connection leaves nothing behind.
 */
public class CdiEndpointConfigurator extends ServerEndpointConfig.Configurator {
    /**
     * One {@link Unmanaged} per endpoint class, reused for every connection: building it resolves the bean manager
     * and the class's injection target, which cost more than the rest of a WebSocket handshake.
     */
    private final ClassValue<Unmanaged<?>> unmanaged = new ClassValue<>() {
        @Override
        protected Unmanaged<?> computeValue(Class<?> type) {
            return new Unmanaged<>(type);
        }
    };

    @Override
    @SuppressWarnings("unchecked")
    public <T> T getEndpointInstance(Class<T> endpointClass) {
        Unmanaged<T> u = (Unmanaged<T>) unmanaged.get(endpointClass);
        return u.newInstance().produce().inject().postConstruct().get();
    }
}
