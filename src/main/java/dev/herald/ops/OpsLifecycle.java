package dev.herald.ops;

import dev.herald.core.Bus;
import dev.herald.transport.Beans;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Connects the operations side to whatever runs the application, through context attributes of JDK types only
 * (the standalone runner's classes are not the web application's):
 * <ul>
 *   <li>puts {@value #DRAIN} (a {@link Runnable}): running it drains the node and returns when the connections are
 *   gone or {@code herald.drain.timeout} has passed. The standalone runner runs it on SIGTERM before stopping
 *   Jetty; a container's undeploy drains through {@code SseServlet#destroy} and {@code Bus#stop};</li>
 *   <li>reads {@value #THREADS} (a {@code Supplier<Map<String, Number>>}) if the runner put it: the container's
 *   thread pool, for the metrics.</li>
 * </ul>
 * Registered by {@code dev.herald.web.HeraldInitializer}; called on the container's start-up thread.
 */
public class OpsLifecycle implements ServletContextListener {
    /** The context attribute holding the drain {@link Runnable}. */
    public static final String DRAIN = "dev.herald.drain";
    /** The context attribute the standalone runner fills with its thread pool's figures. */
    public static final String THREADS = "dev.herald.container.threads";
    /** The context attribute with the standalone runner's operations port ({@code --ops-port}), an IntSupplier. */
    public static final String OPS_PORT = "dev.herald.ops.port";

    /** The operations port the runner offers through {@code context}, or null. */
    static java.util.function.IntSupplier opsPort(jakarta.servlet.ServletContext context) {
        return context != null && context.getAttribute(OPS_PORT) instanceof java.util.function.IntSupplier port ? port
                : null;
    }

    @Override
    @SuppressWarnings("unchecked")
    public void contextInitialized(ServletContextEvent event) {
        event.getServletContext().setAttribute(DRAIN, (Runnable) () -> {
            Bus bus = Beans.get(Bus.class);
            bus.drain(bus.config().ops().drainTimeout());
        });
        Object threads = event.getServletContext().getAttribute(THREADS);
        if (threads instanceof Supplier<?> pool) {
            try {
                Beans.get(Operations.class).containerThreads((Supplier<Map<String, Number>>) pool);
            } catch (RuntimeException e) {
                System.getLogger(OpsLifecycle.class.getName()).log(System.Logger.Level.DEBUG,
                        () -> "container thread metrics unavailable: " + e);
            }
        }
    }

    @Override
    public void contextDestroyed(ServletContextEvent event) {
        event.getServletContext().removeAttribute(DRAIN);
    }
}
