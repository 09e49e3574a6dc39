package dev.herald.support;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} (Debian's package; {@code .ci/run} installs it) on a free loopback port, in a temporary
 * directory: started by the constructor, stopped by {@link #close()}. {@link #stop()} and {@link #start()} take it
 * down and bring it back on the same port, for outage tests: empty without persistence (the default), or with
 * everything acknowledged before the stop when made by {@link #withAppendOnlyFile()} (AOF, {@code appendfsync
 * always}).
 * {@link #command} sends one command over a plain socket, so tests need no Redis client of their own.
 */
public final class RedisServer implements AutoCloseable {
    private final int port;
    private final Path dir;
    private final boolean appendOnly;
    private Process process;

    /** Without persistence: a restart comes back empty. */
    public RedisServer() {
        this(false);
    }

    /** With an append-only file fsynced on every write: a restart, even after SIGKILL, loses nothing acknowledged. */
    public static RedisServer withAppendOnlyFile() {
        return new RedisServer(true);
    }

    private RedisServer(boolean appendOnly) {
        this.appendOnly = appendOnly;
        try {
            dir = Files.createTempDirectory("herald-redis");
            try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                port = s.getLocalPort();
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        start();
    }

    /** {@code redis://127.0.0.1:<port>}. */
    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /**
     * Its working directory ({@code --dir}); with {@link #withAppendOnlyFile()} the AOF is in {@code appendonlydir/}
     * under it, which a test may copy while the server is idle and put back while it is stopped, to make it come
     * back behind (lost writes).
     */
    public Path directory() {
        return dir;
    }

    /** Starts the server (again) on its port and waits until it answers PING. */
    public synchronized void start() {
        List<String> command = List.of(executable(), "--port", Integer.toString(port), "--save", "",
                "--appendonly", appendOnly ? "yes" : "no", "--appendfsync", "always", "--bind", "127.0.0.1",
                "--dir", dir.toString());
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("redis.log").toFile())).start();
            Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
            while (Instant.now().isBefore(deadline)) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("redis-server exited: " + Files.readString(dir.resolve("redis.log")));
                }
                try {
                    if ("+PONG".equals(command("PING"))) {
                        return;
                    }
                } catch (IOException notYet) {
                    // not listening yet
                }
                process.waitFor(50, TimeUnit.MILLISECONDS);
            }
            throw new IllegalStateException("redis-server did not answer within 30 s on port " + port);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Kills the server (SIGKILL: no goodbye to clients) and waits until it is gone. Everything in it is lost. */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("redis-server did not stop");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        process = null;
    }

    /** Sends one command; returns the first line of the reply (e.g. {@code +OK}, {@code :3}). */
    public String command(String... args) throws IOException {
        return command(port, args);
    }

    /** Sends one command to the Redis on this loopback port; returns the first line of the reply. */
    public static String command(int port, String... args) throws IOException {
        StringBuilder b = new StringBuilder().append('*').append(args.length).append("\r\n");
        for (String a : args) {
            b.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a).append("\r\n");
        }
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write(b.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
        }
    }

    /**
     * {@code PUBSUB SHARDNUMSUB shardChannel} on the Redis at this loopback port: how many connections subscribe to
     * it (-1 if Redis cannot be reached).
     */
    public static long shardSubscribers(int port, String shardChannel) {
        String command = "*3\r\n$6\r\nPUBSUB\r\n$11\r\nSHARDNUMSUB\r\n$"
                + shardChannel.getBytes(StandardCharsets.UTF_8).length + "\r\n" + shardChannel + "\r\n";
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(5000);
            s.getOutputStream().write(command.getBytes(StandardCharsets.UTF_8));
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            in.readLine(); // *2
            in.readLine(); // $len
            in.readLine(); // the channel
            String count = in.readLine(); // :N
            return Long.parseLong(count.substring(1));
        } catch (IOException e) {
            return -1;
        }
    }

    /** FLUSHALL: every channel's keys are gone. */
    public void flushAll() {
        try {
            String reply = command("FLUSHALL");
            if (!"+OK".equals(reply)) {
                throw new IllegalStateException("FLUSHALL answered " + reply);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        stop();
        TempDirs.delete(dir);
    }

    static String executable() {
        return executable("redis-server");
    }

    /** {@code redis-server} or {@code redis-cli} from Debian's package (or the PATH). */
    static String executable(String name) {
        for (String candidate : new String[] {"/usr/bin/" + name, "/usr/local/bin/" + name}) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        return name;
    }
}
