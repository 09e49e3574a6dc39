package dev.herald.engine.memory;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.core.Broker;
import dev.herald.core.BrokerContractTest;
import dev.herald.support.ManualClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The shared broker contract, plus what only the memory engine does (sweeping idle channels). */
class MemoryBrokerTest extends BrokerContractTest {

    @Override
    protected Broker newBroker(int historySize, Duration ttl, ManualClock clock) {
        return new MemoryBroker(historySize, ttl, clock);
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
}
