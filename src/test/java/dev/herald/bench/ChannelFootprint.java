package dev.herald.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a channel costs in the memory engine (docs/performance.md, "Memory per channel"). Not a test: a main class.
 *
 * <p>Starts the standalone runner ({@code target/herald-standalone.jar}) with {@code -Xmx512m}, publishes one
 * notification of about 250 bytes to each of {@code --channels} distinct {@code user:N} channels over HTTP, and
 * reports the live heap after a full GC (jcmd) divided by the channels. Then, with {@code --fill N}, goes on
 * publishing to new channels up to N in all, reading {@code GET /api/stats} after each step, and reports how many
 * channels the node held when it first evicted, the live heap at the end, and any publish that failed.
 *
 * <pre>
 * mvn -q -B -ntp package -DskipTests
 * mvn -q -B -ntp dependency:build-classpath -Dmdep.outputFile=target/bench.cp -Dmdep.includeScope=test
 * java -cp target/test-classes:target/classes:$(cat target/bench.cp) dev.herald.bench.ChannelFootprint \
 *     --channels 100000 --fill 1000000
 * </pre>
 * Options: {@code --jar target/herald-standalone.jar}, {@code --heap 512m}, {@code --threads 8}, {@code --step 20000}, {@code --server-opt -Dkey=value}
 * (repeatable, passed to the server's JVM).
 */
public final class ChannelFootprint {
    private static final Pattern NUMBER = Pattern.compile("\"(\\w+)\":(-?\\d+)");

    private ChannelFootprint() {
    }

    public static void main(String[] args) throws Exception {
        int channels = 100_000;
        long fill = 0;
        String heap = "512m";
        int threads = 8;
        int step = 20_000;
        Path jar = Path.of("target/herald-standalone.jar");
        List<String> serverOpts = new ArrayList<>();
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--channels" -> channels = Integer.parseInt(args[i + 1]);
                case "--fill" -> fill = Long.parseLong(args[i + 1]);
                case "--heap" -> heap = args[i + 1];
                case "--threads" -> threads = Integer.parseInt(args[i + 1]);
                case "--step" -> step = Integer.parseInt(args[i + 1]);
                case "--server-opt" -> serverOpts.add(args[i + 1]);
                case "--jar" -> jar = Path.of(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Path log = Path.of("target/bench-footprint-" + ProcessHandle.current().pid() + ".log"); // one per run
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx" + heap, "-Dherald.ticker=false"));
        cmd.addAll(serverOpts);
        cmd.addAll(List.of("-jar", jar.toString(), "--port", "0", "--host", "127.0.0.1"));
        System.out.println("server: " + String.join(" ", cmd));
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try (ServerProcess server = ServerProcess.start(cmd, true, log)) {
            Publisher publisher = new Publisher(server.base(), pool, threads);
            publisher.warmUp();
            long heap0 = server.heapAfterGc();
            System.out.printf("live heap before: %,d B; stats %s%n", heap0, publisher.stats());

            long t0 = System.nanoTime();
            publisher.publish(0, channels);
            long heap1 = server.heapAfterGc();
            String stats = publisher.stats();
            System.out.printf("%,d one-message channels in %.1f s, %d failed publishes%n", channels,
                    (System.nanoTime() - t0) / 1e9, publisher.failed.get());
            System.out.printf("live heap after: %,d B; growth %,d B = %.0f B per channel%n", heap1, heap1 - heap0,
                    (double) (heap1 - heap0) / channels);
            Long accounted = field(stats, "bytes");
            if (accounted != null) {
                System.out.printf("engine's accounted bytes %,d = %.0f B per channel; stats %s%n", accounted,
                        (double) accounted / channels, stats);
            }

            long firstEviction = -1;
            long heldAtEviction = -1;
            for (long done = channels; done < fill && server.alive(); done += step) {
                long to = Math.min(fill, done + step);
                publisher.publish(done, to);
                stats = publisher.stats();
                Long evicted = field(stats, "evictedChannels");
                if (firstEviction < 0 && evicted != null && evicted > 0) {
                    firstEviction = to;
                    heldAtEviction = field(stats, "channels");
                    System.out.printf("first eviction by %,d channels published; %,d held then; stats %s%n", to,
                            heldAtEviction, stats);
                }
                System.out.printf("%,d channels published, %d failed; stats %s%n", to, publisher.failed.get(), stats);
                if (publisher.failed.get() > 0 && stats == null) {
                    break;
                }
            }
            if (fill > channels) {
                String end = server.alive() ? String.format("%,d B", server.heapAfterGc()) : "server died";
                System.out.printf("after %,d channels: live heap %s, %d failed publishes, OutOfMemoryError in log: "
                        + "%s%n", fill, end, publisher.failed.get(), Files.readString(log).contains("OutOfMemoryError"));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static Long field(String json, String name) {
        if (json == null) {
            return null;
        }
        int memory = json.indexOf("\"memory\"");
        Matcher m = NUMBER.matcher(json);
        // "channels" appears twice (node's active channels, then memory.channels): prefer the memory object's
        while (m.find(memory < 0 ? 0 : memory)) {
            if (m.group(1).equals(name)) {
                return Long.parseLong(m.group(2));
            }
            memory = m.end();
        }
        return null;
    }

    /** Publishes one notification to each of a range of {@code user:N} channels from a few threads. */
    private static final class Publisher {
        private final URI base;
        private final ExecutorService pool;
        private final int threads;
        private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        final AtomicLong failed = new AtomicLong();

        Publisher(URI base, ExecutorService pool, int threads) {
            this.base = base;
            this.pool = pool;
            this.threads = threads;
        }

        /** About 250 bytes of JSON, different per channel, as a notification to one user would be. */
        static String body(long n) {
            String s = "{\"type\":\"notification\",\"id\":" + n + ",\"title\":\"You have a new follower\","
                    + "\"body\":\"Someone started following you. Open the app to see who and follow back.\","
                    + "\"url\":\"/users/" + n + "/followers\",\"unread\":3,\"pad\":\"";
            return s + "x".repeat(Math.max(0, 248 - s.length())) + "\"}";
        }

        void warmUp() throws Exception {
            publish(-2_000, 0); // warm channels, then forgotten: not counted (user:-N)
        }

        void publish(long from, long to) throws Exception {
            AtomicLong next = new AtomicLong(from);
            List<Future<?>> running = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                running.add(pool.submit(() -> {
                    for (long n; (n = next.getAndIncrement()) < to; ) {
                        HttpRequest r = HttpRequest.newBuilder(base.resolve("api/messages?channel=user:" + n))
                                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
                                .POST(HttpRequest.BodyPublishers.ofString(body(n))).build();
                        try {
                            if (http.send(r, HttpResponse.BodyHandlers.discarding()).statusCode() != 201) {
                                failed.incrementAndGet();
                            }
                        } catch (java.io.IOException e) {
                            failed.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : running) {
                f.get(1, TimeUnit.HOURS);
            }
        }

        /** {@code GET /api/stats}, or null if the server does not answer. */
        String stats() {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("api/stats"))
                        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
                return r.body();
            } catch (Exception e) {
                return null;
            }
        }
    }
}
