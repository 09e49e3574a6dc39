package dev.herald.bench;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a {@code redis-server} says about its own work, read with {@code INFO} over a plain socket (RESP, no client
 * library): calls per command ({@code INFO commandstats}), CPU seconds ({@code INFO cpu}), bytes in and out and
 * pub/sub messages sent ({@code INFO stats}). Two snapshots around a phase give what the phase cost Redis.
 *
 * <p>Redis 7 counts a command a Lua script issues ({@code redis.call}) in commandstats like one a client sent: the
 * {@code HINCRBY}, {@code ZADD} and {@code PUBLISH} of Herald's publish script show up once per publish beside the
 * {@code EVALSHA} that carried them. Round trips are therefore the calls of commands only a client can send
 * ({@link Snapshot#clientCalls}); the rest are listed so a reader can check nothing else ran.
 */
final class RedisProbe {
    /** Commands Herald's scripts ({@code publish.lua}, {@code history.lua}) issue from inside Redis. */
    static final java.util.Set<String> SCRIPT_COMMANDS = java.util.Set.of("hget", "hset", "hincrby", "del", "zadd",
            "zremrangebyrank", "zremrangebyscore", "zrangebyscore", "zrange", "zcard", "pexpire", "publish", "exists");
    private final int port;

    RedisProbe(int port) {
        this.port = port;
    }

    /**
     * Redis' counters at one moment.
     *
     * @param calls          calls per command name (lower case), all since Redis started
     * @param cpuSeconds     user+sys CPU of the whole redis-server process
     * @param netInputBytes  bytes received from all clients
     * @param netOutputBytes bytes sent to all clients (replies and pub/sub messages)
     */
    record Snapshot(Map<String, Long> calls, double cpuSeconds, long netInputBytes, long netOutputBytes) {
        /** This minus {@code earlier}, command by command (commands with no new calls left out). */
        Snapshot minus(Snapshot earlier) {
            Map<String, Long> d = new TreeMap<>();
            calls.forEach((k, v) -> {
                long diff = v - earlier.calls.getOrDefault(k, 0L);
                if (diff != 0) {
                    d.put(k, diff);
                }
            });
            return new Snapshot(d, cpuSeconds - earlier.cpuSeconds, netInputBytes - earlier.netInputBytes,
                    netOutputBytes - earlier.netOutputBytes);
        }

        long calls(String command) {
            return calls.getOrDefault(command, 0L);
        }

        /**
         * Calls a client sent over the network: every command but those Herald's scripts issue inside Redis, less the
         * {@code INFO} calls that took the snapshots (one per snapshot: the later one's and its own).
         */
        long clientCalls() {
            long n = 0;
            for (Map.Entry<String, Long> e : calls.entrySet()) {
                if (!SCRIPT_COMMANDS.contains(e.getKey())) {
                    n += e.getValue();
                }
            }
            return n - calls("info");
        }

        /** {@code evalsha=1.00 hincrby=1.00 …}: each command's calls divided by {@code per}. */
        String perUnit(long per) {
            StringBuilder b = new StringBuilder();
            calls.forEach((k, v) -> b.append(b.length() == 0 ? "" : " ").append(k).append('=')
                    .append(String.format(java.util.Locale.ROOT, "%.2f", (double) v / Math.max(1, per))));
            return b.toString();
        }
    }

    /** INFO commandstats, cpu and stats now. */
    Snapshot snapshot() throws IOException {
        Map<String, Long> calls = new TreeMap<>();
        for (String line : info("commandstats").split("\r\n")) {
            // cmdstat_evalsha:calls=12,usec=...
            if (line.startsWith("cmdstat_")) {
                String name = line.substring(8, line.indexOf(':'));
                int at = line.indexOf("calls=") + 6;
                int end = line.indexOf(',', at);
                calls.put(name.toLowerCase(java.util.Locale.ROOT), Long.parseLong(line.substring(at, end)));
            }
        }
        String cpu = info("cpu");
        String stats = info("stats");
        return new Snapshot(calls, field(cpu, "used_cpu_user") + field(cpu, "used_cpu_sys"),
                (long) field(stats, "total_net_input_bytes"), (long) field(stats, "total_net_output_bytes"));
    }

    private static double field(String info, String name) {
        for (String line : info.split("\r\n")) {
            if (line.startsWith(name + ":")) {
                return Double.parseDouble(line.substring(name.length() + 1).trim());
            }
        }
        throw new IllegalStateException("INFO has no " + name);
    }

    /** {@code INFO section}: the bulk string Redis answers. */
    String info(String section) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            String cmd = "*2\r\n$4\r\nINFO\r\n$" + section.length() + "\r\n" + section + "\r\n";
            out.write(cmd.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = new BufferedInputStream(s.getInputStream());
            String head = line(in);
            if (!head.startsWith("$")) {
                throw new IOException("INFO " + section + " answered " + head);
            }
            byte[] body = in.readNBytes(Integer.parseInt(head.substring(1)));
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** {@code PUBSUB NUMSUB channel}: the connections subscribed to it. */
    long numsub(String channel) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(10_000);
            byte[] name = channel.getBytes(StandardCharsets.UTF_8);
            String cmd = "*3\r\n$6\r\nPUBSUB\r\n$6\r\nNUMSUB\r\n$" + name.length + "\r\n" + channel + "\r\n";
            s.getOutputStream().write(cmd.getBytes(StandardCharsets.UTF_8));
            s.getOutputStream().flush();
            InputStream in = new BufferedInputStream(s.getInputStream());
            // *2, $len, the channel, :count
            for (String line = line(in); ; line = line(in)) {
                if (line.startsWith(":")) {
                    return Long.parseLong(line.substring(1));
                }
                if (line.startsWith("-")) {
                    throw new IOException("PUBSUB NUMSUB answered " + line);
                }
            }
        }
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new IOException("Redis closed the connection");
            }
            if (c != '\r') {
                b.write(c);
            }
        }
        return b.toString(StandardCharsets.US_ASCII);
    }
}
