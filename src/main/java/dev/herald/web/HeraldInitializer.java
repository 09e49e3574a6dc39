package dev.herald.web;

import dev.herald.ops.AdminServlet;
import dev.herald.ops.DrainFilter;
import dev.herald.ops.HealthServlet;
import dev.herald.ops.MetricsServlet;
import dev.herald.ops.OpsLifecycle;
import dev.herald.transport.CorsFilter;
import dev.herald.transport.UpgradeRequests;
import dev.herald.transport.http.ChannelsServlet;
import dev.herald.transport.poll.PollServlet;
import dev.herald.transport.sse.SseServlet;
import dev.herald.transport.ws.HandshakeRefusedServlet;
import dev.herald.transport.ws.WebSocketBatching;
import jakarta.servlet.FilterRegistration;
import jakarta.servlet.ServletContainerInitializer;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletRegistration;
import jakarta.servlet.http.HttpServlet;
import java.util.Set;

/**
 * Mounts Herald in the web application it is part of, at {@link Mount} ({@code herald.path}):
 * <ul>
 *   <li>{@code {path}/api/*}: {@link ChannelsServlet} (publish, history, stats);</li>
 *   <li>{@code {path}/sse} and {@code {path}/poll}: {@link SseServlet} and {@link PollServlet}, async;</li>
 *   <li>{@code {path}/herald.js}, its modules {@code herald-share.js} and {@code herald-worker.js} (cross-tab
 *   sharing, docs/client.md) and {@code {path}/herald.d.ts}: {@link ClientScriptServlet};</li>
 *   <li>{@link CorsFilter} in front of the HTTP entries (and the demos' {@code {path}/demo/*} token endpoint), and
 *   {@link UpgradeRequests}, which keeps a WebSocket handshake's peer address for the endpoint;</li>
 *   <li>{@code {path}/metrics}, {@code {path}/health/*}, {@code {path}/admin/*}: the operations endpoints
 *   ({@code dev.herald.ops}: {@link MetricsServlet}, {@link HealthServlet}, {@link AdminServlet}), the
 *   {@link DrainFilter} in front of the client endpoints, and {@link OpsLifecycle};</li>
 *   <li>{@code {path}/ws}: the WebSocket endpoint, added by {@link WebSocketRegistration} when the context starts
 *   (and {@link HandshakeRefusedServlet} for requests there that are not upgraded)
 *   (containers run initializers in any order, so the WebSocket container may not exist yet here).</li>
 * </ul>
 * Listed in {@code META-INF/services/jakarta.servlet.ServletContainerInitializer}, so the container calls it once per
 * web application at deployment, whether Herald is the application (the WARs it ships, {@code herald.path} empty) or
 * a jar in its {@code WEB-INF/lib}. It needs no annotation scanning and no {@code web.xml} entry. A mapping that the
 * application already uses (its own {@code /herald/api/*}, say) stops the deployment with an
 * {@link IllegalStateException} that names it: choose another {@code herald.path}.
 */
public class HeraldInitializer implements ServletContainerInitializer {
    private static final System.Logger LOG = System.getLogger(HeraldInitializer.class.getName());

    @Override
    public void onStartup(Set<Class<?>> classes, ServletContext context) {
        Mount mount = Mount.of(context);
        if (!add(context, "herald-api", ChannelsServlet.class, false, mount.at("/api/*"))) {
            return; // Herald is in this application twice (a library jar inside a Herald WAR): the first one serves
        }
        add(context, "herald-sse", SseServlet.class, true, mount.at("/sse"));
        add(context, "herald-poll", PollServlet.class, true, mount.at("/poll"));
        add(context, "herald-client", ClientScriptServlet.class, false, mount.at("/herald.js"),
                mount.at("/herald.d.ts"), mount.at("/herald-share.js"), mount.at("/herald-worker.js"));
        add(context, "herald-ws-refused", HandshakeRefusedServlet.class, false, mount.at("/ws"));
        add(context, "herald-metrics", MetricsServlet.class, false, mount.at("/metrics"));
        add(context, "herald-health", HealthServlet.class, false, mount.at("/health/*"));
        add(context, "herald-admin", AdminServlet.class, false, mount.at("/admin/*"));
        FilterRegistration.Dynamic drain = context.addFilter("herald-drain", DrainFilter.class);
        drain.setAsyncSupported(true);
        drain.addMappingForUrlPatterns(null, false, mount.at("/sse"), mount.at("/poll"), mount.at("/api/*"),
                mount.at("/ws"), mount.at("/demo/*"));
        context.addListener(OpsLifecycle.class);
        context.addListener(UpgradeRequests.class);
        FilterRegistration.Dynamic cors = context.addFilter("herald-cors", CorsFilter.class);
        cors.setAsyncSupported(true);
        cors.addMappingForUrlPatterns(null, false, mount.at("/sse"), mount.at("/poll"), mount.at("/api/*"),
                mount.at("/demo/*"));
        context.addListener(WebSocketBatching.class);
        context.addListener(new WebSocketRegistration(mount));
        LOG.log(System.Logger.Level.INFO, () -> "Herald mounted at " + context.getContextPath() + mount.path()
                + "/ (api, sse, poll, ws, herald.js, metrics, health, admin)");
    }

    private static boolean add(ServletContext context, String name, Class<? extends HttpServlet> servlet,
            boolean async, String... patterns) {
        ServletRegistration.Dynamic registration = context.addServlet(name, servlet);
        if (registration == null) {
            LOG.log(System.Logger.Level.WARNING, () -> "Herald is already mounted in " + context.getContextPath()
                    + " (servlet " + name + " exists): this copy of Herald is not mounted again");
            return false;
        }
        registration.setAsyncSupported(async);
        Set<String> taken = registration.addMapping(patterns);
        if (!taken.isEmpty()) {
            throw new IllegalStateException("Herald cannot be mounted at " + context.getContextPath()
                    + Mount.of(context).path() + ": the application already maps " + taken + "; set "
                    + Mount.KEY + " to a free path");
        }
        return true;
    }
}
