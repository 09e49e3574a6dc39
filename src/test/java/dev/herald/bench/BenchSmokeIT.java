package dev.herald.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.it.HeraldTarget;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Keeps the benchmark harness working: 10 subscribers x 10 messages against Herald over each transport, through
 * the same {@link LoadGenerator} that bench/run.sh uses, then the report and chart from the rows. Checks counts
 * (every message delivered once to every subscriber, no errors), never timings.
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
}
