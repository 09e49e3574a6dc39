package dev.herald.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.herald.engine.memory.MemoryBroker;
import dev.herald.security.AllowAllAuthorizer;
import dev.herald.security.Caller;
import dev.herald.support.RecordingTransport;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One connection's fault stays its own (docs/protocol.md, section 8): a transport that throws, an {@link Error}
 * included, or that never completes a write, is closed with its documented reason, and every other subscriber, on
 * every fan-out lane, keeps receiving.
 */
class FaultIsolationTest {
    private static final Duration WAIT = Duration.ofSeconds(15);
    private Bus bus;

    private Bus bus(Map<String, String> settings) {
        HeraldConfig config = HeraldConfig.from(settings::get);
        bus = new Bus(config, new MemoryBroker(config.historySize(), config.historyTtl(), Clock.systemUTC()),
                new AllowAllAuthorizer(), Clock.systemUTC());
        return bus;
    }

    @AfterEach
    void stop() {
        bus.stop();
    }

    /** A transport whose encoder fails the way Payara's Tyrus did on a lone surrogate: with an Error. */
    private static final class ThrowingTransport implements Transport {
        volatile Disconnect closed;

        @Override
        public void write(List<Outbound> batch, WriteCallback callback) {
            for (Outbound o : batch) {
                if (o instanceof Envelope) {
                    throw new Error("java.nio.charset.MalformedInputException: Input length = 1");
                }
            }
            callback.succeeded();
        }

        @Override
        public void close(Disconnect reason) {
            closed = reason;
        }

        @Override
        public String name() {
            return "throwing";
        }
    }

    @Test
    void aTransportThatThrowsAnErrorIsClosedAndEveryLaneCarriesOn() throws Exception {
        bus(Map.of());
        List<RecordingTransport> others = new ArrayList<>();
        List<ThrowingTransport> poisoned = new ArrayList<>();
        for (int i = 0; i < 16; i++) { // more than the lanes, so every lane has both kinds
            ThrowingTransport bad = new ThrowingTransport();
            bus.subscribe(bus.connect(Caller.SYSTEM, bad), "poison", null, null, null);
            poisoned.add(bad);
            RecordingTransport good = RecordingTransport.recording();
            Subscriber s = bus.connect(Caller.SYSTEM, good);
            bus.subscribe(s, "poison", null, null, null);
            bus.subscribe(s, "other", null, null, null);
            others.add(good);
        }
        bus.publish("poison", null, "first");
        await().atMost(WAIT).until(() -> poisoned.stream().allMatch(t -> t.closed != null));
        assertThat(poisoned).allSatisfy(t -> assertThat(t.closed).isEqualTo(Disconnect.ERROR));

        for (int i = 0; i < 100; i++) {
            bus.publish(i % 2 == 0 ? "poison" : "other", null, i);
        }
        await().atMost(WAIT).until(() -> others.stream().allMatch(t -> t.envelopes().size() == 101));
        assertThat(others).allSatisfy(t -> {
            assertThat(t.closeReason()).isNull();
            assertThat(t.envelopes().stream().filter(e -> e.channel().equals("other")).count()).isEqualTo(50);
        });
        assertThat(bus.connectionCount()).isEqualTo(16);
    }

    @Test
    void aWriteThatNeverCompletesIsClosedAfterTheWriteTimeout() throws Exception {
        bus(Map.of("herald.write-timeout", "1s"));
        RecordingTransport stuck = RecordingTransport.stuck();
        RecordingTransport healthy = RecordingTransport.recording();
        bus.subscribe(bus.connect(Caller.SYSTEM, stuck), "c", null, null, null);
        bus.subscribe(bus.connect(Caller.SYSTEM, healthy), "c", null, null, null);
        bus.publish("c", null, 1);

        assertThat(stuck.closedLatch().await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(stuck.closeReason()).isEqualTo(Disconnect.WRITE_TIMEOUT);
        assertThat(stuck.closeReason().code()).isEqualTo(1013);
        bus.publish("c", null, 2);
        await().atMost(WAIT).until(() -> healthy.envelopes().size() == 2);
        assertThat(healthy.closeReason()).isNull();
    }

    @Test
    void anIdleConnectionIsClosedByHeraldItselfAndAnActiveOneIsNot() throws Exception {
        bus(Map.of("herald.write-timeout", "1h"));
        RecordingTransport idle = RecordingTransport.recording();
        bus.connect(Caller.SYSTEM, idle).idleTimeout(Duration.ofMillis(500));
        RecordingTransport untimed = RecordingTransport.recording();
        Subscriber kept = bus.connect(Caller.SYSTEM, untimed);

        assertThat(idle.closedLatch().await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(idle.closeReason()).isEqualTo(Disconnect.IDLE);
        assertThat(kept.isClosed()).as("no idle timeout set: never expires").isFalse();
    }

    @Test
    void javaPublishesAreHeldToTheSameJsonRulesAsClients() {
        bus(Map.of());
        assertThatThrownBy(() -> bus.publish("c", null, Map.of("s", "\ud83d")))
                .isInstanceOfSatisfying(HeraldException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST);
                    assertThat(e.getMessage()).contains("not valid Unicode");
                });
        assertThatThrownBy(() -> bus.publishJson(Caller.SYSTEM, "c", null, "[".repeat(200) + "]".repeat(200)))
                .hasMessageContaining("deeper than 128");
        assertThatThrownBy(() -> bus.publish("c", "\ud83dx", 1)).hasMessageContaining("event name");
        assertThat(bus.history(Caller.SYSTEM, "c", 0, 10).latest()).as("nothing was stored").isZero();
        assertThat(bus.publish("c", "😀", Map.of("s", "😀")).data()).isEqualTo("{\"s\":\"😀\"}");
    }
}
