package dev.herald.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.herald.engine.memory.MemoryBroker;
import dev.herald.security.AllowAllAuthorizer;
import dev.herald.security.Caller;
import dev.herald.support.ManualClock;
import dev.herald.support.RecordingTransport;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The memory bound seen through the bus (docs/protocol.md, "Memory"): publishers never see an error, a channel whose
 * history was evicted resumes with the reset gap, and a channel with a subscriber keeps its history.
 */
class BusMemoryTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final long BOUND = 64 * 1024;
    private static final String NOTE = "x".repeat(200);
    private final ManualClock clock = new ManualClock(1_700_000_000_000L);
    private final HeraldConfig config = HeraldConfig.from(Map.of("herald.memory.max-bytes", "64k")::get);
    private final Bus bus = new Bus(config,
            new MemoryBroker(config.historySize(), config.historyTtl(), config.memoryMaxBytes(), clock),
            new AllowAllAuthorizer(), clock);

    @AfterEach
    void stop() {
        bus.stop();
    }

    private RecordingTransport subscribe(String channel, Long since, String epoch) {
        RecordingTransport t = RecordingTransport.recording();
        bus.subscribe(bus.connect(Caller.SYSTEM, t), channel, since, epoch, "r1");
        return t;
    }

    private void flood(int channels) {
        for (int i = 0; i < channels; i++) {
            clock.advance(Duration.ofMillis(1));
            Envelope e = bus.publish("user:" + i, null, Map.of("note", NOTE));
            assertThat(e.offset()).isEqualTo(1);
        }
    }

    @Test
    void evictedChannelsResumeWithAResetGapAndSubscribedChannelsKeepTheirHistory() {
        Envelope forgotten = null;
        for (int i = 0; i < 3; i++) {
            forgotten = bus.publish("user:first", null, Map.of("n", i));
        }
        RecordingTransport live = subscribe("room:kept", null, null);
        Envelope kept = bus.publish("room:kept", null, Map.of("n", 1));

        flood(2_000);

        Broker.Usage usage = bus.memory();
        assertThat(usage.maxBytes()).isEqualTo(BOUND);
        assertThat(usage.bytes()).isLessThanOrEqualTo(BOUND + 4 * 1024);
        assertThat(usage.evictedChannels()).isPositive();

        // the client had seen offset 3 of the old epoch: told of the reset, not left with a silent hole
        RecordingTransport withEpoch = subscribe("user:first", 3L, forgotten.epoch());
        RecordingTransport withoutEpoch = subscribe("user:first", 3L, null);
        for (RecordingTransport t : new RecordingTransport[] {withEpoch, withoutEpoch}) {
            await().atMost(WAIT).until(() -> t.written().size() >= 2);
            Gap gap = (Gap) t.written().get(1);
            assertThat(gap.reset()).isTrue();
            assertThat(gap.epoch()).isNotEqualTo(forgotten.epoch());
            assertThat(gap.earliest()).isEqualTo(1);
        }
        bus.publish("user:first", null, Map.of("n", "again"));
        await().atMost(WAIT).until(() -> withEpoch.envelopes().size() == 1);
        assertThat(withEpoch.offsets()).containsExactly(1L);

        // the channel with a live subscriber kept its history: resuming there replays it, no gap
        RecordingTransport resumed = subscribe("room:kept", 0L, kept.epoch());
        await().atMost(WAIT).until(() -> resumed.envelopes().size() == 1);
        assertThat(resumed.written()).noneMatch(Gap.class::isInstance);
        assertThat(resumed.envelopes().get(0)).isEqualTo(kept);
        await().atMost(WAIT).until(() -> live.envelopes().size() == 1);
    }
}
