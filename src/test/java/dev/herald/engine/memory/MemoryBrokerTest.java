package dev.herald.engine.memory;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.core.Broker;
import dev.herald.core.BrokerContractTest;
import dev.herald.core.Retention;
import dev.herald.core.Envelope;
import dev.herald.core.HeraldConfig;
import dev.herald.core.HistoryPage;
import dev.herald.core.Published;
import dev.herald.support.ManualClock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The shared broker contract, plus what only the memory engine does: sweeping idle channels, and its bound on
 * memory ({@code herald.memory.max-bytes}: README, "Configuration"; docs/protocol.md, "Memory").
 */
class MemoryBrokerTest extends BrokerContractTest {
    /** A small bound: a few hundred one-message channels of the size published below. */
    private static final long BOUND = 128 * 1024;
    /** What may pass the bound at most in a single thread: the publish that crossed it (a channel and a message). */
    private static final long MARGIN = 4 * 1024;
    private static final String MESSAGE = "{\"note\":\"" + "x".repeat(200) + "\"}";
    private MemoryBroker bounded;

    @Override
    protected Broker newBroker(Retention retention, ManualClock clock) {
        return new MemoryBroker(retention, HeraldConfig.defaults().memoryMaxBytes(), Duration.ofMinutes(2), clock);
    }

    private MemoryBroker bounded(int historySize) {
        return bounded(historySize, e -> { });
    }

    private MemoryBroker bounded(int historySize, Broker.Listener listener) {
        bounded = new MemoryBroker(historySize, Duration.ofHours(1), BOUND, clock);
        bounded.start(listener);
        return bounded;
    }

    @AfterEach
    void closeBounded() {
        if (bounded != null) {
            bounded.close();
        }
    }

    /** Publishes one message to each of user:from … user:to-1, a millisecond apart; returns the last envelope. */
    private Envelope flood(MemoryBroker b, int from, int to) {
        Envelope last = null;
        for (int i = from; i < to; i++) {
            clock.advance(Duration.ofMillis(1));
            last = b.publish("user:" + i, "message", MESSAGE, clock.millis());
            assertThat(b.usage().bytes()).isLessThanOrEqualTo(BOUND + MARGIN);
        }
        return last;
    }

    @Test
    void anIdempotencyKeyIsRememberedForTheWindowAndCountedInTheMemoryItTakes() {
        MemoryBroker b = new MemoryBroker(100, Duration.ofHours(1), BOUND, Duration.ofMinutes(2), clock);
        b.start(e -> { });
        b.publish("pay", "message", "0", clock.millis());
        long before = b.usage().bytes();
        Published first = b.publish("pay", "message", "1", clock.millis(), "k".repeat(100));
        long withKey = b.usage().bytes();
        assertThat(withKey - before).isGreaterThan(100); // the envelope and the key
        clock.advance(Duration.ofSeconds(119));
        assertThat(b.publish("pay", "message", "2", clock.millis(), "k".repeat(100))).isEqualTo(
                new Published(first.envelope(), true));
        clock.advance(Duration.ofSeconds(2));
        Published later = b.publish("pay", "message", "3", clock.millis(), "k".repeat(100));
        assertThat(later.replayed()).isFalse();
        assertThat(later.envelope().offset()).isEqualTo(3);
        b.close();
    }

    @Test
    void sweepForgetsIdleChannelsWithNothingLeftAndNewUseStartsANewEpoch() {
        MemoryBroker b = new MemoryBroker(10, Duration.ofMinutes(1), clock);
        b.start(e -> { });
        String first = b.publish("idle", "message", "1", clock.millis()).epoch();
        b.subscribe("watched");
        b.publish("watched", "message", "1", clock.millis());
        clock.advance(Duration.ofMinutes(2));

        assertThat(b.sweep()).isEqualTo(1);
        assertThat(b.history("watched", 0, 10).latest()).isEqualTo(1);
        var again = b.publish("idle", "message", "2", clock.millis());
        assertThat(again.offset()).isEqualTo(1);
        assertThat(again.epoch()).isNotEqualTo(first);
        b.close();
    }

    @Test
    void publishingToMoreChannelsThanTheBoundHoldsEvictsTheIdleLongestAndNeverFails() {
        AtomicInteger delivered = new AtomicInteger();
        MemoryBroker b = bounded(100, e -> delivered.incrementAndGet());
        b.subscribe("user:0");

        Envelope last = flood(b, 0, 5_000);

        assertThat(last.offset()).isEqualTo(1);
        Broker.Usage usage = b.usage();
        assertThat(usage.maxBytes()).isEqualTo(BOUND);
        assertThat(usage.bytes()).isPositive().isLessThanOrEqualTo(BOUND + MARGIN);
        assertThat(usage.evictedChannels()).isGreaterThan(4_000);
        assertThat(usage.channels()).isEqualTo(b.channelCount()).isLessThan(1_000);
        assertThat(delivered).hasValue(5_000);
        // the oldest idle channels went first, the newest are kept, and the subscribed one kept its history
        assertThat(b.history("user:1", 0, 10).latest()).isZero();
        assertThat(b.history("user:4999", 0, 10).messages()).hasSize(1);
        assertThat(b.history("user:0", 0, 10).messages()).extracting(Envelope::offset).containsExactly(1L);
    }

    @Test
    void anEvictedChannelStartsANewEpochAtOffsetOne() {
        MemoryBroker b = bounded(100);
        Envelope before = null;
        for (int i = 0; i < 3; i++) {
            before = b.publish("user:old", "message", MESSAGE, clock.millis());
        }
        flood(b, 0, 2_000);

        HistoryPage evicted = b.history("user:old", 0, 10);
        assertThat(evicted.latest()).isZero();
        assertThat(evicted.epoch()).isNotEqualTo(before.epoch());
        Envelope again = b.publish("user:old", "message", MESSAGE, clock.millis());
        assertThat(again.offset()).isEqualTo(1);
        assertThat(again.epoch()).isNotEqualTo(before.epoch());
    }

    @Test
    void whenOnlySubscribedChannelsRemainTheirHistoryGoesButTheirOffsetsStay() {
        MemoryBroker b = bounded(1000);
        for (int i = 0; i < 10; i++) {
            b.subscribe("room:" + i);
        }
        long[] latest = new long[10];
        for (int n = 0; n < 200; n++) {
            for (int i = 0; i < 10; i++) {
                clock.advance(Duration.ofMillis(1));
                latest[i] = b.publish("room:" + i, "message", MESSAGE, clock.millis()).offset();
                assertThat(b.usage().bytes()).isLessThanOrEqualTo(BOUND + MARGIN);
            }
        }
        assertThat(b.usage().evictedChannels()).isPositive();
        for (int i = 0; i < 10; i++) {
            HistoryPage page = b.history("room:" + i, 0, 1000);
            assertThat(page.latest()).isEqualTo(latest[i]).isEqualTo(200);
            assertThat(page.messages().size()).isLessThan(200);
            if (!page.messages().isEmpty()) { // what is kept is the newest, without a hole
                assertThat(page.messages().get(page.messages().size() - 1).offset()).isEqualTo(200);
                assertThat(page.earliest()).isEqualTo(200 - page.messages().size() + 1);
            }
        }
    }

    @Test
    void accountedBytesFollowHistoryAndReturnToZeroWhenEverythingIsForgotten() {
        MemoryBroker b = bounded(3);
        assertThat(b.usage().bytes()).isZero();
        b.publish("a", "message", MESSAGE, clock.millis());
        long one = b.usage().bytes();
        assertThat(one).isGreaterThan(MESSAGE.length());
        for (int i = 0; i < 10; i++) {
            b.publish("a", "note", MESSAGE, clock.millis());
        }
        long three = b.usage().bytes();
        assertThat(three).isGreaterThan(one).isLessThan(one + 3 * (MESSAGE.length() + 200));
        assertThat(b.history("a", 0, 10).messages()).hasSize(3);

        clock.advance(Duration.ofHours(2));
        assertThat(b.sweep()).isEqualTo(1);
        assertThat(b.usage()).isEqualTo(new Broker.Usage(0, BOUND, 0, 0));
    }

    @Test
    void readingAChannelNobodyUsesDoesNotCreateIt() {
        MemoryBroker b = bounded(10);
        HistoryPage page = b.history("nobody", 0, 10);
        assertThat(page.latest()).isZero();
        assertThat(b.channelCount()).isZero();
        assertThat(b.usage().bytes()).isZero();
    }

    @Test
    void historyKeepsEnvelopesWithoutTheirEncodings() {
        MemoryBroker b = bounded(10);
        Envelope live = b.publish("a", "message", "1", clock.millis());
        Object json = live.encoded(e -> new Object());
        Envelope kept = b.history("a", 0, 10).messages().get(0);
        assertThat(kept).isEqualTo(live).isNotSameAs(live);
        java.util.function.Function<Envelope, Object> codec = e -> new Object();
        assertThat(kept.encoded(codec)).isNotSameAs(kept.encoded(codec));
        assertThat(json).isNotNull();
    }
}
