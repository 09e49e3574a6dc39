package dev.herald.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.herald.transport.UpgradeRequests;
import dev.herald.transport.http.ChannelsServlet;
import dev.herald.transport.poll.PollServlet;
import dev.herald.transport.sse.SseServlet;
import dev.herald.transport.ws.WebSocketBatching;
import jakarta.servlet.FilterRegistration;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletRegistration;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What {@link HeraldInitializer} registers, and where (README, "Add Herald to your application"). */
class HeraldInitializerTest {

    @Test
    void mountsEveryServletUnderTheDefaultPathWithAsyncOnlyWhereItStreams() {
        RecordingContext app = new RecordingContext(null, Set.of());
        new HeraldInitializer().onStartup(Set.of(), app.context());

        assertThat(app.mappings).containsExactlyInAnyOrderEntriesOf(Map.of(
                "herald-api", List.of("/herald/api/*"),
                "herald-sse", List.of("/herald/sse"),
                "herald-poll", List.of("/herald/poll"),
                "herald-client", List.of("/herald/herald.js", "/herald/herald.d.ts", "/herald/herald-share.js",
                        "/herald/herald-worker.js"),
                "herald-ws-refused", List.of("/herald/ws"),
                "herald-metrics", List.of("/herald/metrics"),
                "herald-health", List.of("/herald/health/*"),
                "herald-admin", List.of("/herald/admin/*")));
        assertThat(app.filters).containsEntry("herald-cors",
                List.of("/herald/sse", "/herald/poll", "/herald/api/*", "/herald/demo/*"));
        assertThat(app.filters).containsEntry("herald-drain",
                List.of("/herald/sse", "/herald/poll", "/herald/api/*", "/herald/ws", "/herald/demo/*"));
        assertThat(app.classes).containsEntry("herald-api", ChannelsServlet.class)
                .containsEntry("herald-sse", SseServlet.class).containsEntry("herald-poll", PollServlet.class);
        assertThat(app.async).containsEntry("herald-sse", true).containsEntry("herald-poll", true)
                .containsEntry("herald-api", false);
        assertThat(app.listeners).hasSize(4).anySatisfy(l -> assertThat(l).isEqualTo(WebSocketBatching.class))
                .anySatisfy(l -> assertThat(l).isEqualTo(dev.herald.ops.OpsLifecycle.class))
                .anySatisfy(l -> assertThat(l).isEqualTo(UpgradeRequests.class))
                .anySatisfy(l -> assertThat(l).isInstanceOf(WebSocketRegistration.class));
    }

    @Test
    void theWarsContextParamMountsAtTheContextRoot() {
        RecordingContext app = new RecordingContext("/", Set.of());
        new HeraldInitializer().onStartup(Set.of(), app.context());

        assertThat(app.mappings.get("herald-api")).containsExactly("/api/*");
        assertThat(app.mappings.get("herald-sse")).containsExactly("/sse");
        assertThat(app.mappings.get("herald-client")).containsExactly("/herald.js", "/herald.d.ts", "/herald-share.js",
                "/herald-worker.js");
    }

    @Test
    void aPathTheApplicationAlreadyMapsStopsTheDeploymentNamingIt() {
        RecordingContext app = new RecordingContext(null, Set.of("/herald/sse"));
        assertThatThrownBy(() -> new HeraldInitializer().onStartup(Set.of(), app.context()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("/herald/sse")
                .hasMessageContaining("herald.path");
    }

    @Test
    void aSecondCopyOfHeraldInTheSameApplicationIsNotMountedAgain() {
        RecordingContext app = new RecordingContext(null, Set.of());
        new HeraldInitializer().onStartup(Set.of(), app.context());
        new HeraldInitializer().onStartup(Set.of(), app.context());
        assertThat(app.listeners).hasSize(4);
        assertThat(app.mappings.get("herald-api")).containsExactly("/herald/api/*");
    }

    /** A servlet context (a dynamic proxy) that records what is registered, and refuses names already taken. */
    private static final class RecordingContext {
        final Map<String, List<String>> mappings = new HashMap<>();
        final Map<String, Class<?>> classes = new HashMap<>();
        final Map<String, Boolean> async = new HashMap<>();
        final List<Object> listeners = new ArrayList<>();
        final Map<String, List<String>> filters = new HashMap<>();
        private final String pathParam;
        private final Set<String> taken;

        RecordingContext(String pathParam, Set<String> taken) {
            this.pathParam = pathParam;
            this.taken = taken;
        }

        ServletContext context() {
            return (ServletContext) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {ServletContext.class}, (proxy, method, args) -> switch (method.getName()) {
                        case "getInitParameter" -> Mount.KEY.equals(args[0]) ? pathParam : null;
                        case "getContextPath" -> "/shop";
                        case "addListener" -> {
                            listeners.add(args[0]);
                            yield null;
                        }
                        case "addServlet" -> classes.putIfAbsent((String) args[0], (Class<?>) args[1]) == null
                                ? registration((String) args[0]) : null;
                        case "addFilter" -> filter((String) args[0]);
                        default -> throw new UnsupportedOperationException(method.getName());
                    });
        }

        private FilterRegistration.Dynamic filter(String name) {
            return (FilterRegistration.Dynamic) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {FilterRegistration.Dynamic.class}, (proxy, method, args) -> {
                        switch (method.getName()) {
                            case "setAsyncSupported" -> { }
                            case "addMappingForUrlPatterns" -> filters.put(name, List.of((String[]) args[2]));
                            default -> throw new UnsupportedOperationException(method.getName());
                        }
                        return null;
                    });
        }

        private ServletRegistration.Dynamic registration(String name) {
            return (ServletRegistration.Dynamic) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {ServletRegistration.Dynamic.class}, (proxy, method, args) -> {
                        switch (method.getName()) {
                            case "setAsyncSupported" -> async.put(name, (Boolean) args[0]);
                            case "addMapping" -> {
                                List<String> patterns = List.of((String[]) args[0]);
                                mappings.put(name, patterns);
                                return Set.copyOf(patterns.stream().filter(taken::contains).toList());
                            }
                            default -> throw new UnsupportedOperationException(method.getName());
                        }
                        return null;
                    });
        }
    }
}
