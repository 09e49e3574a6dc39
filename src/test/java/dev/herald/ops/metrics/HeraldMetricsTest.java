package dev.herald.ops.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.herald.core.Bus;
import dev.herald.core.HeraldConfig;
import dev.herald.engine.memory.MemoryBroker;
import dev.herald.ops.OpsProbe;
import dev.herald.security.AllowAllAuthorizer;
import dev.herald.security.Caller;
import dev.herald.support.ManualClock;
import dev.herald.support.RecordingTransport;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * docs/operations.md, "Metrics": what the slow-consumer policies did ({@code herald_slow_consumer_behind_total},
 * {@code herald_slow_consumer_skipped_total}) is counted exactly, through the {@code OpsProbe} the core reports to, by
 * a bus with the memory engine and recording transports (a paused one is a subscriber that fell behind). No sockets.
 */
class HeraldMetricsTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private Bus bus;
    private HeraldMetrics metrics;

    private void start(Map<String, String> settings) {
        HeraldConfig config = HeraldConfig.from(settings::get);
        bus = new Bus(config, new MemoryBroker(config.historySize(), config.historyTtl(),
                new ManualClock(1_700_000_000_000L)), new AllowAllAuthorizer());
        metrics = new HeraldMetrics(bus, "memory");
        bus.observe(new OpsProbe(metrics));
    }

    @AfterEach
    void stop() {
        if (bus != null) {
            bus.stop();
        }
        if (metrics != null) {
            metrics.close();
        }
    }

    /** A subscriber whose first write is held until {@link RecordingTransport#resume}. */
    private RecordingTransport paused(String channel, Long since) {
        RecordingTransport t = RecordingTransport.paused();
        bus.subscribe(bus.connect(Caller.SYSTEM, t), channel, since, null, "r1");
        await().atMost(WAIT).until(() -> !t.written().isEmpty());
        return t;
    }

    /** The value of one sample of the scrape; fails when it is absent. */
    private double sample(String name, String policy) {
        return sample(name, policy, "recording");
    }

    private double sample(String name, String policy, String transport) {
        String labels = "{policy=\"" + policy + "\",transport=\"" + transport + "\"}";
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name + labels) + " (\\S+)$").matcher(metrics.scrape());
        assertThat(m.find()).as(name + labels + " in the scrape").isTrue();
        return Double.parseDouble(m.group(1));
    }

    @Test
    void everyEnvelopeConflatedAwayFromAPausedSubscriberIsCounted() {
        start(Map.of("herald.namespaces", "prices", "herald.ns.prices.slow-consumer", "conflate",
                "herald.ns.prices.conflate-key", "data.symbol"));
        RecordingTransport slow = paused("prices:all", null);
        String[] symbols = {"A", "B", "C"};
        for (int i = 1; i <= 300; i++) {
            bus.publish("prices:all", "price", Map.of("symbol", symbols[i % 3], "price", i));
        }
        slow.resume();
        await().atMost(WAIT).until(() -> slow.offsets().contains(300L));

        List<Long> got = slow.offsets();
        assertThat(got.size()).isLessThan(300);
        assertThat(slow.closeReason()).isNull();
        // each envelope it was offered is either written to it or superseded by a later one of its symbol
        assertThat(sample("herald_slow_consumer_skipped_total", "conflate")).isEqualTo(300.0 - got.size());
        assertThat(sample("herald_slow_consumer_behind_total", "conflate")).isGreaterThanOrEqualTo(1.0);
        // every transport's counters are there from the start, at 0 until a policy acts
        assertThat(sample("herald_slow_consumer_skipped_total", "drop-oldest", "ws")).isZero();
        assertThat(sample("herald_slow_consumer_behind_total", "conflate", "sse")).isZero();
    }

    @Test
    void aResumeFarBehindOnAConflatingChannelCountsTheReplayConflatedAway() {
        start(Map.of("herald.namespaces", "prices", "herald.ns.prices.slow-consumer", "conflate"));
        for (int i = 1; i <= 60; i++) {
            bus.publish("prices:x", "price", i);
        }
        RecordingTransport resumed = paused("prices:x", 0L);
        resumed.resume();
        await().atMost(WAIT).until(() -> resumed.offsets().contains(60L));
        assertThat(resumed.offsets()).containsExactly(60L);
        assertThat(sample("herald_slow_consumer_skipped_total", "conflate")).isEqualTo(59.0);
        assertThat(sample("herald_slow_consumer_behind_total", "conflate")).isEqualTo(1.0);
    }

    @Test
    void everyEnvelopeDroppedAsTheOldestIsCounted() {
        start(Map.of("herald.subscriber.queue", "16", "herald.namespaces", "feed",
                "herald.ns.feed.slow-consumer", "drop-oldest"));
        RecordingTransport slow = paused("feed:x", null);
        for (int i = 1; i <= 200; i++) {
            bus.publish("feed:x", null, i);
        }
        slow.resume();
        await().atMost(WAIT).until(() -> slow.offsets().contains(200L));

        List<Long> got = slow.offsets();
        assertThat(got.size()).isLessThan(200);
        assertThat(slow.closeReason()).isNull();
        assertThat(sample("herald_slow_consumer_skipped_total", "drop-oldest")).isEqualTo(200.0 - got.size());
        assertThat(sample("herald_slow_consumer_behind_total", "drop-oldest")).isGreaterThanOrEqualTo(1.0);
        assertThat(sample("herald_slow_consumer_skipped_total", "conflate", "poll")).isZero();
    }
}
