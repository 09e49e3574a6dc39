package dev.herald.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.support.RedisCluster;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * {@link MultiNodeSuite} on a three-master Redis Cluster ({@link RedisCluster}; {@code herald.redis.url} is the
 * comma-separated seed URLs): each test's channels are chosen so that two land on every master, so keys, scripts and
 * sharded pub/sub are exercised on all three. Outages are {@link MultiNodeRedisIT}'s (a single Redis).
 */
class MultiNodeRedisClusterIT extends MultiNodeSuite {
    private static final int PER_MASTER = 2;
    private RedisCluster cluster;

    @Override
    String startRedis() {
        cluster = new RedisCluster();
        return cluster.url();
    }

    @Override
    void stopRedis() {
        cluster.close();
    }

    /** Two channels per master: names tried in turn, each kept if its master has fewer than two yet. */
    @Override
    List<String> channels(String prefix) {
        String base = Http.channel("nodes-" + prefix);
        Map<Integer, Integer> perMaster = new HashMap<>();
        List<String> channels = new ArrayList<>();
        for (int i = 0; channels.size() < PER_MASTER * cluster.ports().size(); i++) {
            String channel = base + "-" + i;
            int master = cluster.masterOf(key(channel));
            if (perMaster.merge(master, 1, Integer::sum) <= PER_MASTER) {
                channels.add(channel);
            }
        }
        return channels;
    }

    @Override
    String name() {
        return "multinode-cluster";
    }

    /** docs/scaling.md, "Storage model": a channel's keys live on the master of its hash tag's slot. */
    @Test
    void eachChannelsKeysAreOnTheMasterOfItsSlotAndTheSuitesChannelsUseEveryMaster() {
        List<String> channels = channels("slots");
        Set<Integer> masters = new TreeSet<>();
        for (String channel : channels) {
            publish(a, channel, "1");
            publish(b, channel, "2");
            int master = cluster.masterOf(key(channel));
            masters.add(master);
            assertThat(cluster.command(master, "EXISTS", key(channel))).as(channel).isEqualTo(":1");
            assertThat(latest(info(b, channel))).isEqualTo(2);
        }
        assertThat(masters).containsExactlyInAnyOrderElementsOf(cluster.ports());
    }

    /** The channel's meta key (docs/scaling.md, "Storage model"), whose hash tag decides the slot. */
    private static String key(String channel) {
        return "{herald:" + channel + "}:meta";
    }
}
