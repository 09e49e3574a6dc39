package dev.herald.bench;

import java.time.Duration;

import dev.herald.support.RedisServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Redis alone, flat out, for {@link RedisBench}: {@code redis-benchmark} (Debian's {@code redis-tools}) runs Herald's
 * own {@code publish.lua} by EVALSHA against a {@link RedisServer}, and {@link RedisProbe} reads Redis' CPU around it:
 * what one publish costs a Redis, hence what one Redis (one shard) carries.
 */
final class RedisAlone {
    private RedisAlone() {
    }

    /**
     * Redis alone, flat out: {@code redis-benchmark} running Herald's publish script with EVALSHA from 50 clients,
     * each with one command in flight, as Herald nodes' connections would.
     *
     * @param subscribers  pub/sub connections listening on the channel (0: every publish on a random channel of
     *                     10,000, none listening; else one channel and this many {@code redis-cli SUBSCRIBE}s, as
     *                     nodes with subscribers would)
     * @param publishes    scripts run
     * @param perSecond    scripts per second redis-benchmark saw (limited by this machine's 2 shared cores)
     * @param cpuMicros    Redis CPU per script, µs
     * @param cpuShare     Redis CPU over the wall time (1.0: one core busy)
     */
    record Saturation(int subscribers, long publishes, double perSecond, double cpuMicros, double cpuShare) {
    }

    /** {@link Saturation}: redis-benchmark against {@code redis}, Redis' CPU read around it. */
    static Saturation run(RedisServer redis, RedisProbe probe, int subscribers, int publishes)
            throws IOException, InterruptedException {
        // as RedisBroker loads it: floor.lua (the epoch functions) then publish.lua
        String script = "";
        for (String part : new String[] {"floor.lua", "publish.lua"}) {
            try (var in = RedisAlone.class.getResourceAsStream("/dev/herald/engine/redis/" + part)) {
                script += new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            }
        }
        redis.command("SCRIPT", "LOAD", script);
        String sha;
        try {
            sha = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-1")
                    .digest(script.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        String channel = subscribers == 0 ? "{herald:bench-__rand_int__}" : "{herald:bench}";
        List<Process> listeners = new ArrayList<>();
        try {
            for (int i = 0; i < subscribers; i++) {
                listeners.add(new ProcessBuilder(tool("redis-cli"), "-p", Integer.toString(redis.port()),
                        "ssubscribe", "{herald:bench}:live").redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
            }
            awaitSubscribers(probe, subscribers);
            String tail = "\"event\":\"message\",\"ts\":" + System.currentTimeMillis() + ",\"data\":"
                    + Payload.json(1, System.nanoTime()) + "}";
            List<String> cmd = List.of(tool("redis-benchmark"), "-h", "127.0.0.1", "-p",
                    Integer.toString(redis.port()), "-c", "50", "-n", Integer.toString(publishes), "-r", "10000",
                    "--csv", "evalsha", sha, "2", channel + ":meta", channel + ":history", "abcdefgh", tail, "1000",
                    "3600000", "90000000", channel + ":live", "", "0", "", "120000");
            RedisProbe.Snapshot before = probe.snapshot();
            long start = System.nanoTime();
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            p.waitFor();
            double wall = (System.nanoTime() - start) / 1e9;
            RedisProbe.Snapshot cost = probe.snapshot().minus(before);
            double rps = 0;
            for (String line : out.split("\n")) {
                // "evalsha <args>","rps","avg","min","p50","p95","p99","max": the name holds commas, the rest not
                if (line.toLowerCase(java.util.Locale.ROOT).startsWith("\"evalsha")) {
                    String[] f = line.split(",");
                    rps = Double.parseDouble(f[f.length - 7].replace("\"", ""));
                }
            }
            long ran = cost.calls("evalsha");
            if (ran < publishes) {
                throw new IOException("redis-benchmark ran " + ran + " of " + publishes + " scripts: " + out);
            }
            Saturation s = new Saturation(subscribers, ran, rps, cost.cpuSeconds() * 1e6 / ran,
                    cost.cpuSeconds() / wall);
            log("redis alone, %d listening: %,.0f publishes/s, %.2f us Redis CPU each, Redis CPU %.0f%% of a core "
                    + "[%s]", subscribers, rps, s.cpuMicros(), s.cpuShare() * 100, cost.perUnit(ran));
            return s;
        } finally {
            for (Process l : listeners) {
                l.destroy();
                l.waitFor();
            }
        }
    }

    private static void awaitSubscribers(RedisProbe probe, int n) {
        org.awaitility.Awaitility.await(n + " redis-cli subscribers").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(50)).until(() -> probe.numsub("{herald:bench}:live") >= n);
    }

    /** {@code redis-cli} or {@code redis-benchmark} from Debian's package (or the PATH). */
    private static String tool(String name) {
        Path p = Path.of("/usr/bin", name);
        return Files.isExecutable(p) ? p.toString() : name;
    }

    private static void log(String format, Object... args) {
        System.out.println(String.format(java.util.Locale.ROOT, format, args));
        System.out.flush();
    }
}
