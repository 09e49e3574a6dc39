package dev.herald.transport.ws;

import dev.herald.core.Bus;
import dev.herald.security.Authenticator;
import dev.herald.security.Limits;
import dev.herald.transport.Beans;

/**
 * The application's beans every WebSocket connection uses, looked up at the first handshake and then kept: CDI may
 * not be up yet when the endpoint is registered, and each {@code CDI.current()} walks the stack to find the calling
 * class's bean manager, which cost several lookups per handshake in a connection storm (docs/performance.md,
 * "Connection storms"). The beans are {@code @ApplicationScoped} proxies, valid as long as the application. A racing
 * second lookup is harmless. Thread-safe.
 */
public final class ConnectionBeans {
    /** The beans, as {@link #get} returns them. */
    public record Services(Bus bus, Authenticator authenticator, Limits limits) {
    }

    private volatile Services services;

    /** The application's beans; looked up on the first call, from the calling (container) thread. */
    public Services get() {
        Services s = services;
        if (s == null) {
            s = new Services(Beans.get(Bus.class), Beans.get(Authenticator.class), Beans.get(Limits.class));
            services = s;
        }
        return s;
    }
}
