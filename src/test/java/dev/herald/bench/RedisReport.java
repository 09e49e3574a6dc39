package dev.herald.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The markdown of a {@link RedisBench} run: the issue 12 targets with their ratios, latency and throughput per
 * engine, what each publish cost Redis, and two nodes against one. {@link #intoDocs} replaces the section of
 * {@code docs/performance.md} between {@code <!-- bench-redis:begin -->} and {@code <!-- bench-redis:end -->}, and
 * leaves the rest of the page (the matrix's generated section included) alone.
 */
final class RedisReport {
    static final String BEGIN = "<!-- bench-redis:begin -->";
    static final String END = "<!-- bench-redis:end -->";
    /** Herald CPU per delivery on Redis may be at most this many times the memory engine's (issue 12). */
    static final double CPU_GOAL = 1.3;
    private final List<RedisBench.Point> points;
    private final List<RedisAlone.Saturation> saturation;
    private final String machine;
    private final String redisVersion;
    private final String command;
    private final String stamp;
    private final int openRate;

    RedisReport(List<RedisBench.Point> points, List<RedisAlone.Saturation> saturation, String machine, String redisVersion, String command, String stamp,
                int openRate) {
        this.points = points;
        this.saturation = saturation;
        this.machine = machine;
        this.redisVersion = redisVersion;
        this.command = command;
        this.stamp = stamp;
        this.openRate = openRate;
    }

    String markdown() {
        StringBuilder b = new StringBuilder();
        String transport = points.isEmpty() ? "ws" : points.get(0).closed().transport();
        b.append("Run ").append(stamp).append(" with `").append(command).append("`: Redis ").append(redisVersion)
                .append(" (no persistence) and the Herald nodes on this machine's loopback; ").append(transport)
                .append(" subscribers on one channel, publishes over HTTP (spread over the nodes when there are two).")
                .append("\n\nMachine: ").append(machine).append(".\n\n");

        b.append("#### Targets (issue 12), ratios measured in this run\n\n");
        b.append("| target | N | memory | redis | ratio | goal | met |\n|---|---|---|---|---|---|---|\n");
        for (RedisBench.Point r : points) {
            if (r.engine().equals("redis") && r.nodes() == 1) {
                double trips = r.roundTripsPerPublish();
                b.append(String.format(Locale.ROOT, "| Redis round trips per publish (client commands / publishes) "
                                + "| %s | | %.3f | | 1 | %s |\n", n(r.closed().subscribers()), trips,
                        met(Math.abs(trips - 1) < 0.01)));
                Optional<RedisBench.Point> memory = find("memory", 1, r.closed().subscribers());
                if (memory.isPresent()) {
                    double m = memory.get().closed().cpuMicrosPerDelivery();
                    double x = r.closed().cpuMicrosPerDelivery();
                    b.append(String.format(Locale.ROOT, "| Herald CPU per delivery, closed loop (µs) | %s | %.2f "
                                    + "| %.2f | %.2fx | <= %.1fx | %s |\n", n(r.closed().subscribers()), m, x,
                            x / m, CPU_GOAL, met(x / m <= CPU_GOAL)));
                    double mo = memory.get().open().cpuMicrosPerDelivery();
                    double xo = r.open().cpuMicrosPerDelivery();
                    b.append(String.format(Locale.ROOT, "| Herald CPU per delivery, open loop at %s deliveries/s "
                                    + "(µs) | %s | %.2f | %.2f | %.2fx | | |\n", n(openRate),
                            n(r.closed().subscribers()), mo, xo, xo / mo));
                }
            }
        }

        b.append("\n#### Latency at a fixed rate (open loop, ").append(n(openRate))
                .append(" deliveries/s, from each message's scheduled send to its arrival)\n\n");
        b.append("| engine | nodes | N | publishes/s | p50 ms | p99 ms | p99.9 ms | max ms | Herald CPU µs/delivery "
                + "| lost | dup | errors |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (RedisBench.Point p : points) {
            Row r = p.open();
            b.append(String.format(Locale.ROOT, "| %s | %d | %s | %s | %.2f | %.2f | %.2f | %.2f | %.2f | %d | %d "
                            + "| %d |\n", p.engine(), p.nodes(), n(r.subscribers()),
                    n(Math.round(r.deliveriesPerSecond() / Math.max(1, r.subscribers()))), r.p50() / 1000.0,
                    r.p99() / 1000.0, r.p999() / 1000.0, r.max() / 1000.0, r.cpuMicrosPerDelivery(), r.lost(),
                    r.duplicates(), r.publishErrors() + r.connectionErrors()));
        }

        b.append("\n#### Throughput (closed loop, at most 32 messages in flight) and what each publish cost Redis\n\n");
        b.append("| engine | nodes | N | deliveries/s | publishes/s | Herald CPU µs/delivery | Herald CPU µs/publish "
                + "| Redis round trips/publish | Redis CPU µs/publish | bytes to Redis/publish | bytes from Redis/publish "
                + "| lost | dup | errors |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (RedisBench.Point p : points) {
            Row r = p.closed();
            long pub = Math.max(1, r.published());
            boolean redis = p.engine().equals("redis");
            b.append(String.format(Locale.ROOT, "| %s | %d | %s | %s | %s | %.2f | %.1f | %s | %s | %s | %s | %d | %d "
                            + "| %d |\n", p.engine(), p.nodes(), n(r.subscribers()), n(Math.round(r.deliveriesPerSecond())),
                    n(Math.round(r.deliveriesPerSecond() / Math.max(1, r.subscribers()))), r.cpuMicrosPerDelivery(),
                    r.cpuSeconds() * 1e6 / pub,
                    redis ? String.format(Locale.ROOT, "%.3f", p.roundTripsPerPublish()) : "",
                    redis ? String.format(Locale.ROOT, "%.1f", p.redisMicrosPerPublish()) : "",
                    redis ? n(Math.round((double) p.closedRedis().netInputBytes() / pub)) : "",
                    redis ? n(Math.round((double) p.closedRedis().netOutputBytes() / pub)) : "",
                    r.lost(), r.duplicates(), r.publishErrors() + r.connectionErrors()));
        }

        b.append("\n#### Redis commands per publish (closed loop, `INFO commandstats` before and after)\n\n");
        b.append("Redis 7 counts the commands a script runs (`redis.call`) like those a client sends, so the "
                + "script's `HGET`, `HINCRBY`, `ZADD`, `ZREMRANGEBYRANK`, `PEXPIRE` (two keys) and `PUBLISH` appear "
                + "beside the `EVALSHA` that ran them; the round trips are the commands a client sent (everything "
                + "but the script's own and the bench's `INFO`).\n\n");
        b.append("| engine | nodes | N | publishes | calls per publish |\n|---|---|---|---|---|\n");
        for (RedisBench.Point p : points) {
            if (p.engine().equals("redis")) {
                RedisProbe.Snapshot s = p.closedRedis();
                b.append(String.format(Locale.ROOT, "| %s | %d | %s | %s | %s |\n", p.engine(), p.nodes(),
                        n(p.closed().subscribers()), n(p.closed().published()),
                        s.perUnit(p.closed().published()).replace("info=", "(bench) info=")));
            }
        }

        b.append("\n#### Two nodes on one Redis against one node (closed loop)\n\n");
        b.append("| N | one node: deliveries/s | two nodes: deliveries/s | ratio | Herald CPU µs/delivery, one | two "
                + "| Redis CPU µs/publish, one | two |\n|---|---|---|---|---|---|---|---|\n");
        for (RedisBench.Point two : points) {
            if (two.nodes() == 2) {
                Optional<RedisBench.Point> one = find("redis", 1, two.closed().subscribers());
                if (one.isPresent()) {
                    Row o = one.get().closed();
                    Row t = two.closed();
                    b.append(String.format(Locale.ROOT, "| %s | %s | %s | %.2fx | %.2f | %.2f | %.1f | %.1f |\n",
                            n(t.subscribers()), n(Math.round(o.deliveriesPerSecond())),
                            n(Math.round(t.deliveriesPerSecond())), t.deliveriesPerSecond() / o.deliveriesPerSecond(),
                            o.cpuMicrosPerDelivery(), t.cpuMicrosPerDelivery(), one.get().redisMicrosPerPublish(),
                            two.redisMicrosPerPublish()));
                }
            }
        }
        if (!saturation.isEmpty()) {
            b.append("\n#### Redis alone, flat out (`redis-benchmark -c 50`: the publish script by EVALSHA, no Herald)\n\n");
            b.append("Redis is single-threaded: the CPU per publish bounds what one Redis (one shard) carries, "
                    + "1,000,000 / µs per publish, whatever this shared machine let redis-benchmark reach.\n\n");
            b.append("| pub/sub connections listening (nodes) | channels | publishes | publishes/s here | Redis CPU "
                    + "µs/publish | Redis CPU, share of one core | one Redis core's bound, publishes/s |\n"
                    + "|---|---|---|---|---|---|---|\n");
            for (RedisAlone.Saturation s : saturation) {
                b.append(String.format(Locale.ROOT, "| %d | %s | %s | %s | %.2f | %.0f%% | %s |\n", s.subscribers(),
                        s.subscribers() == 0 ? "10,000 (random)" : "1", n(s.publishes()),
                        n(Math.round(s.perSecond())), s.cpuMicros(), s.cpuShare() * 100,
                        n(Math.round(1e6 / s.cpuMicros()))));
            }
        }
        return b.toString();
    }

    private Optional<RedisBench.Point> find(String engine, int nodes, int subscribers) {
        return points.stream().filter(p -> p.engine().equals(engine) && p.nodes() == nodes
                && p.closed().subscribers() == subscribers).findFirst();
    }

    /** What the bench prints at the end: the command and the figures. */
    String summary() {
        return "\n" + command + "\n\n" + markdown();
    }

    /** Replaces the Redis section of the docs page (appends it under a heading if the page has none). */
    void intoDocs(Path docs) throws IOException {
        String section = BEGIN + "\n" + markdown() + END;
        String page = Files.readString(docs);
        int from = page.indexOf(BEGIN);
        int to = page.indexOf(END);
        if (from < 0 || to < 0) {
            page = page + "\n## The Redis engine (issue 12)\n\n" + section + "\n";
        } else {
            page = page.substring(0, from) + section + page.substring(to + END.length());
        }
        Files.writeString(docs, page);
    }

    /** {@code redis_version} and the like out of an INFO answer. */
    static String field(String info, String name) {
        for (String line : info.split("\r\n")) {
            if (line.startsWith(name + ":")) {
                return line.substring(name.length() + 1).trim();
            }
        }
        return "?";
    }

    private static String met(boolean ok) {
        return ok ? "yes" : "**no**";
    }

    private static String n(long v) {
        return String.format(Locale.ROOT, "%,d", v);
    }
}
