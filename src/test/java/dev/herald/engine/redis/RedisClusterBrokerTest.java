package dev.herald.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.herald.core.Broker;
import dev.herald.core.BrokerContractTest;
import dev.herald.core.Retention;
import dev.herald.core.Envelope;
import dev.herald.support.ManualClock;
import dev.herald.support.RedisCluster;
import dev.herald.support.RedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The shared broker contract on a real three-master Redis Cluster ({@link RedisCluster}), plus what a cluster adds
 * (docs/scaling.md): channels spread over every master keep their order, and when the masters drop the pub/sub
 * connections each channel is subscribed again on its own master and catches up.
 */
class RedisClusterBrokerTest extends BrokerContractTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static RedisCluster cluster;
    private final List<Broker> mine = new ArrayList<>();

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
        mine.forEach(Broker::close);
    }

    @Override
    protected Broker newBroker(Retention retention, ManualClock clock) {
        return RedisBroker.connect(cluster.url(), false, retention, Duration.ofMinutes(2), TIMEOUT, Duration.ZERO,
                clock);
    }

    private Broker started(Broker.Listener listener) {
        Broker b = newBroker(100, Duration.ofHours(1), clock);
        b.start(listener);
        mine.add(b);
        return b;
    }

    /** Forty channels: their hash slots fall on all three masters. */
    private static List<String> channels() {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            names.add("room:" + i);
        }
        return names;
    }

    @Test
    void channelsOnEveryMasterReachAnotherNodeInOrder() {
        Map<String, List<Long>> seen = new ConcurrentHashMap<>();
        Broker node = started(e -> seen.computeIfAbsent(e.channel(), c -> new CopyOnWriteArrayList<>()).add(e.offset()));
        Broker other = started(e -> { });
        Set<Integer> masters = new HashSet<>();
        for (String channel : channels()) {
            node.subscribe(channel);
            masters.add(masterOf(channel));
        }
        assertThat(masters).hasSize(3);
        for (int round = 0; round < 5; round++) {
            for (String channel : channels()) {
                other.publish(channel, "message", Integer.toString(round), clock.millis());
            }
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> channels().stream()
                .allMatch(c -> seen.getOrDefault(c, List.of()).size() >= 5));
        for (String channel : channels()) {
            assertThat(seen.get(channel)).as(channel).containsExactly(1L, 2L, 3L, 4L, 5L);
        }
    }

    @Test
    void whenEveryMasterDropsThePubSubConnectionsEachChannelCatchesUp() throws Exception {
        Map<String, List<Long>> seen = new ConcurrentHashMap<>();
        Broker node = started(e -> seen.computeIfAbsent(e.channel(), c -> new CopyOnWriteArrayList<>()).add(e.offset()));
        Broker other = started(e -> { });
        for (String channel : channels()) {
            node.subscribe(channel);
            other.publish(channel, "message", "1", clock.millis());
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> channels().stream()
                .allMatch(c -> seen.getOrDefault(c, List.of()).size() == 1));

        for (int port : cluster.ports()) {
            assertThat(RedisServer.command(port, "CLIENT", "KILL", "TYPE", "pubsub")).startsWith(":");
        }
        for (String channel : channels()) {
            other.publish(channel, "message", "2", clock.millis());
            other.publish(channel, "message", "3", clock.millis());
        }
        // subscribed again on every master, one channel at a time: live delivery goes on too
        await().atMost(Duration.ofSeconds(30)).until(() -> channels().stream()
                .allMatch(c -> shardSubscribers(c) == 1));
        for (String channel : channels()) {
            other.publish(channel, "message", "4", clock.millis());
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> channels().stream()
                .allMatch(c -> seen.getOrDefault(c, List.of()).size() >= 4));
        for (String channel : channels()) {
            assertThat(seen.get(channel)).as(channel).containsExactly(1L, 2L, 3L, 4L);
        }
    }

    @Test
    void theEpochChangesWhenTheClusterLosesTheChannel() {
        Broker b = started(e -> { });
        Envelope before = b.publish("room:7", "message", "1", clock.millis());
        cluster.flushAll();
        Envelope after = b.publish("room:7", "message", "2", clock.millis());
        assertThat(after.offset()).isEqualTo(1);
        assertThat(after.epoch()).isNotEqualTo(before.epoch());
    }

    /** The port of the master serving the channel's hash slot (its shard channel counts a subscriber there). */
    private static int masterOf(String channel) {
        for (int port : cluster.ports()) {
            if (RedisServer.shardSubscribers(port, RedisBroker.live(channel)) > 0) {
                return port;
            }
        }
        return -1;
    }

    /** Subscribers of the channel's shard channel, on whichever master serves it. */
    private static long shardSubscribers(String channel) {
        long n = 0;
        for (int port : cluster.ports()) {
            n += Math.max(0, RedisServer.shardSubscribers(port, RedisBroker.live(channel)));
        }
        return n;
    }
}
