package dev.herald.transport.ws;

import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.websocket.Session;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Optional batching of WebSocket frames: many frames of one connection in one socket write.
 *
 * <p>The Jakarta WebSocket API batches ({@code RemoteEndpoint#setBatchingAllowed}) but can only push a batch out
 * with {@code flushBatch()}, which blocks until the bytes are written: a fan-out thread must never wait on a slow
 * client, so Herald does not call it. A container integration may instead register a <b>non-blocking flush</b> as
 * the servlet context attribute {@value #FLUSH_ATTRIBUTE}: a {@code BiConsumer<jakarta.websocket.Session,
 * Consumer<Throwable>>} that starts writing the session's batched frames and later calls the consumer with null (all
 * written) or the failure. Only JDK and Jakarta types cross the boundary, so the webapp needs no container classes.
 * The standalone runner registers one for Jetty; elsewhere (Tomcat, Payara, WildFly) each frame is its own
 * asynchronous send, as before.
 *
 * <p>Read once when the web application starts; registered by {@code dev.herald.web.HeraldInitializer}.
 */
public class WebSocketBatching implements ServletContextListener {
    /** The servlet context attribute holding a container's non-blocking flush. */
    public static final String FLUSH_ATTRIBUTE = "dev.herald.ws.flush";
    private static volatile BiConsumer<Session, Consumer<Throwable>> flush;

    @Override
    @SuppressWarnings("unchecked")
    public void contextInitialized(ServletContextEvent event) {
        Object value = event.getServletContext().getAttribute(FLUSH_ATTRIBUTE);
        flush = value instanceof BiConsumer<?, ?> f ? (BiConsumer<Session, Consumer<Throwable>>) f : null;
    }

    @Override
    public void contextDestroyed(ServletContextEvent event) {
        flush = null;
    }

    /** The container's non-blocking flush, or null when frames are sent one by one. */
    static BiConsumer<Session, Consumer<Throwable>> flush() {
        return flush;
    }
}
