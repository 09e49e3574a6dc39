package dev.herald.transport;

import jakarta.servlet.ServletRequestEvent;
import jakarta.servlet.ServletRequestListener;
import jakarta.servlet.http.HttpServletRequest;

/**
 * Keeps, on the container thread of an HTTP upgrade request (a WebSocket handshake), what the Jakarta WebSocket API
 * does not show the handshake: the TCP peer's address and the {@code Host} header. The WebSocket configurator reads
 * them while the handshake runs on that thread ({@code checkOrigin}, {@code modifyHandshake}); every container
 * calls request listeners before the upgrade, on the same thread. Cleared when the request ends, and replaced by
 * the next request on the thread; only JDK types are kept, so nothing of the application outlives it. Registered by
 * {@code dev.herald.web.HeraldInitializer}.
 */
public class UpgradeRequests implements ServletRequestListener {
    private static final ThreadLocal<String[]> CURRENT = new ThreadLocal<>();

    @Override
    public void requestInitialized(ServletRequestEvent event) {
        if (event.getServletRequest() instanceof HttpServletRequest r && r.getHeader("Upgrade") != null) {
            CURRENT.set(new String[] {r.getRemoteAddr(), r.getHeader("Host")});
        } else {
            CURRENT.remove();
        }
    }

    @Override
    public void requestDestroyed(ServletRequestEvent event) {
        CURRENT.remove();
    }

    /** The TCP peer of the upgrade request on this thread, or null when not known. */
    public static String peer() {
        String[] c = CURRENT.get();
        return c == null ? null : c[0];
    }

    /** The {@code Host} header of the upgrade request on this thread, or null when not known. */
    public static String host() {
        String[] c = CURRENT.get();
        return c == null ? null : c[1];
    }
}
