package dev.herald.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.herald.core.Broker;
import dev.herald.core.BrokerContractTest;
import dev.herald.core.Retention;
import dev.herald.core.Envelope;
import dev.herald.core.ErrorCode;
import dev.herald.core.HeraldException;
import dev.herald.core.HistoryPage;
import dev.herald.core.Published;
import dev.herald.support.ManualClock;
import dev.herald.support.RedisServer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The shared broker contract on a real {@code redis-server}, plus what only the Redis engine does (docs/scaling.md):
 * epochs that change when Redis loses a channel, history that outlives a node, several nodes on one Redis, catching
 * up after the pub/sub connection drops, and failing fast with {@code unavailable} when Redis is down.
 */
class RedisBrokerTest extends BrokerContractTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static RedisServer redis;
    private final List<Broker> mine = new ArrayList<>();

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
        mine.forEach(Broker::close);
    }

    @Override
    protected Broker newBroker(Retention retention, ManualClock clock) {
        return RedisBroker.connect(redis.url(), false, retention, Duration.ofMinutes(2), TIMEOUT, Duration.ZERO, clock);
    }

    private Broker started(Broker.Listener listener) {
        Broker b = newBroker(100, Duration.ofHours(1), clock);
        b.start(listener);
        mine.add(b);
        return b;
    }

    @Test
    void theEpochChangesWhenRedisLosesTheChannel() {
        Broker b = started(e -> { });
        Envelope before = b.publish("c", "message", "1", clock.millis());
        b.publish("c", "message", "2", clock.millis());
        assertThat(b.history("c", 0, 10).epoch()).isEqualTo(before.epoch());

        redis.flushAll();

        Envelope after = b.publish("c", "message", "3", clock.millis());
        assertThat(after.offset()).isEqualTo(1);
        assertThat(after.epoch()).isNotEqualTo(before.epoch());
        HistoryPage page = b.history("c", 0, 10);
        assertThat(page.epoch()).isEqualTo(after.epoch());
        assertThat(page.messages()).extracting(Envelope::data).containsExactly("3");
    }

    @Test
    void anEpochReadBeforeTheFirstPublishIsTheOneItGets() {
        Broker b = started(e -> { });
        String epoch = b.history("fresh", 0, 0).epoch();
        assertThat(b.publish("fresh", "message", "1", clock.millis()).epoch()).isEqualTo(epoch);
    }

    @Test
    void historyOutlivesTheBrokerThatWroteIt() {
        Broker first = newBroker(100, Duration.ofHours(1), clock);
        first.start(e -> { });
        Envelope one = first.publish("kept", "price", "{\"p\":1}", clock.millis());
        first.publish("kept", "message", "\"two\"", clock.millis());
        first.close();

        Broker second = started(e -> { });
        HistoryPage page = second.history("kept", 0, 10);
        assertThat(page.epoch()).isEqualTo(one.epoch());
        assertThat(page.latest()).isEqualTo(2);
        assertThat(page.messages().get(0)).isEqualTo(one);
        assertThat(page.messages()).extracting(Envelope::data).containsExactly("{\"p\":1}", "\"two\"");
        assertThat(second.publish("kept", "message", "3", clock.millis()).offset()).isEqualTo(3);
    }

    @Test
    void eventNamesAndDataSurviveTheRoundTrip() {
        List<Envelope> seen = new CopyOnWriteArrayList<>();
        Broker b = started(seen::add);
        b.subscribe("odd");
        String event = "quote \" back\\slash ünïcödé \uD83D\uDE00 \"ts\":1";
        String data = "{\"ts\":5,\"s\":\"a\\\"b\",\"n\":[1,2]}";
        Envelope published = b.publish("odd", event, data, clock.millis());
        assertThat(b.history("odd", 0, 1).messages()).containsExactly(published);
        await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 1);
        assertThat(seen.get(0)).isEqualTo(published);
        assertThat(seen.get(0).event()).isEqualTo(event);
    }

    @Test
    void twoBrokersOnOneRedisSeeEachOthersPublishesInOrder() throws Exception {
        List<Long> seenByA = new CopyOnWriteArrayList<>();
        List<Long> seenByB = new CopyOnWriteArrayList<>();
        Broker a = started(e -> seenByA.add(e.offset()));
        Broker b = started(e -> seenByB.add(e.offset()));
        a.subscribe("shared");
        b.subscribe("shared");
        int each = 200;
        ExecutorService pool = Executors.newFixedThreadPool(2);
        CountDownLatch go = new CountDownLatch(1);
        for (Broker publisher : List.of(a, b)) {
            pool.execute(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < each; i++) {
                    publisher.publish("shared", "message", "0", clock.millis());
                }
            });
        }
        go.countDown();
        pool.shutdown();
        assertThat(pool.awaitTermination(60, TimeUnit.SECONDS)).isTrue();

        List<Long> expected = new ArrayList<>();
        for (long i = 1; i <= 2L * each; i++) {
            expected.add(i);
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> seenByA.size() >= 2 * each && seenByB.size() >= 2 * each);
        assertThat(seenByA).containsExactlyElementsOf(expected);
        assertThat(seenByB).containsExactlyElementsOf(expected);
    }

    @Test
    void whatWasPublishedWhileThePubSubConnectionWasDownIsDeliveredAfterItReconnects() throws Exception {
        List<Long> seen = new CopyOnWriteArrayList<>();
        Broker node = started(e -> seen.add(e.offset()));
        Broker other = started(e -> { });
        node.subscribe("gap");
        other.publish("gap", "message", "1", clock.millis());
        await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 1);

        assertThat(redis.command("CLIENT", "KILL", "TYPE", "pubsub")).startsWith(":");
        for (int i = 2; i <= 5; i++) {
            other.publish("gap", "message", Integer.toString(i), clock.millis());
        }

        await().atMost(Duration.ofSeconds(30)).until(() -> seen.size() >= 5);
        other.publish("gap", "message", "6", clock.millis());
        await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() >= 6);
        assertThat(seen).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
    }

    @Test
    void withRedisDownCallsFailFastWithUnavailableAndWorkAgainWhenItIsBack() {
        List<Envelope> seen = new CopyOnWriteArrayList<>();
        Broker b = started(seen::add);
        b.subscribe("outage");
        Envelope before = b.publish("outage", "message", "1", clock.millis());
        // its live delivery first: stopped right after the publish, Redis could drop the pub/sub message in flight
        await().atMost(Duration.ofSeconds(30)).until(() -> seen.contains(before));
        redis.stop();
        try {
            assertThatThrownBy(() -> b.publish("outage", "message", "2", clock.millis()))
                    .isInstanceOfSatisfying(HeraldException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE));
            assertThatThrownBy(() -> b.history("outage", 0, 10))
                    .isInstanceOfSatisfying(HeraldException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE));
            assertThat(b.usage()).isEqualTo(Broker.Usage.UNKNOWN);
        } finally {
            redis.start();
        }
        // Redis came back empty (no persistence): the channel starts a new epoch and live delivery goes on
        Envelope after = await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
                .until(() -> b.publish("outage", "message", "3", clock.millis()), e -> true);
        assertThat(after.epoch()).isNotEqualTo(before.epoch());
        await().atMost(Duration.ofSeconds(30)).until(() -> seen.contains(after));
        assertThat(seen.get(0)).isEqualTo(before);
    }

    @Test
    void afterRedisRestartsEmptyAnotherNodesPublishesArriveInTheNewEpoch() {
        List<Envelope> seen = new CopyOnWriteArrayList<>();
        Broker node = started(seen::add);
        Broker other = started(e -> { });
        node.subscribe("restart");
        Envelope before = other.publish("restart", "message", "1", clock.millis());
        await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 1);

        redis.stop();
        redis.start();

        Envelope after = await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
                .until(() -> other.publish("restart", "message", "2", clock.millis()), e -> true);
        assertThat(after.epoch()).isNotEqualTo(before.epoch());
        assertThat(after.offset()).isEqualTo(1);
        await().atMost(Duration.ofSeconds(30)).until(() -> seen.size() >= 2);
        assertThat(seen).containsExactly(before, after);
    }

    @Test
    void aPublishOnARedisThatWentBackBehindWhatTheNodeDeliveredStartsANewEpoch() throws Exception {
        List<Envelope> seen = new CopyOnWriteArrayList<>();
        Broker node = started(seen::add);
        Broker other = started(e -> { });
        node.subscribe("lost");
        for (int i = 1; i <= 5; i++) {
            other.publish("lost", "message", Integer.toString(i), clock.millis());
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 5);
        String before = seen.get(4).epoch();

        // Redis comes back without its last two writes (as after a crash with AOF everysec)
        assertThat(redis.command("HSET", RedisBroker.meta("lost"), "offset", "3")).isEqualTo(":0");
        assertThat(redis.command("ZREMRANGEBYSCORE", RedisBroker.history("lost"), "4", "5")).isEqualTo(":2");

        Envelope after = node.publish("lost", "message", "6", clock.millis());
        assertThat(after.epoch()).isNotEqualTo(before);
        assertThat(after.offset()).isEqualTo(1);
        await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 6);
        assertThat(seen.get(5)).isEqualTo(after);
    }

    @Test
    void offsetsThatRedisLostAndGaveToOtherPublishesAreNotDeliveredAsIfTheyWereTheOldOnes() throws Exception {
        List<Envelope> seen = new CopyOnWriteArrayList<>();
        Broker node = started(seen::add);
        Broker other = started(e -> { });
        node.subscribe("taken");
        for (int i = 1; i <= 5; i++) {
            other.publish("taken", "message", Integer.toString(i), clock.millis());
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 5);
        String epoch = seen.get(4).epoch();

        // Redis lost offsets 4 and 5, and three later publishes (not seen live by the node) took offsets 4 to 6
        long later = clock.millis() + 1000;
        assertThat(redis.command("ZREMRANGEBYSCORE", RedisBroker.history("taken"), "4", "5")).isEqualTo(":2");
        for (int offset = 4; offset <= 6; offset++) {
            String json = "{\"offset\":" + offset + ",\"epoch\":\"" + epoch + "\",\"event\":\"message\",\"ts\":"
                    + later + ",\"data\":\"new " + offset + "\"}";
            assertThat(redis.command("ZADD", RedisBroker.history("taken"), Integer.toString(offset), json))
                    .isEqualTo(":1");
        }
        assertThat(redis.command("HSET", RedisBroker.meta("taken"), "offset", "6")).isEqualTo(":0");

        // the node's pub/sub connection drops (as when Redis restarts) and catches up: it must see the new epoch
        assertThat(redis.command("CLIENT", "KILL", "TYPE", "pubsub")).startsWith(":");
        Envelope next = await().atMost(Duration.ofSeconds(30)).until(
                () -> other.publish("taken", "message", "7", clock.millis()), e -> !e.epoch().equals(epoch));
        assertThat(next.offset()).isEqualTo(1);
        await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains(next));
        assertThat(seen).extracting(Envelope::data).containsExactly("1", "2", "3", "4", "5", "7");
    }

    @Test
    void aChannelLeftWhileRedisWasDownIsNotSubscribedAfterTheReconnect() throws Exception {
        Broker node = started(e -> { });
        node.subscribe("left");
        await().atMost(Duration.ofSeconds(10)).until(() -> shardSubscribers("left") == 1);
        redis.stop();
        node.unsubscribe("left");
        redis.start();
        Broker other = started(e -> { });
        other.publish("left", "message", "1", clock.millis()); // Redis is back and the node has reconnected
        await().atMost(Duration.ofSeconds(30)).until(() -> shardSubscribers("left") == 0);
    }

    /** PUBSUB SHARDNUMSUB for the channel's shard channel. */
    private static long shardSubscribers(String channel) throws Exception {
        return RedisServer.shardSubscribers(redis.port(), RedisBroker.live(channel));
    }

    @Test
    void anIdempotencyKeyIsForgottenAfterTheWindowAndSharedByEveryNode() {
        Broker a = RedisBroker.connect(redis.url(), false, 100, Duration.ofHours(1), Duration.ofMillis(1500),
                TIMEOUT, Duration.ZERO, clock);
        mine.add(a);
        a.start(e -> { });
        Broker b = started(e -> { });
        Published first = a.publish("pay", "message", "1", clock.millis(), "order-9");
        Published onOtherNode = b.publish("pay", "message", "2", clock.millis(), "order-9");
        assertThat(onOtherNode.replayed()).isTrue();
        assertThat(onOtherNode.envelope()).isEqualTo(first.envelope());
        Published later = await().atMost(Duration.ofSeconds(30)).until(
                () -> a.publish("pay", "message", "3", clock.millis(), "order-9"), p -> !p.replayed());
        assertThat(later.envelope().offset()).isEqualTo(2);
    }

    @Test
    void usageReportsRedisMemory() {
        Broker b = started(e -> { });
        Broker.Usage usage = b.usage();
        assertThat(usage.bytes()).isPositive();
        assertThat(usage.maxBytes()).isEqualTo(-1); // redis-server started without maxmemory
        assertThat(usage.channels()).isEqualTo(-1);
    }

    @Test
    void anUnreachableRedisStopsTheStartWithOneLine() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        assertThatThrownBy(() -> RedisBroker.connect("redis://127.0.0.1:" + port, 10, Duration.ofHours(1),
                TIMEOUT, clock))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("herald.engine=redis: cannot connect to Redis at redis://127.0.0.1:" + port)
                .hasMessageNotContaining("\n");
    }
}
