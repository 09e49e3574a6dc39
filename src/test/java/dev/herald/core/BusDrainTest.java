package dev.herald.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.herald.engine.memory.MemoryBroker;
import dev.herald.security.AllowAllAuthorizer;
import dev.herald.security.Caller;
import dev.herald.support.ManualClock;
import dev.herald.support.RecordingTransport;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Bus#drain} (docs/protocol.md section 9), the reserved {@code herald:} channels (section 1) and what the
 * {@link Probe} is told, with recording transports: no sockets.
 */
class BusDrainTest {
    private final ManualClock clock = new ManualClock(1_700_000_000_000L);
    private final HeraldConfig config = HeraldConfig.defaults();
    private final Bus bus = new Bus(config, new MemoryBroker(config.historySize(), config.historyTtl(), clock),
            new AllowAllAuthorizer(), clock);

    @AfterEach
    void stop() {
        bus.stop();
    }

    @Test
    void drainEndsClientConnectionsWith1012KeepsInProcessOnesAndSendsNewcomersAway() throws Exception {
        RecordingTransport client = RecordingTransport.recording();
        Subscriber s = bus.connect(Caller.anonymous("ws", "127.0.0.1"), client);
        bus.subscribe(s, "a", null, null, null);
        List<Envelope> inProcess = new CopyOnWriteArrayList<>();
        Subscription app = bus.subscribe("a", inProcess::add);

        assertThat(bus.draining()).isFalse();
        assertThat(bus.drain(Duration.ofSeconds(5))).isEqualTo(1);
        assertThat(bus.draining()).isTrue();
        assertThat(client.closedLatch().await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(client.closeReason()).isEqualTo(Disconnect.RESTART);
        assertThat(Disconnect.RESTART.code()).isEqualTo(1012);
        assertThat(app.isActive()).isTrue();

        RecordingTransport late = RecordingTransport.recording();
        bus.connect(Caller.anonymous("sse", "127.0.0.1"), late);
        assertThat(late.closedLatch().await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(late.closeReason()).isEqualTo(Disconnect.RESTART);
    }

    @Test
    void aTransportsFarewellIsWrittenBeforeItIsClosed() throws Exception {
        Frame bye = new Frame("bye");
        RecordingTransport written = RecordingTransport.recording();
        Transport withFarewell = new Transport() {
            @Override
            public void write(List<Outbound> batch, WriteCallback callback) {
                written.write(batch, callback);
            }

            @Override
            public void close(Disconnect reason) {
                written.close(reason);
            }

            @Override
            public Outbound farewell(Disconnect reason) {
                return reason.equals(Disconnect.RESTART) ? bye : null;
            }

            @Override
            public String name() {
                return "sse";
            }
        };
        bus.connect(Caller.anonymous("sse", "127.0.0.1"), withFarewell);
        bus.drain(Duration.ofSeconds(5));
        assertThat(written.closedLatch().await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(written.written()).endsWith(bye);
        assertThat(written.closeReason()).isEqualTo(Disconnect.RESTART);
    }

    @Test
    void heraldChannelsArePublishedByTheApplicationOnlyAndReadByTheirReadersOnly() {
        Caller client = Caller.anonymous("ws", "127.0.0.1");
        assertThatThrownBy(() -> bus.publishJson(client, "herald:admin", null, "{}"))
                .isInstanceOfSatisfying(HeraldException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.FORBIDDEN));
        assertThatThrownBy(() -> bus.history(client, "herald:admin", 0, 10))
                .isInstanceOfSatisfying(HeraldException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.FORBIDDEN));
        bus.publishJson(Caller.SYSTEM, "herald:admin", "node", "{}");
        bus.systemReaders(c -> c == client);
        assertThat(bus.history(client, "herald:admin", 0, 10).messages()).hasSize(1);
        assertThatThrownBy(() -> bus.publishJson(client, "herald:admin", null, "{}"))
                .as("readers still may not publish").isInstanceOf(HeraldException.class);
    }

    @Test
    void theProbeHearsOfPublishesRefusalsDeliveriesAndCloses() throws Exception {
        List<String> heard = new CopyOnWriteArrayList<>();
        bus.observe(new Probe() {
            @Override
            public void opened(String transport) {
                heard.add("opened " + transport);
            }

            @Override
            public void closed(String transport, Disconnect reason, long openNanos, int channels) {
                heard.add("closed " + transport + " " + reason.code() + " " + channels);
            }

            @Override
            public void published(String transport, Envelope envelope) {
                heard.add("published " + transport + " " + envelope.channel());
            }

            @Override
            public void publishFailed(String transport, ErrorCode code) {
                heard.add("failed " + transport + " " + code.wire());
            }

            @Override
            public void delivered(String transport, Envelope envelope, long latencyMillis) {
                heard.add("delivered " + transport + " " + envelope.offset());
            }

            @Override
            public void refused(String transport, ErrorCode code) {
                heard.add("refused " + transport + " " + code.wire());
            }
        });
        RecordingTransport t = RecordingTransport.recording();
        Subscriber s = bus.connect(Caller.anonymous("recording", null), t);
        bus.subscribe(s, "a", null, null, null);
        bus.publishJson(Caller.anonymous("http", null), "a", null, "1");
        assertThatThrownBy(() -> bus.publishJson(Caller.anonymous("http", null), "herald:x", null, "1"));
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> heard.contains("delivered recording 1"));
        s.close(Disconnect.NORMAL);
        assertThat(heard).containsExactlyInAnyOrder("opened recording", "published http a", "delivered recording 1",
                "refused http forbidden", "failed http forbidden", "closed recording 1000 1");
        assertThat(heard.get(0)).isEqualTo("opened recording");
        assertThat(heard.get(heard.size() - 1)).isEqualTo("closed recording 1000 1");
    }
}
