package dev.herald.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.herald.core.PresenceContractTest;
import dev.herald.core.PresenceEntry;
import dev.herald.core.PresenceEvent;
import dev.herald.core.PresenceManager;
import dev.herald.support.ManualClock;
import dev.herald.support.RedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The shared presence contract on a real {@code redis-server}, plus what only several nodes have: entries seen from
 * every node, and a dead node's entries leaving once when they expire.
 */
class RedisPresenceTest extends PresenceContractTest {
    private static RedisServer redis;
    private final List<RedisBroker> mine = new ArrayList<>();

    @BeforeAll
    static void startRedis() {
        redis = new RedisServer();
    }

    @AfterAll
    static void stopRedis() {
        if (redis != null) {
            redis.close();
        }
    }

    @BeforeEach
    void emptyRedis() {
        redis.flushAll();
    }

    @AfterEach
    void closeMine() {
        mine.forEach(RedisBroker::close);
    }

    private RedisBroker node(Duration ttl) {
        RedisBroker b = RedisBroker.connect(redis.url(), 100, Duration.ofHours(1), Duration.ofSeconds(2),
                new ManualClock(1_764_000_000_000L));
        mine.add(b);
        if (ttl != null) {
            b.presenceTtl(ttl);
        }
        return b;
    }

    @Override
    protected PresenceManager newPresence(PresenceManager.Listener listener) {
        PresenceManager p = node(null).presence();
        p.start(listener);
        return p;
    }

    @Test
    void entriesAndEventsAreSharedByTheNodes() {
        PresenceManager a = newPresence(e -> { });
        List<PresenceEvent> seenByB = new CopyOnWriteArrayList<>();
        PresenceManager b = node(null).presence();
        b.start(seenByB::add);
        b.subscribe("chat:x");
        PresenceEntry alice = new PresenceEntry("a-1", "alice", null);
        a.join("chat:x", alice);

        assertThat(b.list("chat:x")).containsExactly(alice);
        await().atMost(WAIT).until(() -> seenByB.size() == 1);
        a.leave("chat:x", "a-1");
        await().atMost(WAIT).until(() -> seenByB.size() == 2);
        assertThat(seenByB).containsExactly(new PresenceEvent(true, "chat:x", alice),
                new PresenceEvent(false, "chat:x", alice));
    }

    @Test
    void aDeadNodesEntriesLeaveOnceWhenTheyExpire() {
        RedisBroker dying = node(Duration.ofMillis(900));
        dying.presence().start(e -> { });
        List<PresenceEvent> seen1 = new CopyOnWriteArrayList<>();
        List<PresenceEvent> seen2 = new CopyOnWriteArrayList<>();
        RedisBroker b1 = node(Duration.ofMillis(900));
        RedisBroker b2 = node(Duration.ofMillis(900));
        b1.presence().start(seen1::add);
        b2.presence().start(seen2::add);
        b1.presence().subscribe("chat:y");
        b2.presence().subscribe("chat:y");
        PresenceEntry ghost = new PresenceEntry("d-1", "ghost", null);
        PresenceEntry alive = new PresenceEntry("b1-1", "alive", null);
        dying.presence().join("chat:y", ghost);
        b1.presence().join("chat:y", alive);
        dying.presence().close(); // stops refreshing, as a killed node would: no leave sent

        await().atMost(WAIT).until(() -> seen1.contains(new PresenceEvent(false, "chat:y", ghost))
                && seen2.contains(new PresenceEvent(false, "chat:y", ghost)));
        assertThat(b2.presence().list("chat:y")).containsExactly(alive);
        b1.presence().join("chat:y", new PresenceEntry("b1-2", "marker", null)); // all before it arrived with it
        await().atMost(WAIT).until(() -> seen1.size() == 4 && seen2.size() == 4);
        assertThat(seen1.stream().filter(e -> !e.join())).containsExactly(new PresenceEvent(false, "chat:y", ghost));
        assertThat(seen2.stream().filter(e -> !e.join())).containsExactly(new PresenceEvent(false, "chat:y", ghost));
        assertThat(b1.presence().list("chat:y")).containsExactlyInAnyOrder(alive,
                new PresenceEntry("b1-2", "marker", null));
    }
}
