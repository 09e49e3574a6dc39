package dev.herald.browser;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Herald of a test's own: the standalone runner ({@code target/herald-standalone.jar}) as a child process on one
 * fixed port, which the test can stop and start again, so that pages keep their URL across the restart. Never the
 * shared {@code HeraldTarget} server, which other tests rely on staying up. Each start logs to
 * {@code target/herald-browser-<port>-<n>.log}.
 */
public final class StandaloneHerald implements AutoCloseable {
    private static final Duration START = Duration.ofSeconds(90);
    private final int port;
    private final Path jar;
    private Process process;
    private int starts;

    private StandaloneHerald(int port) {
        this.port = port;
        this.jar = Path.of(System.getProperty("herald.standalone.jar", "target/herald-standalone.jar"));
    }

    /** A server on a port that is free now, kept for every start. Not started yet. */
    public static StandaloneHerald onFreePort() {
        try (ServerSocket probe = new ServerSocket(0)) {
            return new StandaloneHerald(probe.getLocalPort());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code http://127.0.0.1:PORT/}: the context root, the same across restarts. */
    public URI base() {
        return URI.create("http://127.0.0.1:" + port + "/");
    }

    /**
     * Starts the server with {@code settings} (system properties such as {@code herald.ticker=false}) and waits
     * until it serves.
     */
    public void start(String... settings) {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("already running");
        }
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        for (String s : settings) {
            command.add("-D" + s);
        }
        command.addAll(List.of("-jar", jar.toString(), "--port", Integer.toString(port), "--host", "127.0.0.1"));
        Path log = jar.resolveSibling("herald-browser-" + port + "-" + (++starts) + ".log");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            // the container suite's HERALD_* test settings are not this server's: it runs with its defaults
            builder.environment().keySet().removeIf(name -> name.startsWith("HERALD_"));
            process = builder.start();
            Process started = process;
            Runtime.getRuntime().addShutdownHook(new Thread(started::destroyForcibly));
            Instant deadline = Instant.now().plus(START);
            while (Instant.now().isBefore(deadline)) {
                if (Files.readString(log).contains("Herald started at")) {
                    return;
                }
                if (process.waitFor(100, TimeUnit.MILLISECONDS)) {
                    throw new IllegalStateException("Herald exited at start; see " + log);
                }
            }
            throw new IllegalStateException("Herald did not start within " + START + "; see " + log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Stops the server as an operator would (SIGTERM: Jetty closes connections cleanly) and waits until it exits. */
    public void stop() {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    @Override
    public void close() {
        stop();
    }
}
