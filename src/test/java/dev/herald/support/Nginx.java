package dev.herald.support;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A real nginx (Debian's package; {@code .ci/run} installs it) in front of one or more Herald nodes, round-robin and
 * without sticky sessions, configured by the README's reverse-proxy config ({@code src/test/nginx/nginx.conf}, the
 * one the nginx profile uses) on a free loopback port. Started by {@link #balancing}, which returns once nginx
 * accepts connections; stopped by {@link #close()}. A request to a node that is down goes to the next one (nginx's
 * default {@code proxy_next_upstream error timeout}).
 */
public final class Nginx implements AutoCloseable {
    private final Path prefix;
    private final int port;
    private final Process process;

    private Nginx(Path prefix, int port, Process process) {
        this.prefix = prefix;
        this.port = port;
        this.process = process;
    }

    /**
     * Starts nginx balancing over these upstream ports on 127.0.0.1, where Herald is at {@code contextPath}
     * ({@code ""} for the standalone runner, {@code /herald} for herald.war).
     *
     * @throws IllegalStateException when nginx does not start within 30 s (its error log is in the message)
     */
    public static Nginx balancing(String contextPath, int... upstreamPorts) {
        try {
            // readable by all: run as root, nginx's workers are "nobody" and must reach temp/ to buffer a large
            // request body (createTempDirectory's default, rwx------, made every such request a 500)
            Path prefix = Files.createTempDirectory("herald-nginx",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
            Files.createDirectories(prefix.resolve("conf"));
            Files.createDirectories(prefix.resolve("logs"));
            Files.createDirectories(prefix.resolve("temp"));
            int port;
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = s.getLocalPort();
            }
            String servers = java.util.Arrays.stream(upstreamPorts).mapToObj(p -> "server 127.0.0.1:" + p + ";")
                    .collect(Collectors.joining(" "));
            String conf = Files.readString(Path.of("src/test/nginx/nginx.conf"))
                    .replace("@LISTEN_PORT@", Integer.toString(port))
                    .replace("@UPSTREAM_SERVERS@", servers)
                    .replace("@CONTEXT@", contextPath);
            Files.writeString(prefix.resolve("conf/nginx.conf"), conf);
            Process process = new ProcessBuilder(executable(), "-p", prefix + "/", "-c", "conf/nginx.conf",
                    "-g", "daemon off;").redirectErrorStream(true)
                    .redirectOutput(prefix.resolve("logs/stdout.log").toFile()).start();
            Nginx nginx = new Nginx(prefix, port, process);
            nginx.awaitListening();
            return nginx;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code http://127.0.0.1:<port>/}. */
    public URI base() {
        return URI.create("http://127.0.0.1:" + port + "/");
    }

    public int port() {
        return port;
    }

    /** Where nginx writes {@code access.log} and {@code error.log}. */
    public Path logs() {
        return prefix.resolve("logs");
    }

    private void awaitListening() throws IOException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("nginx exited: " + Files.readString(logs().resolve("stdout.log"))
                        + errorLog());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return;
            } catch (IOException notYet) {
                try {
                    process.waitFor(50, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
        }
        close();
        throw new IllegalStateException("nginx did not listen within 30 s: " + errorLog());
    }

    private String errorLog() {
        try {
            Path log = logs().resolve("error.log");
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static String executable() {
        for (String candidate : new String[] {"/usr/sbin/nginx", "/usr/local/sbin/nginx"}) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        return "nginx";
    }

    /** Stops nginx (SIGTERM, then SIGKILL after 10 s) and removes its directory. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        TempDirs.delete(prefix);
    }
}
