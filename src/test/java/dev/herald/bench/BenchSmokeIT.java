package dev.herald.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.herald.it.HeraldTarget;
import dev.herald.support.RedisServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Keeps the benchmark harness working: 10 subscribers x 10 messages against Herald over each transport, through
 * the same {@link LoadGenerator} that bench/run.sh uses, then the report and chart from the rows. Checks counts
 * (every message delivered once to every subscriber, no errors), never timings. The Redis path of
 * {@code bench/run.sh --redis} too: two nodes on one real {@code redis-server}, subscribers and publishes spread over
 * both, Redis' command counts read around each phase ({@link RedisProbe}), and {@link RedisReport} from the outcome.
 */
class BenchSmokeIT {

    @ParameterizedTest
    @ValueSource(strings = {"ws", "sse"})
    void tenSubscribersGetTenMessagesEachOnce(String transport) throws Exception {
        Target target = Target.herald(HeraldTarget.base(), transport);
        List<Row> rows = new ArrayList<>();
        try (LoadGenerator gen = new LoadGenerator(target)) {
            LoadGenerator.Connected connected = gen.connect(10, 10);
            assertThat(connected.failed()).isZero();

            LoadGenerator.Outcome open = gen.openLoop(1000, Duration.ofMillis(100), 10, LoadGenerator.UsageProbe.NONE);
            assertThat(open.published()).isEqualTo(10);
            assertThat(open.delivered()).isEqualTo(100);
            assertThat(open.lost()).isZero();
            assertThat(open.duplicates()).isZero();
            assertThat(open.publishErrors()).isZero();
            assertThat(open.connectionErrors()).isZero();
            assertThat(open.latency().getTotalCount()).isEqualTo(100);
            rows.add(Row.of(target, connected, open));

            LoadGenerator.Outcome closed = gen.closedLoop(Duration.ofMillis(200), 4, LoadGenerator.UsageProbe.NONE);
            assertThat(closed.published()).isPositive();
            assertThat(closed.delivered()).isEqualTo(closed.published() * 10);
            assertThat(closed.lost()).isZero();
            assertThat(closed.duplicates()).isZero();
            assertThat(closed.publishErrors()).isZero();
            rows.add(Row.of(target, connected, closed));
        }

        String csv = rows.get(0).csv();
        assertThat(Row.parse(csv).csv()).isEqualTo(csv);
        String markdown = new Report(rows, Machine.describe(""), "BenchSmokeIT", "smoke", 1000).markdown("x.svg");
        assertThat(markdown).contains("herald/" + transport).contains("Every row");
        String svg = new SvgChart(rows).svg();
        assertThat(svg).startsWith("<svg").contains("herald/" + transport).endsWith("</svg>\n");
        Path out = Path.of("target", "bench-smoke");
        Files.createDirectories(out);
        Files.writeString(out.resolve(transport + ".md"), markdown);
        Files.writeString(out.resolve(transport + ".svg"), svg);
    }

    @Test
    void twoRedisNodesDeliverEveryMessageOnceInOneRedisRoundTripPerPublish() throws Exception {
        assumeTrue(HeraldTarget.embedded(), "starts Redis and two nodes of its own");
        try (RedisServer redis = new RedisServer();
             HeraldTarget.Standalone a = redisNode(redis, "bench-smoke-redis-a");
             HeraldTarget.Standalone b = redisNode(redis, "bench-smoke-redis-b")) {
            List<Target> targets = new ArrayList<>();
            for (HeraldTarget.Standalone node : List.of(a, b)) {
                Target t = Target.herald(node.base(), "ws");
                targets.add(new Target("herald-redis-2-nodes", t.transport(), t.dialect(), t.subscribe(),
                        t.publish()));
            }
            RedisProbe probe = new RedisProbe(redis.port());
            try (LoadGenerator gen = new LoadGenerator(targets)) {
                LoadGenerator.Connected connected = gen.connect(10, 10);
                assertThat(connected.failed()).isZero();

                RedisProbe.Snapshot before = probe.snapshot();
                LoadGenerator.Outcome open = gen.openLoop(1000, Duration.ofMillis(100), 10,
                        LoadGenerator.UsageProbe.NONE);
                RedisProbe.Snapshot openCost = probe.snapshot().minus(before);
                assertThat(open.published()).isEqualTo(10);
                assertThat(open.delivered()).isEqualTo(100);
                assertThat(open.lost() + open.duplicates() + open.publishErrors() + open.connectionErrors()).isZero();
                // one command from a client per publish (the EVALSHA), and the script's one SPUBLISH reaching both nodes
                assertThat(openCost.clientCalls()).as(openCost.perUnit(1)).isEqualTo(10);
                assertThat(openCost.calls("evalsha")).isEqualTo(10);
                assertThat(openCost.calls("spublish")).isEqualTo(10);

                before = probe.snapshot();
                LoadGenerator.Outcome closed = gen.closedLoop(Duration.ofMillis(200), 4, LoadGenerator.UsageProbe.NONE);
                RedisProbe.Snapshot closedCost = probe.snapshot().minus(before);
                assertThat(closed.published()).isPositive();
                assertThat(closed.delivered()).isEqualTo(closed.published() * 10);
                assertThat(closed.lost() + closed.duplicates() + closed.publishErrors()).isZero();
                assertThat(closedCost.clientCalls()).as(closedCost.perUnit(1)).isEqualTo(closed.published());

                RedisBench.Point point = new RedisBench.Point("redis", 2, Row.of(targets.get(0), connected, closed),
                        closedCost, Row.of(targets.get(0), connected, open), openCost);
                assertThat(point.roundTripsPerPublish()).isEqualTo(1.0);
                String markdown = new RedisReport(List.of(point), List.of(), Machine.describe(""), "7", "BenchSmokeIT", "smoke",
                        1000).markdown();
                assertThat(markdown).contains("| redis | 2 | 10 |").contains("evalsha=1.00");
                Path out = Path.of("target", "bench-smoke");
                Files.createDirectories(out);
                Files.writeString(out.resolve("redis.md"), markdown);
            }
            // Redis alone, as bench/run.sh --redis runs it (random channels, none of them the nodes')
            RedisAlone.Saturation alone = RedisAlone.run(redis, probe, 0, 1000);
            assertThat(alone.publishes()).isEqualTo(1000);
            assertThat(alone.perSecond()).isPositive();
        }
    }

    private static HeraldTarget.Standalone redisNode(RedisServer redis, String name) {
        // no admin feed: its snapshot publishes would be Redis commands of their own in the counts
        return HeraldTarget.startAnother(name, "-Dherald.admin.feed=false", "-Dherald.engine=redis",
                "-Dherald.redis.url=" + redis.url(),
                "-Dherald.ticker=false");
    }
}
