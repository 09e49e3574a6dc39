package dev.herald.bench;

import dev.herald.support.RedisServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The Redis engine next to the memory engine, in one run ({@code bench/run.sh --redis}): first Redis alone, flat out
 * ({@link RedisAlone}); then, for each subscriber count, a fresh Herald node on the memory engine, a fresh node on the
 * Redis engine, and two fresh Redis-engine nodes with the subscribers and the publishes spread over both, each Redis
 * setup on a {@code redis-server} of its own ({@link RedisServer}: Debian's, no persistence, a free loopback port),
 * the setups taking turns phase by phase. Each point: a warm-up, closed-loop repeats (deliveries/s,
 * Herald CPU per delivery) and open-loop repeats at a fixed delivery rate (publish-to-deliver latency), the median
 * repeat kept as in {@link Matrix}; around every repeat, Redis' own counters ({@link RedisProbe}: commands per
 * publish, which give the round trips, Redis CPU and bytes per publish). Writes {@code <out>/<date>-redis.csv} and
 * {@code .md}, and the section between {@code <!-- bench-redis:begin -->} and {@code <!-- bench-redis:end -->} of
 * the docs page.
 *
 * <p>Options (all optional): {@code --sizes 10,100,1000 --two-nodes 100,1000 --transport ws --warmup 4 --closed 4
 * --open 4 --repeat 3 --open-rate 10000 --window 32 --herald-jvm "…" --jar target/herald-standalone.jar
 * --saturation 200000 (scripts redis-benchmark runs; 0: none) --jfr DIR (a JFR profile of every node into DIR)
 * --out bench/results --docs docs/performance.md --command "bench/run.sh --redis"}.
 */
public final class RedisBench {
    private final Map<String, String> opts;
    private final Path logs = Path.of("target", "bench-logs");

    /** One engine at one point: the median closed-loop and open-loop repeats, and what each cost Redis. */
    record Point(String engine, int nodes, Row closed, RedisProbe.Snapshot closedRedis, Row open,
                 RedisProbe.Snapshot openRedis) {
        /** Commands clients sent Redis per publish in the closed loop: its round trips per publish. */
        double roundTripsPerPublish() {
            return (double) closedRedis.clientCalls() / Math.max(1, closed.published());
        }

        /** Redis CPU per publish in the closed loop, µs. */
        double redisMicrosPerPublish() {
            return closedRedis.cpuSeconds() * 1e6 / Math.max(1, closed.published());
        }
    }

    /** One repeat: the row and what it cost Redis. */
    private record Measured(Row row, RedisProbe.Snapshot redis) {
    }

    private RedisBench(Map<String, String> opts) throws IOException {
        this.opts = opts;
        Files.createDirectories(logs);
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new LinkedHashMap<>();
        opts.put("sizes", "10,100,1000");
        opts.put("two-nodes", "100,1000");
        opts.put("transport", "ws");
        opts.put("warmup", "4");
        opts.put("closed", "4");
        opts.put("open", "4");
        opts.put("repeat", "3");
        opts.put("open-rate", "10000");
        opts.put("window", "32");
        opts.put("saturation", "200000");
        opts.put("jfr", "");
        opts.put("herald-jvm", "-XX:+UseParallelGC -Xmx1g -XX:MaxNewSize=64m -Xss512k");
        opts.put("jar", "target/herald-standalone.jar");
        opts.put("out", "bench/results");
        opts.put("docs", "");
        opts.put("command", "bench/run.sh --redis");
        for (int i = 0; i + 1 < args.length; i += 2) {
            String key = args[i].replaceFirst("^--", "");
            if (!opts.containsKey(key)) {
                throw new IllegalArgumentException("unknown option " + args[i]);
            }
            opts.put(key, args[i + 1]);
        }
        // interrupted (Ctrl-C, kill): take the nodes and redis-servers this run started down with it
        Runtime.getRuntime().addShutdownHook(new Thread(
                () -> ProcessHandle.current().descendants().forEach(ProcessHandle::destroy)));
        new RedisBench(opts).run();
    }

    private void run() throws Exception {
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd-HHmm"));
        Path out = Path.of(opts.get("out"));
        Files.createDirectories(out);
        Path csv = out.resolve(stamp + "-redis.csv");
        Files.writeString(csv, Row.HEADER + ",redis_client_calls_per_publish,redis_cpu_us_per_publish,"
                + "redis_in_bytes_per_publish,redis_out_bytes_per_publish\n");
        List<Point> points = new ArrayList<>();
        List<RedisAlone.Saturation> saturation = new ArrayList<>();
        String redisVersion;
        try (RedisServer alone = new RedisServer()) {
            RedisProbe probe = new RedisProbe(alone.port());
            redisVersion = RedisReport.field(probe.info("server"), "redis_version");
            for (int subscribers : Integer.parseInt(opts.get("saturation")) > 0 ? new int[] {0, 2} : new int[0]) {
                alone.flushAll();
                saturation.add(RedisAlone.run(alone, probe, subscribers, Integer.parseInt(opts.get("saturation"))));
            }
        }
        List<String> twoNodes = List.of(opts.get("two-nodes").split(","));
        for (String size : opts.get("sizes").split(",")) {
            for (Point p : compare(Integer.parseInt(size.trim()), twoNodes.contains(size.trim()))) {
                points.add(p);
                append(csv, p.closed(), p.closedRedis());
                append(csv, p.open(), p.openRedis());
            }
        }
        RedisReport report = new RedisReport(points, saturation, Machine.describe(""), redisVersion,
                opts.get("command"), stamp, Integer.parseInt(opts.get("open-rate")));
        Files.writeString(out.resolve(stamp + "-redis.md"), report.markdown());
        if (!opts.get("docs").isBlank()) {
            report.intoDocs(Path.of(opts.get("docs")));
        }
        System.out.println(report.summary());
        System.out.println("wrote " + csv + " and its .md");
    }

    private static void append(Path csv, Row r, RedisProbe.Snapshot s) throws IOException {
        long p = Math.max(1, r.published());
        Files.writeString(csv, r.csv() + "," + Row.f((double) s.clientCalls() / p) + ","
                + Row.f(s.cpuSeconds() * 1e6 / p) + "," + Row.f((double) s.netInputBytes() / p) + ","
                + Row.f((double) s.netOutputBytes() / p) + "\n", StandardOpenOption.APPEND);
    }

    /**
     * {@code n} subscribers on each setup at once (a memory node, a Redis node, and two Redis nodes if asked; each
     * Redis setup on a Redis of its own, since pub/sub ignores databases), then the phases taking turns between the
     * setups, so that the machine's neighbours and the JIT weigh on every setup alike.
     */
    private List<Point> compare(int n, boolean twoNodes) throws Exception {
        List<Setup> setups = new ArrayList<>();
        try {
            setups.add(new Setup("memory", 1, n));
            setups.add(new Setup("redis", 1, n));
            if (twoNodes) {
                setups.add(new Setup("redis", 2, n));
            }
            for (Setup s : setups) {
                s.connect();
            }
            for (Setup s : setups) {
                s.warmUp();
            }
            int repeat = Integer.parseInt(opts.get("repeat"));
            for (int i = 0; i < repeat; i++) {
                for (Setup s : setups) {
                    s.closed();
                }
            }
            for (int i = 0; i < repeat; i++) {
                for (Setup s : setups) {
                    s.open();
                }
            }
            List<Point> points = new ArrayList<>();
            for (Setup s : setups) {
                points.add(s.point());
            }
            return points;
        } finally {
            for (Setup s : setups) {
                s.close();
            }
        }
    }

    /** One engine on fresh nodes (and its own Redis), its subscribers, and its repeats so far. */
    private final class Setup implements AutoCloseable {
        private final String engine;
        private final int nodes;
        private final int n;
        private final String name;
        private final RedisServer redis;
        private final RedisProbe probe;
        private final List<ServerProcess> servers = new ArrayList<>();
        private final List<Target> targets = new ArrayList<>();
        private final List<Measured> closed = new ArrayList<>();
        private final List<Measured> open = new ArrayList<>();
        private LoadGenerator gen;
        private LoadGenerator.Connected connected;

        Setup(String engine, int nodes, int n) throws Exception {
            this.engine = engine;
            this.nodes = nodes;
            this.n = n;
            this.name = "herald-" + engine + (nodes > 1 ? "-" + nodes + "-nodes" : "");
            this.redis = engine.equals("redis") ? new RedisServer() : null;
            this.probe = redis == null ? null : new RedisProbe(redis.port());
            try {
                startNodes();
            } catch (Exception | Error e) {
                close();
                throw e;
            }
        }

        private void startNodes() throws Exception {
            for (int i = 0; i < nodes; i++) {
                List<String> extra = redis == null ? List.of()
                        // a 10 s command timeout instead of 2 s: on this shared machine a burst of 200 subscribes
                        // can keep Redis' answers waiting longer than 2 s, and a refused subscribe spoils a point
                        : List.of("-Dherald.engine=redis", "-Dherald.redis.url=" + redis.url(),
                                "-Dherald.redis.timeout=10s");
                String node = name + "-" + n + "-" + (char) ('a' + i);
                String jvm = opts.get("herald-jvm");
                if (!opts.get("jfr").isBlank()) { // a profile of each node, written when the node stops
                    jvm += " -XX:StartFlightRecording=settings=profile,dumponexit=true,filename="
                            + Path.of(opts.get("jfr"), node + ".jfr").toAbsolutePath();
                }
                ServerProcess s = ServerProcess.start(Matrix.heraldCommand(jvm, opts.get("jar"), extra), true,
                        logs.resolve(node + ".log"));
                servers.add(s);
                Target t = Target.herald(s.base(), opts.get("transport"));
                targets.add(new Target(name, t.transport(), t.dialect(), t.subscribe(), t.publish()));
            }
        }

        /** CPU, write syscalls and RSS of all this setup's nodes together. */
        private ServerProcess.Usage usage() {
            long cpu = 0;
            long syscw = 0;
            long rss = 0;
            for (ServerProcess s : servers) {
                ServerProcess.Usage u = s.usage();
                cpu += u.cpuNanos();
                syscw += u.writeSyscalls();
                rss += u.rssBytes();
            }
            return new ServerProcess.Usage(cpu, syscw, rss);
        }

        private RedisProbe.Snapshot snapshot() throws IOException {
            return probe == null ? new RedisProbe.Snapshot(Map.of(), 0, 0, 0) : probe.snapshot();
        }

        void connect() throws Exception {
            gen = new LoadGenerator(targets);
            connected = gen.connect(n, 200);
            log("%s n=%d: %d subscribed in %.1f s (%d failed)", name, n, n - connected.failed(), connected.seconds(),
                    connected.failed());
        }

        void warmUp() {
            LoadGenerator.Outcome warm = gen.closedLoop(seconds("warmup"), window(), this::usage);
            log("%s n=%d warm-up %.0f deliveries/s", name, n, warm.rate());
        }

        void closed() throws IOException {
            RedisProbe.Snapshot before = snapshot();
            LoadGenerator.Outcome o = gen.closedLoop(seconds("closed"), window(), this::usage);
            Measured m = new Measured(Row.of(targets.get(0), connected, o), snapshot().minus(before));
            closed.add(m);
            log("%s n=%d closed: %s", name, n, summary(m));
        }

        void open() throws IOException {
            RedisProbe.Snapshot before = snapshot();
            LoadGenerator.Outcome o = gen.openLoop(Double.parseDouble(opts.get("open-rate")), seconds("open"), 10,
                    this::usage);
            Measured m = new Measured(Row.of(targets.get(0), connected, o), snapshot().minus(before));
            open.add(m);
            log("%s n=%d open:   %s", name, n, summary(m));
        }

        Point point() {
            for (ServerProcess s : servers) {
                if (!s.alive()) {
                    log("  a node of %s died; see %s", name, logs);
                }
            }
            Measured mc = median(closed, r -> r.row().deliveriesPerSecond());
            Measured mo = median(open, r -> r.row().p99());
            return new Point(engine, nodes, mc.row(), mc.redis(), mo.row(), mo.redis());
        }

        private int window() {
            return Integer.parseInt(opts.get("window"));
        }

        @Override
        public void close() {
            if (gen != null) {
                gen.close();
            }
            for (ServerProcess s : servers) {
                s.close();
            }
            if (redis != null) {
                redis.close();
            }
        }
    }

    private static Measured median(List<Measured> runs, ToDoubleFunction<Measured> metric) {
        List<Measured> sorted = new ArrayList<>(runs);
        sorted.sort(Comparator.comparingDouble(metric));
        return sorted.get(sorted.size() / 2);
    }

    private Duration seconds(String key) {
        return Duration.ofMillis((long) (Double.parseDouble(opts.get(key)) * 1000));
    }

    private static String summary(Measured m) {
        Row r = m.row();
        long p = Math.max(1, r.published());
        return String.format(java.util.Locale.ROOT,
                "%,.0f deliveries/s %d publishes p50 %d us p99 %d us lost %d dup %d errors %d+%d "
                        + "herald cpu %.2f us/delivery; redis: %.2f client calls/publish, %.1f us cpu/publish [%s]",
                r.deliveriesPerSecond(), r.published(), r.p50(), r.p99(), r.lost(), r.duplicates(), r.publishErrors(),
                r.connectionErrors(), r.cpuMicrosPerDelivery(), (double) m.redis().clientCalls() / p,
                m.redis().cpuSeconds() * 1e6 / p, m.redis().perUnit(p));
    }

    private static void log(String format, Object... args) {
        System.out.println(String.format(java.util.Locale.ROOT, format, args));
        System.out.flush();
    }
}
