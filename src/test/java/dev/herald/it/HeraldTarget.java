package dev.herald.it;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Herald that integration tests talk to. With {@code -Dherald.test.url=http://host:port/ctx/} it is that
 * deployment (Tomcat, Payara, WildFly…); otherwise the standalone runner ({@code target/herald-standalone.jar}) is
 * started once per test JVM on a free loopback port, with a 1 s SSE heartbeat so dead streams are noticed quickly
 * and a 2 s long-poll timeout so a test of it is short, and the security settings of {@link TestSecurity},
 * and stopped when the JVM exits. Its output goes to {@code target/herald-it.log}. With {@code herald.test.ws-api}
 * ({@code jakarta}), every runner started here serves WebSocket with that API ({@code herald.ws.api}) instead of
 * Jetty's core API.
 */
public final class HeraldTarget {
    private static final Pattern STARTED = Pattern.compile("Herald started at http://localhost:(\\d+)/");
    private static URI base;
    private static boolean embedded;

    private HeraldTarget() {
    }

    /**
     * The base URL, ending in {@code /}: {@code {ctx}{herald.path}/}. {@code herald.test.url} is read on every call, so
     * a container test can point the scenarios at another deployment (LibraryIT: Herald mounted in an application).
     */
    public static synchronized URI base() {
        String url = System.getProperty("herald.test.url", "");
        if (!url.isBlank()) {
            return URI.create(url.endsWith("/") ? url : url + "/");
        }
        if (base == null) {
            base = start();
            embedded = true;
        }
        return base;
    }

    /** True when the tests started the server themselves (so its settings are the ones set here). */
    public static boolean embedded() {
        base();
        return embedded;
    }

    /**
     * The Herald nodes behind {@link #base()}, each as its own base URL: those listed in {@code herald.test.nodes}
     * (comma-separated base URLs, set by {@code NginxClusterIT} for two nodes on Redis behind a round-robin nginx),
     * else {@link #base()} alone. For the figures Herald keeps per node ({@code subscribers} of
     * {@code GET api/channels/{channel}}, the limits per client address): the cluster's figure is the sum over them.
     */
    public static List<URI> nodes() {
        String nodes = System.getProperty("herald.test.nodes", "");
        if (nodes.isBlank()) {
            return List.of(base());
        }
        return java.util.Arrays.stream(nodes.split(",")).map(String::strip)
                .map(n -> URI.create(n.endsWith("/") ? n : n + "/")).toList();
    }

    /**
     * True when {@link #base()} is a reverse proxy in front of Herald (it adds {@code X-Forwarded-For}): the nginx
     * profile sets {@code herald.proxy.port}, {@code NginxClusterIT} sets {@code herald.test.nodes}.
     */
    public static boolean proxied() {
        return System.getProperty("herald.proxy.port") != null
                || !System.getProperty("herald.test.nodes", "").isBlank();
    }

    /**
     * The container under test as the container suite names it ({@code herald.container.name}, e.g.
     * {@code Payara Micro 6.2025.10}), or {@code standalone}: for the few documented container differences.
     */
    public static String container() {
        return System.getProperty("herald.container.name", "standalone");
    }

    public static URI http(String path) {
        return base().resolve(path);
    }

    public static URI ws() {
        URI b = base();
        return URI.create(b.toString().replaceFirst("^http", "ws")).resolve("ws");
    }

    private static URI start() {
        String api = System.getProperty("herald.test.ws-api", "");
        Path log = jar().resolveSibling(api.isBlank() ? "herald-it.log" : "herald-it-" + api + ".log");
        Process process = launch(List.of("-Dherald.sse.heartbeat=1s", "-Dherald.poll.timeout=2s"), 0, log);
        Runtime.getRuntime().addShutdownHook(new Thread(process::destroy));
        return awaitStart(process, log);
    }

    /**
     * Starts another standalone runner with these JVM options (e.g. {@code -Dherald.memory.max-bytes=1m}), logging
     * to {@code target/<name>.log}, for a test that needs settings of its own; only when {@link #embedded()}. The
     * test closes it.
     */
    public static Standalone startAnother(String name, String... options) {
        return startAnother(name, 0, options);
    }

    /**
     * As {@link #startAnother(String, String...)}, on this port (0: a free one): a node restarted on its old port
     * stays behind the same proxy upstream.
     */
    public static Standalone startAnother(String name, int port, String... options) {
        Path log = jar().resolveSibling(name + ".log");
        Process process = launch(List.of(options), port, log);
        try {
            return new Standalone(process, awaitStart(process, log));
        } catch (RuntimeException e) {
            process.destroy();
            throw e;
        }
    }

    /** A standalone runner started by {@link #startAnother}; {@link #close()} stops it. */
    public record Standalone(Process process, URI base) implements AutoCloseable {
        /** Its HTTP port. */
        public int port() {
            return base.getPort();
        }

        /** {@code kill -9}: the node dies without a goodbye to its clients or to Redis; returns once it is gone. */
        public void kill() throws InterruptedException {
            process.destroyForcibly();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("node did not die");
            }
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    private static Path jar() {
        Path jar = Path.of(System.getProperty("herald.standalone.jar", "target/herald-standalone.jar"));
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " is missing: run the integration tests with mvn verify");
        }
        return jar;
    }

    private static Process launch(List<String> options, int port, Path log) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new java.util.ArrayList<>(List.of(java));
        TestSecurity.settings().forEach((k, v) -> command.add("-D" + k + "=" + v));
        String api = System.getProperty("herald.test.ws-api", "");
        if (!api.isBlank()) {
            command.add("-Dherald.ws.api=" + api); // the runner's WebSocket API (pom.xml, execution jakarta-websocket)
        }
        command.addAll(options);
        command.addAll(List.of("-jar", jar().toString(), "--port", Integer.toString(port), "--host", "127.0.0.1"));
        try {
            return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static URI awaitStart(Process process, Path log) {
        try {
            Instant deadline = Instant.now().plus(Duration.ofSeconds(180));
            while (Instant.now().isBefore(deadline)) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("Herald exited at start; see " + log);
                }
                Matcher m = STARTED.matcher(Files.readString(log));
                if (m.find()) {
                    return URI.create("http://127.0.0.1:" + m.group(1) + "/");
                }
                process.waitFor(100, TimeUnit.MILLISECONDS);
            }
            process.destroy();
            throw new IllegalStateException("Herald did not start within 180 s; see " + log);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
