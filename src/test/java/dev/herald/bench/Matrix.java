package dev.herald.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The benchmark matrix, run by {@code bench/run.sh}: for each subscriber count and each server/transport (Herald
 * over WebSocket and SSE, the Node {@code ws}, {@code express-sse} and Socket.IO peers, the Java peers Spring Boot
 * and Vert.x over WebSocket and SSE), a fresh server process, N
 * subscribers, a warm-up, a closed-loop phase (deliveries/s, CPU and write syscalls per delivery) and an open-loop
 * phase at a fixed delivery rate (latency), each repeated and the median run kept; then an idle run per server (RSS
 * and live heap per connection). Writes
 * {@code <out>/<date>.csv}, {@code .md} and {@code .svg}, and the table and chart into the docs page.
 *
 * <p>Options (all optional): {@code --sizes 100,1000,5000,20000 --servers herald/ws,herald/sse,ws/ws,socket.io/ws,
 * express-sse/sse,spring/ws,spring/sse,vertx/ws,vertx/sse,herald-jakarta/ws --warmup 8 --closed 8 --open 8 --repeat 3 --open-rate 10000
 * --window 32 --idle 10000 --deflate false --server-cpus 0 --herald-jvm "-Xss256k …" --peer-jvm "…"
 * --jar target/herald-standalone.jar
 * --peers bench/peers --java-peers bench/peers-java --out bench/results --docs docs/performance.md}. The Java peers
 * run with {@code --peer-jvm}, by default Herald's JVM flags with a 4 GB heap cap, and their jars must be built
 * ({@code bench/run.sh} does it). {@code herald-jakarta/ws} is Herald with {@code herald.ws.api=jakarta}: its
 * WebSocket on the Jakarta endpoint, as on every other container, rather than Jetty's core API.
 */
public final class Matrix {
    /** File descriptors a server keeps for itself (jars, selectors, logs) below the process limit. */
    private static final int FD_RESERVE = 300;
    private final Map<String, String> opts;
    private final Path logs;

    private Matrix(Map<String, String> opts) throws IOException {
        this.opts = opts;
        this.logs = Path.of("target", "bench-logs");
        Files.createDirectories(logs);
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new LinkedHashMap<>();
        opts.put("sizes", "100,1000,5000,20000");
        opts.put("servers", "herald/ws,herald-jakarta/ws,ws/ws,socket.io/ws,spring/ws,vertx/ws,herald/sse,"
                + "express-sse/sse,spring/sse,vertx/sse");
        opts.put("warmup", "8");
        opts.put("closed", "8");
        opts.put("open", "8");
        opts.put("open-rate", "10000");
        opts.put("window", "32");
        opts.put("repeat", "3");
        opts.put("idle", "10000");
        opts.put("deflate", "false");
        opts.put("server-cpus", "");
        opts.put("herald-jvm", "-XX:+UseParallelGC -Xmx1g -XX:MaxNewSize=64m -Xss512k");
        // Herald's flags but a 4 GB heap cap: Spring Boot on Tomcat's defaults keeps 80-110 KB of heap per connection
        // and runs out of a 1 GB heap below 10,000 SSE subscribers; the cap only has to leave room, it sets no size
        opts.put("peer-jvm", "-XX:+UseParallelGC -Xmx4g -XX:MaxNewSize=64m -Xss512k");
        opts.put("jar", "target/herald-standalone.jar");
        opts.put("peers", "bench/peers");
        opts.put("java-peers", "bench/peers-java");
        opts.put("out", "bench/results");
        opts.put("docs", "");
        opts.put("command", "bench/run.sh");
        for (int i = 0; i + 1 < args.length; i += 2) {
            String key = args[i].replaceFirst("^--", "");
            if (!opts.containsKey(key)) {
                throw new IllegalArgumentException("unknown option " + args[i]);
            }
            opts.put(key, args[i + 1]);
        }
        new Matrix(opts).run();
    }

    private void run() throws Exception {
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd-HHmm"));
        Path out = Path.of(opts.get("out"));
        Files.createDirectories(out);
        Path csv = out.resolve(stamp + ".csv");
        Files.writeString(csv, Row.HEADER + "\n");
        List<Row> rows = new ArrayList<>();
        int fdLimit = Machine.openFilesLimit();
        List<String> servers = Arrays.asList(opts.get("servers").split(","));
        for (String size : opts.get("sizes").split(",")) {
            if (size.isBlank()) {
                continue;
            }
            int n = Math.min(Integer.parseInt(size.trim()), fdLimit - FD_RESERVE);
            for (String label : servers) {
                for (Row r : load(label, n)) {
                    rows.add(r);
                    Files.writeString(csv, r.csv() + "\n", java.nio.file.StandardOpenOption.APPEND);
                }
            }
        }
        int idle = Math.min(Integer.parseInt(opts.get("idle")), fdLimit - FD_RESERVE);
        if (idle > 0) {
            for (String label : servers) {
                Row r = idle(label, idle);
                rows.add(r);
                Files.writeString(csv, r.csv() + "\n", java.nio.file.StandardOpenOption.APPEND);
            }
        }
        String command = opts.get("command");
        Report report = new Report(rows, Machine.describe(opts.get("server-cpus")), command, stamp,
                Integer.parseInt(opts.get("open-rate")));
        Files.writeString(out.resolve(stamp + ".md"), report.markdown(stamp + ".svg"));
        Files.writeString(out.resolve(stamp + ".svg"), new SvgChart(rows).svg());
        if (!opts.get("docs").isBlank()) {
            Path docs = Path.of(opts.get("docs"));
            Files.writeString(docs.resolveSibling("performance.svg"), new SvgChart(rows).svg());
            report.intoDocs(docs, "performance.svg");
        }
        System.out.println("wrote " + csv + " and its .md and .svg");
    }

    /** A load generator for {@code target}; its WebSocket subscribers offer permessage-deflate with {@code --deflate}. */
    private LoadGenerator generator(Target target) throws Exception {
        return new LoadGenerator(target).offerDeflate(Boolean.parseBoolean(opts.get("deflate")));
    }

    /** One load point: fresh server, N subscribers, warm-up, closed loop, open loop. */
    private List<Row> load(String label, int n) throws Exception {
        List<Row> rows = new ArrayList<>();
        try (ServerProcess server = start(label, label.replace('/', '-') + "-" + n)) {
            Target target = target(label, server.base());
            LoadGenerator.UsageProbe probe = server::usage;
            try (LoadGenerator gen = generator(target)) {
                LoadGenerator.Connected c = gen.connect(n, 200);
                log("%s n=%d: %d subscribed in %.1f s (%d failed), server fds %d, extensions %s", label, n,
                        n - c.failed(), c.seconds(), c.failed(), server.openFiles(), gen.negotiatedExtensions());
                int window = Integer.parseInt(opts.get("window"));
                LoadGenerator.Outcome warm = gen.closedLoop(seconds("warmup"), window, probe);
                log("  warm-up %.0f deliveries/s", warm.rate());
                int repeat = Integer.parseInt(opts.get("repeat"));
                List<Row> closed = new ArrayList<>();
                for (int i = 0; i < repeat; i++) {
                    closed.add(Row.of(target, c, gen.closedLoop(seconds("closed"), window, probe)));
                    log("  closed: %s", summary(closed.get(i)));
                }
                List<Row> open = new ArrayList<>();
                for (int i = 0; i < repeat; i++) {
                    open.add(Row.of(target, c, gen.openLoop(Double.parseDouble(opts.get("open-rate")),
                            seconds("open"), 10, probe)));
                    log("  open:   %s", summary(open.get(i)));
                }
                rows.add(median(closed, Row::deliveriesPerSecond));
                rows.add(median(open, r -> r.p99()));
            }
            if (!server.alive()) {
                log("  the server died; see %s", logs);
            }
        }
        return rows;
    }

    /** RSS and live heap per idle connection: both measured after a full GC, before and after N connections. */
    private Row idle(String label, int n) throws Exception {
        try (ServerProcess server = start(label, label.replace('/', '-') + "-idle-" + n)) {
            Target target = target(label, server.base());
            long heap0 = server.heapAfterGc();
            long rss0 = server.usage().rssBytes();
            try (LoadGenerator gen = generator(target)) {
                LoadGenerator.Connected c = gen.connect(n, 200);
                LoadGenerator.Outcome ping = gen.openLoop(n, Duration.ofSeconds(1), 1, LoadGenerator.UsageProbe.NONE);
                long heap1 = server.heapAfterGc();
                long rss1 = server.usage().rssBytes();
                int ok = n - c.failed();
                Row r = new Row(target.name(), target.transport(), ok, "idle", ping.published(), ping.delivered(),
                        0, -1, -1, -1, -1, ping.lost(), ping.duplicates(), ping.publishErrors(),
                        c.failed() + ping.connectionErrors(), c.seconds(), c.p99Millis(), 0, 0, 0, 0,
                        (double) (rss1 - rss0) / Math.max(1, ok), (double) (heap1 - heap0) / Math.max(1, ok), 0);
                log("%s idle n=%d: %s", label, n, summary(r));
                return r;
            }
        }
    }

    private ServerProcess start(String label, String logName) throws Exception {
        String name = label.substring(0, label.indexOf('/'));
        List<String> cmd = new ArrayList<>();
        String cpus = opts.get("server-cpus");
        if (!cpus.isBlank()) {
            cmd.addAll(List.of("taskset", "-c", cpus));
        }
        boolean jvm = name.startsWith("herald") || Target.JAVA_PEERS.contains(name);
        if (name.equals("herald")) {
            cmd.addAll(heraldCommand(opts.get("herald-jvm"), opts.get("jar"), List.of()));
        } else if (name.equals("herald-jakarta")) {
            cmd.addAll(heraldCommand(opts.get("herald-jvm"), opts.get("jar"), List.of("-Dherald.ws.api=jakarta")));
        } else if (jvm) {
            cmd.addAll(javaPeerCommand(opts.get("peer-jvm"), Path.of(opts.get("java-peers")), name));
        } else {
            String script = switch (name) {
                case "ws" -> "ws-server.js";
                case "express-sse" -> "sse-server.js";
                case "socket.io" -> "socketio-server.js";
                default -> throw new IllegalArgumentException("unknown server " + label);
            };
            cmd.addAll(List.of("node", "--expose-gc", Path.of(opts.get("peers"), script).toString(), "--port", "0"));
        }
        return ServerProcess.start(cmd, jvm, logs.resolve(logName + ".log"));
    }

    /**
     * The java command line of a Herald node under load: the standalone runner {@code jar} on a free loopback port
     * with the JVM flags {@code jvmFlags} (space-separated) and the settings {@code extra} ({@code -Dherald.…}).
     */
    static List<String> heraldCommand(String jvmFlags, String jar, List<String> extra) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String flag : jvmFlags.split(" ")) {
            if (!flag.isBlank()) {
                cmd.add(flag);
            }
        }
        // a bench, not a deployment: anonymous publishing everywhere, and no per-client limit, since every load
        // client comes from one loopback address (docs/security.md); the peers have no such checks either
        cmd.addAll(List.of("-Dherald.ticker=false", "-Dherald.admin.feed=false", "-Dherald.anonymous={\"*\":[\"*\"]}",
                "-Dherald.limits.connections-per-address=1000000", "-Dherald.limits.publish-rate=1000000",
                "-Dherald.limits.publish-burst=1000000"));
        cmd.addAll(extra);
        cmd.addAll(List.of("-jar", jar, "--port", "0", "--host", "127.0.0.1"));
        return cmd;
    }

    /**
     * The java command line of the Java peer {@code name} ({@code spring}, {@code vertx}) of {@code dir}
     * ({@code bench/peers-java}) on a free loopback port, with the JVM flags {@code jvmFlags} (space-separated).
     */
    static List<String> javaPeerCommand(String jvmFlags, Path dir, String name) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String flag : jvmFlags.split(" ")) {
            if (!flag.isBlank()) {
                cmd.add(flag);
            }
        }
        cmd.addAll(List.of("-jar", javaPeerJar(dir, name).toString(), "--port", "0", "--host", "127.0.0.1"));
        return cmd;
    }

    /** Where the Java peer {@code name}'s runnable jar is built: {@code DIR/NAME/target/NAME-peer.jar}. */
    static Path javaPeerJar(Path dir, String name) {
        return dir.resolve(name).resolve("target").resolve(name + "-peer.jar");
    }

    /** The run whose {@code metric} is the median of the repeats (the noisy machine's outliers left out). */
    static Row median(List<Row> runs, java.util.function.ToDoubleFunction<Row> metric) {
        List<Row> sorted = new ArrayList<>(runs);
        sorted.sort(java.util.Comparator.comparingDouble(metric));
        return sorted.get(sorted.size() / 2);
    }

    private static Target target(String label, URI base) {
        String[] p = label.split("/");
        if (Target.JAVA_PEERS.contains(p[0])) {
            return Target.javaPeer(p[0], p[1], base);
        }
        return p[0].startsWith("herald") ? Target.herald(p[0], base, p[1]) : Target.peer(p[0], base);
    }

    private Duration seconds(String key) {
        return Duration.ofMillis((long) (Double.parseDouble(opts.get(key)) * 1000));
    }

    private static String summary(Row r) {
        return String.format(java.util.Locale.ROOT,
                "%,.0f deliveries/s p50 %d us p99 %d us max %d us lost %d dup %d errors %d+%d cpu %.2f us/delivery "
                        + "syscw %.3f/delivery rss %.0f B/conn heap %.0f B/conn client cpu %.2f us/delivery",
                r.deliveriesPerSecond(), r.p50(), r.p99(), r.max(), r.lost(), r.duplicates(), r.publishErrors(),
                r.connectionErrors(), r.cpuMicrosPerDelivery(), r.syscallsPerDelivery(), r.rssBytesPerConnection(),
                r.heapBytesPerConnection(), r.clientCpuMicrosPerDelivery());
    }

    private static void log(String format, Object... args) {
        System.out.println(String.format(java.util.Locale.ROOT, format, args));
        System.out.flush();
    }
}
