package dev.herald.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.herald.engine.memory.MemoryBroker;
import dev.herald.security.AllowAllAuthorizer;
import dev.herald.security.Caller;
import dev.herald.support.ManualClock;
import dev.herald.support.RecordingTransport;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The bus's presence rules (docs/protocol.md, "Presence") on the memory engine: who is listed and as whom, a join
 * and a leave once per subscription, events only to subscriptions that ask, only where the namespace has them.
 */
class BusPresenceTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private final ManualClock clock = new ManualClock(1_700_000_000_000L);
    private final HeraldConfig config = HeraldConfig.from(Map.of("herald.namespaces", "chat,room",
            "herald.ns.room.presence", "true", "herald.ns.room.join-leave", "false")::get);
    private final Bus bus = new Bus(config, new MemoryBroker(100, Duration.ofHours(1), clock),
            new AllowAllAuthorizer(), clock);

    @AfterEach
    void stop() {
        bus.stop();
    }

    private static Caller anonymous() {
        return Caller.anonymous("ws", "127.0.0.1");
    }

    private static List<PresenceEvent> events(RecordingTransport t) {
        return t.written().stream().filter(PresenceEvent.class::isInstance).map(PresenceEvent.class::cast).toList();
    }

    @Test
    void aSubscriptionJoinsOnceAndLeavesOnceOnUnsubscribeOrDisconnect() {
        RecordingTransport watching = RecordingTransport.recording();
        Subscriber watcher = bus.connect(anonymous(), watching);
        bus.subscribe(watcher, "chat:a", null, null, "w", new PresenceOptions(true, true, "watcher", null));
        Subscriber ann = bus.connect(anonymous(), RecordingTransport.recording());
        bus.subscribe(ann, "chat:a", null, null, "a", new PresenceOptions(false, true, "ann", "{ \"n\" : 1 }"));
        bus.subscribe(ann, "chat:a", null, null, "a2", new PresenceOptions(false, true, "ann", null)); // again
        Subscriber bob = bus.connect(anonymous(), RecordingTransport.recording());
        bus.subscribe(bob, "chat:a", null, null, "b", new PresenceOptions(false, true, "bob", null));

        assertThat(bus.presence(anonymous(), "chat:a")).extracting(PresenceEntry::user)
                .containsExactlyInAnyOrder("watcher", "ann", "bob");
        assertThat(bus.presence(anonymous(), "chat:a")).filteredOn(e -> "ann".equals(e.user()))
                .extracting(PresenceEntry::info).containsExactly("{\"n\":1}");
        assertThat(bus.unsubscribe(ann, "chat:a")).isTrue();
        assertThat(bus.unsubscribe(ann, "chat:a")).isFalse();
        ann.close(Disconnect.NORMAL);
        bob.close(Disconnect.NORMAL);

        await().atMost(WAIT).until(() -> events(watching).size() >= 5);
        bus.publish("chat:a", null, 1); // a marker: everything queued before it has been written with it
        await().atMost(WAIT).until(() -> !watching.envelopes().isEmpty());
        assertThat(events(watching)).extracting(e -> e.type() + ":" + e.entry().user())
                .containsExactly("join:watcher", "join:ann", "join:bob", "leave:ann", "leave:bob");
        assertThat(bus.presence(anonymous(), "chat:a")).extracting(PresenceEntry::user).containsExactly("watcher");
    }

    @Test
    void anAuthenticatedConnectionIsListedAsItsSubjectWhateverItChose() {
        Caller alice = new Caller(null, "ws", "127.0.0.1", "alice", null, null);
        Subscriber s = bus.connect(alice, RecordingTransport.recording());
        bus.subscribe(s, "chat:b", null, null, "r", new PresenceOptions(false, true, "mallory", null));
        assertThat(bus.presence(anonymous(), "chat:b")).extracting(PresenceEntry::user).containsExactly("alice");
    }

    @Test
    void presenceAndEventsOnlyWhereTheNamespaceHasThem() {
        RecordingTransport watching = RecordingTransport.recording();
        Subscriber watcher = bus.connect(anonymous(), watching);
        bus.subscribe(watcher, "room:x", null, null, "w", new PresenceOptions(true, true, "w", null));
        Subscriber other = bus.connect(anonymous(), RecordingTransport.recording());
        bus.subscribe(other, "room:x", null, null, "o", new PresenceOptions(false, true, "o", null));
        assertThat(bus.presence(anonymous(), "room:x")).hasSize(2); // listed: presence on
        bus.publish("room:x", null, 1); // a marker: everything queued before it has been written with it
        await().atMost(WAIT).until(() -> !watching.envelopes().isEmpty());
        assertThat(events(watching)).isEmpty(); // join-leave off

        bus.subscribe(watcher, "news:y", null, null, "n", new PresenceOptions(true, true, "w", null));
        assertThatThrownBy(() -> bus.presence(anonymous(), "news:y"))
                .isInstanceOfSatisfying(HeraldException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
        bus.subscribe("chat:z", e -> { }); // in-process: never listed
        assertThat(bus.presence(anonymous(), "chat:z")).isEmpty();
    }

    @Test
    void badIdsAndInfoAreRefused() {
        Subscriber s = bus.connect(anonymous(), RecordingTransport.recording());
        assertThatThrownBy(() -> bus.subscribe(s, "chat:c", null, null, "r",
                new PresenceOptions(false, true, "-starts-badly", null)))
                .isInstanceOfSatisfying(HeraldException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST));
        assertThatThrownBy(() -> bus.subscribe(s, "chat:c", null, null, "r",
                new PresenceOptions(false, true, "ok", "[1]")))
                .isInstanceOfSatisfying(HeraldException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST));
        assertThat(s.channels()).isEmpty();
    }
}
