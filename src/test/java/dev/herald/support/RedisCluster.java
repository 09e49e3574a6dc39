package dev.herald.support;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A real Redis Cluster of three masters and no replicas ({@code redis-server --cluster-enabled yes} on three free
 * loopback ports, joined by {@code redis-cli --cluster create}), without persistence, in a temporary directory: the
 * 16,384 hash slots are spread over the three, so channels land on all of them. Started by the constructor (which
 * returns once every node reports {@code cluster_state:ok}), stopped by {@link #close()}.
 */
public final class RedisCluster implements AutoCloseable {
    private final Path dir;
    private final List<Integer> ports = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();

    public RedisCluster() {
        try {
            dir = Files.createTempDirectory("herald-redis-cluster");
            for (int i = 0; i < 3; i++) {
                ports.add(freePort());
            }
            for (int port : ports) {
                processes.add(startNode(port));
            }
            for (int port : ports) {
                awaitPong(port);
            }
            List<String> create = new ArrayList<>(List.of(RedisServer.executable("redis-cli"), "--cluster", "create"));
            ports.forEach(p -> create.add("127.0.0.1:" + p));
            create.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
            Process cli = new ProcessBuilder(create).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("create.log").toFile()).start();
            if (!cli.waitFor(60, TimeUnit.SECONDS) || cli.exitValue() != 0) {
                throw new IllegalStateException("redis-cli --cluster create failed: "
                        + Files.readString(dir.resolve("create.log")));
            }
            awaitClusterOk();
        } catch (IOException e) {
            close();
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new IllegalStateException(e);
        }
    }

    /** The seed URLs for {@code herald.redis.url}: {@code redis://127.0.0.1:<p1>,redis://127.0.0.1:<p2>,…}. */
    public String url() {
        return ports.stream().map(p -> "redis://127.0.0.1:" + p).collect(Collectors.joining(","));
    }

    /** The masters' ports. */
    public List<Integer> ports() {
        return List.copyOf(ports);
    }

    /**
     * The port of the master that holds {@code key}'s slot: asks the first master, which answers for a key of its
     * own or redirects ({@code -MOVED slot host:port}).
     */
    public int masterOf(String key) {
        try {
            String reply = RedisServer.command(ports.get(0), "EXISTS", key);
            if (reply.startsWith(":")) {
                return ports.get(0);
            }
            if (reply.startsWith("-MOVED ")) {
                return Integer.parseInt(reply.substring(reply.lastIndexOf(':') + 1));
            }
            throw new IllegalStateException("EXISTS " + key + " answered " + reply);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Sends one command to the master on {@code port}; returns the first line of its reply. */
    public String command(int port, String... args) {
        try {
            return RedisServer.command(port, args);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** FLUSHALL on every master: every channel's keys are gone. */
    public void flushAll() {
        for (int port : ports) {
            try {
                String reply = RedisServer.command(port, "FLUSHALL");
                if (!"+OK".equals(reply)) {
                    throw new IllegalStateException("FLUSHALL answered " + reply);
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private Process startNode(int port) throws IOException {
        Path nodeDir = Files.createDirectories(dir.resolve(Integer.toString(port)));
        List<String> command = List.of(RedisServer.executable(), "--port", Integer.toString(port), "--save", "",
                "--appendonly", "no", "--bind", "127.0.0.1", "--dir", nodeDir.toString(), "--cluster-enabled", "yes",
                "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000");
        return new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(nodeDir.resolve("redis.log").toFile()).start();
    }

    private static void awaitPong(int port) throws InterruptedException {
        await(() -> "+PONG".equals(RedisServer.command(port, "PING")), "redis-server on port " + port + " to answer");
    }

    private void awaitClusterOk() throws InterruptedException {
        for (int port : ports) {
            await(() -> clusterInfo(port).contains("cluster_state:ok"), "cluster_state:ok on port " + port);
        }
    }

    /** CLUSTER INFO is a bulk string: the first line is its length, so read it whole. */
    private static String clusterInfo(int port) throws IOException {
        try (var s = new java.net.Socket()) {
            s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(5000);
            s.getOutputStream().write("*2\r\n$7\r\nCLUSTER\r\n$4\r\nINFO\r\n".getBytes());
            byte[] buf = new byte[8192];
            int n = s.getInputStream().read(buf);
            return n < 0 ? "" : new String(buf, 0, n);
        }
    }

    private interface Check {
        boolean ok() throws IOException;
    }

    /** Waits up to 60 s for {@code check}, polling every 50 ms; an IOException counts as not yet (not listening). */
    private static void await(Check check, String what) {
        org.awaitility.Awaitility.await(what).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                .ignoreExceptionsInstanceOf(IOException.class).until(check::ok);
    }

    /**
     * A free port p whose cluster bus port p + 10000 is free too (so not among the kernel's ephemeral ports, which
     * reach 60999).
     */
    private static int freePort() throws IOException {
        java.util.Random random = new java.util.Random();
        for (int attempt = 0; attempt < 1000; attempt++) {
            int port = 20000 + random.nextInt(10000);
            if (free(port) && free(port + 10000)) {
                return port;
            }
        }
        throw new IOException("no free port pair for a cluster node");
    }

    private static boolean free(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException taken) {
            return false;
        }
    }

    @Override
    public void close() {
        for (Process p : processes) {
            p.destroyForcibly();
            try {
                p.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        TempDirs.delete(dir);
    }
}
