package dev.herald.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * What every {@link PresenceManager} must do (see its Javadoc), run against each engine by a subclass: listing,
 * join and leave events, each once per client (docs/protocol.md, "Presence").
 */
public abstract class PresenceContractTest {
    protected static final Duration WAIT = Duration.ofSeconds(10);

    /** A started engine's presence; closed by the subclass after each test. */
    protected abstract PresenceManager newPresence(PresenceManager.Listener listener);

    protected final List<PresenceEvent> events = new CopyOnWriteArrayList<>();

    private PresenceManager started(String channel) {
        PresenceManager p = newPresence(events::add);
        p.subscribe(channel);
        return p;
    }

    @Test
    void aJoinedClientIsListedAndAnnouncedOnce() {
        PresenceManager p = started("chat:a");
        PresenceEntry alice = new PresenceEntry("n1-1", "alice", "{\"name\":\"Alice\"}");
        p.join("chat:a", alice);
        p.join("chat:a", alice);
        p.join("chat:a", new PresenceEntry("n1-2", null, null));

        assertThat(p.list("chat:a")).containsExactlyInAnyOrder(alice, new PresenceEntry("n1-2", null, null));
        await().atMost(WAIT).until(() -> events.size() >= 2);
        assertThat(events).containsExactly(new PresenceEvent(true, "chat:a", alice),
                new PresenceEvent(true, "chat:a", new PresenceEntry("n1-2", null, null)));
        assertThat(p.list("chat:other")).isEmpty();
    }

    @Test
    void aClientLeavesOnceWithItsEntry() {
        PresenceManager p = started("chat:b");
        PresenceEntry bob = new PresenceEntry("n1-3", "bob", null);
        p.join("chat:b", bob);
        p.leave("chat:b", "n1-3");
        p.leave("chat:b", "n1-3");
        p.leave("chat:b", "never-joined");

        assertThat(p.list("chat:b")).isEmpty();
        await().atMost(WAIT).until(() -> events.size() >= 2);
        p.join("chat:b", new PresenceEntry("n1-4", "marker", null)); // everything before it has arrived with it
        await().atMost(WAIT).until(() -> events.size() >= 3);
        assertThat(events).containsExactly(new PresenceEvent(true, "chat:b", bob),
                new PresenceEvent(false, "chat:b", bob),
                new PresenceEvent(true, "chat:b", new PresenceEntry("n1-4", "marker", null)));
    }

    @Test
    void channelsAreSeparate() {
        PresenceManager p = started("chat:c");
        p.join("chat:c", new PresenceEntry("n1-5", "carol", null));
        p.join("chat:d", new PresenceEntry("n1-5", "carol", null));
        p.leave("chat:d", "n1-5");

        assertThat(p.list("chat:c")).containsExactly(new PresenceEntry("n1-5", "carol", null));
        assertThat(p.list("chat:d")).isEmpty();
    }
}
