package dev.herald.engine.redis;

import dev.herald.core.PresenceContractTest;
import dev.herald.core.PresenceManager;
import dev.herald.support.ManualClock;
import dev.herald.support.RedisCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * The shared presence contract on a real three-master Redis Cluster: a channel's presence keys and event shard
 * channel share its hash tag, so each script runs on one master (docs/scaling.md).
 */
class RedisClusterPresenceTest extends PresenceContractTest {
    private static RedisCluster cluster;
    private final List<RedisBroker> mine = new ArrayList<>();

    @BeforeAll
    static void startCluster() {
        cluster = new RedisCluster();
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @BeforeEach
    void emptyCluster() {
        cluster.flushAll();
    }

    @AfterEach
    void closeMine() {
        mine.forEach(RedisBroker::close);
    }

    @Override
    protected PresenceManager newPresence(PresenceManager.Listener listener) {
        RedisBroker b = RedisBroker.connect(cluster.url(), false, 100, Duration.ofHours(1), Duration.ofMinutes(2),
                Duration.ofSeconds(2), Duration.ZERO, new ManualClock(1_764_000_000_000L));
        mine.add(b);
        b.presence().start(listener);
        return b.presence();
    }
}
