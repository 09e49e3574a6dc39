package dev.herald.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.herald.support.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link Broker} must do (see its Javadoc), run against each implementation by a subclass: offsets,
 * bounded history by count and age, delivery in offset order under concurrent publishers, epochs.
 */
public abstract class BrokerContractTest {
    protected final ManualClock clock = new ManualClock(1_700_000_000_000L);
    private final List<Broker> brokers = new ArrayList<>();

    /** A broker of the implementation under test, keeping history per channel as {@code retention} says. */
    protected abstract Broker newBroker(Retention retention, ManualClock clock);

    /** A broker keeping the same history for every channel. */
    protected final Broker newBroker(int historySize, Duration ttl, ManualClock clock) {
        return newBroker(Retention.fixed(historySize, ttl), clock);
    }

    private Broker broker(int historySize, Duration ttl, Broker.Listener listener) {
        Broker b = newBroker(historySize, ttl, clock);
        b.start(listener);
        brokers.add(b);
        return b;
    }

    @AfterEach
    void closeBrokers() {
        brokers.forEach(Broker::close);
    }

    @Test
    void offsetsStartAtOneAndGrowByOnePerChannel() {
        Broker b = broker(100, Duration.ofHours(1), e -> { });
        assertThat(b.publish("a", "message", "1", clock.millis()).offset()).isEqualTo(1);
        assertThat(b.publish("a", "message", "2", clock.millis()).offset()).isEqualTo(2);
        assertThat(b.publish("b", "message", "3", clock.millis()).offset()).isEqualTo(1);
        Envelope third = b.publish("a", "price", "{\"x\":1}", clock.millis());
        assertThat(third.offset()).isEqualTo(3);
        assertThat(third.event()).isEqualTo("price");
        assertThat(third.data()).isEqualTo("{\"x\":1}");
        assertThat(third.id()).isEqualTo(third.epoch() + "-3");
    }

    @Test
    void aSecondPublishWithTheSameIdempotencyKeyReplaysTheFirstAndDeliversNothing() {
        List<Envelope> seen = new CopyOnWriteArrayList<>();
        Broker b = broker(100, Duration.ofHours(1), seen::add);
        b.subscribe("pay");
        Published first = b.publish("pay", "paid", "{\"n\":1}", clock.millis(), "order-1");
        assertThat(first.replayed()).isFalse();
        Published again = b.publish("pay", "other", "{\"n\":2}", clock.millis() + 5, "order-1");
        assertThat(again.replayed()).isTrue();
        assertThat(again.envelope()).isEqualTo(first.envelope());
        assertThat(again.envelope().data()).isEqualTo("{\"n\":1}");
        // another key, or the same key on another channel, is another publish
        assertThat(b.publish("pay", "paid", "3", clock.millis(), "order-2").envelope().offset()).isEqualTo(2);
        assertThat(b.publish("refund", "paid", "4", clock.millis(), "order-1").replayed()).isFalse();
        assertThat(b.history("pay", 0, 10).messages()).extracting(Envelope::offset).containsExactly(1L, 2L);
        await().atMost(Duration.ofSeconds(10)).until(() -> seen.stream().filter(e -> e.channel().equals("pay"))
                .count() >= 2);
        assertThat(seen).filteredOn(e -> e.channel().equals("pay")).extracting(Envelope::offset)
                .containsExactly(1L, 2L);
    }

    @Test
    void aBinaryMessageKeepsItsEncodingLiveInHistoryAndOnReplay() {
        List<Envelope> seen = new CopyOnWriteArrayList<>();
        Broker b = broker(100, Duration.ofHours(1), seen::add);
        b.subscribe("files");
        byte[] bytes = {0, 1, (byte) 0xff, '\n', '"'};
        String data = Envelope.base64Data(bytes);
        Published first = b.publish("files", "chunk", data, Envelope.BASE64, clock.millis(), "upload-1");
        b.publish("files", "note", "{\"n\":1}", clock.millis());
        assertThat(first.envelope().binary()).isTrue();
        assertThat(first.envelope().bytes()).containsExactly(bytes);
        Published again = b.publish("files", "chunk", data, Envelope.BASE64, clock.millis(), "upload-1");
        assertThat(again.replayed()).isTrue();
        assertThat(again.envelope()).isEqualTo(first.envelope());
        assertThat(again.envelope().bytes()).containsExactly(bytes);

        List<Envelope> history = b.history("files", 0, 10).messages();
        assertThat(history).extracting(Envelope::encoding).containsExactly(Envelope.BASE64, null);
        assertThat(history.get(0).bytes()).containsExactly(bytes);
        assertThat(history.get(0)).isEqualTo(first.envelope());
        await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() >= 2);
        assertThat(seen).extracting(Envelope::offset).containsExactly(1L, 2L);
        assertThat(seen.get(0).bytes()).containsExactly(bytes);
        assertThat(seen.get(1).binary()).isFalse();
    }

    @Test
    void eachChannelKeepsTheHistoryItsRetentionGivesIt() {
        Retention byNamespace = new Retention() {
            @Override
            public int historySize(String channel) {
                return channel.startsWith("chat:") ? 2 : 4;
            }

            @Override
            public Duration historyTtl(String channel) {
                return channel.startsWith("chat:") ? Duration.ofMinutes(1) : Duration.ofHours(1);
            }
        };
        Broker b = newBroker(byNamespace, clock);
        b.start(e -> { });
        brokers.add(b);
        for (int i = 1; i <= 5; i++) {
            b.publish("chat:a", "message", Integer.toString(i), clock.millis());
            b.publish("feed", "message", Integer.toString(i), clock.millis());
        }
        assertThat(b.history("chat:a", 0, 10).messages()).extracting(Envelope::offset).containsExactly(4L, 5L);
        assertThat(b.history("feed", 0, 10).messages()).extracting(Envelope::offset).containsExactly(2L, 3L, 4L, 5L);
        clock.advance(Duration.ofMinutes(2));
        assertThat(b.history("chat:a", 0, 10).messages()).isEmpty();
        assertThat(b.history("feed", 0, 10).messages()).hasSize(4);
    }

    @Test
    void anUnusedChannelHasAnEmptyHistoryAtOffsetZero() {
        Broker b = broker(100, Duration.ofHours(1), e -> { });
        HistoryPage page = b.history("nothing", 0, 10);
        assertThat(page.latest()).isZero();
        assertThat(page.earliest()).isNull();
        assertThat(page.messages()).isEmpty();
        assertThat(page.epoch()).isNotBlank();
    }

    @Test
    void historyKeepsOnlyTheLatestMessagesByCount() {
        Broker b = broker(5, Duration.ofHours(1), e -> { });
        for (int i = 1; i <= 8; i++) {
            b.publish("c", "message", Integer.toString(i), clock.millis());
        }
        HistoryPage page = b.history("c", 0, 100);
        assertThat(page.earliest()).isEqualTo(4);
        assertThat(page.latest()).isEqualTo(8);
        assertThat(page.messages()).extracting(Envelope::offset).containsExactly(4L, 5L, 6L, 7L, 8L);
    }

    @Test
    void historyDropsMessagesOlderThanTheTtl() {
        Broker b = broker(100, Duration.ofMinutes(10), e -> { });
        b.publish("c", "message", "1", clock.millis());
        clock.advance(Duration.ofMinutes(6));
        b.publish("c", "message", "2", clock.millis());
        clock.advance(Duration.ofMinutes(5));

        HistoryPage page = b.history("c", 0, 100);
        assertThat(page.messages()).extracting(Envelope::offset).containsExactly(2L);
        assertThat(page.earliest()).isEqualTo(2);

        clock.advance(Duration.ofMinutes(6));
        HistoryPage empty = b.history("c", 0, 100);
        assertThat(empty.messages()).isEmpty();
        assertThat(empty.earliest()).isNull();
        assertThat(empty.latest()).isEqualTo(2);
    }

    @Test
    void historyAfterAnOffsetWithALimitIsOldestFirst() {
        Broker b = broker(100, Duration.ofHours(1), e -> { });
        for (int i = 1; i <= 10; i++) {
            b.publish("c", "message", Integer.toString(i), clock.millis());
        }
        assertThat(b.history("c", 3, 4).messages()).extracting(Envelope::offset).containsExactly(4L, 5L, 6L, 7L);
        assertThat(b.history("c", 10, 4).messages()).isEmpty();
        assertThat(b.history("c", 0, 0).messages()).isEmpty();
        assertThat(b.history("c", 0, 0).latest()).isEqualTo(10);
    }

    @Test
    void subscribedNodesReceiveEveryPublishInOffsetOrderUnderConcurrentPublishers() throws Exception {
        Map<String, List<Long>> seen = new ConcurrentHashMap<>();
        Broker b = broker(10_000, Duration.ofHours(1),
                e -> seen.computeIfAbsent(e.channel(), c -> new CopyOnWriteArrayList<>()).add(e.offset()));
        b.subscribe("x");
        b.subscribe("y");
        int threads = 4;
        int each = 500;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch go = new CountDownLatch(1);
        for (int t = 0; t < threads; t++) {
            String channel = t % 2 == 0 ? "x" : "y";
            pool.execute(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < each; i++) {
                    b.publish(channel, "message", "0", clock.millis());
                }
            });
        }
        go.countDown();
        pool.shutdown();
        assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();

        List<Long> expected = new ArrayList<>();
        for (long i = 1; i <= 2L * each; i++) {
            expected.add(i);
        }
        // delivery may be asynchronous (the Redis engine's comes back through pub/sub): wait for the count, then
        // check the order
        await().atMost(Duration.ofSeconds(30)).until(() -> size(seen.get("x")) >= 2 * each
                && size(seen.get("y")) >= 2 * each);
        assertThat(seen.get("x")).containsExactlyElementsOf(expected);
        assertThat(seen.get("y")).containsExactlyElementsOf(expected);
    }

    private static int size(List<Long> list) {
        return list == null ? 0 : list.size();
    }
}
