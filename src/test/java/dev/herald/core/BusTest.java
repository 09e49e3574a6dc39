package dev.herald.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.herald.engine.memory.MemoryBroker;
import dev.herald.security.Action;
import dev.herald.security.AllowAllAuthorizer;
import dev.herald.security.Authorizer;
import dev.herald.security.Caller;
import dev.herald.support.ManualClock;
import dev.herald.support.RecordingTransport;
import jakarta.json.Json;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The bus with the memory engine and recording transports: subscribe, resume, gaps, fan-out, closing. */
class BusTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private final ManualClock clock = new ManualClock(1_700_000_000_000L);
    private Bus bus = bus(HeraldConfig.defaults(), new AllowAllAuthorizer());

    private Bus bus(HeraldConfig config, Authorizer authorizer) {
        return new Bus(config, new MemoryBroker(config.historySize(), config.historyTtl(), clock), authorizer, clock);
    }

    private static HeraldConfig config(Map<String, String> settings) {
        return HeraldConfig.from(settings::get);
    }

    @AfterEach
    void stop() {
        bus.stop();
    }

    private RecordingTransport subscribe(String channel, Long since, String epoch) {
        RecordingTransport t = RecordingTransport.recording();
        Subscriber s = bus.connect(Caller.SYSTEM, t);
        bus.subscribe(s, channel, since, epoch, "r1");
        return t;
    }

    private void publish(String channel, int n) {
        for (int i = 0; i < n; i++) {
            bus.publish(channel, null, Map.of("n", i));
        }
    }

    @Test
    void aSubscriberGetsSubscribedThenLiveEnvelopesInOrder() {
        publish("c", 2);
        RecordingTransport t = subscribe("c", null, null);
        publish("c", 3);

        await().atMost(WAIT).until(() -> t.envelopes().size() == 3);
        Subscribed first = (Subscribed) t.written().get(0);
        assertThat(first.latest()).isEqualTo(2);
        assertThat(first.ref()).isEqualTo("r1");
        assertThat(t.offsets()).containsExactly(3L, 4L, 5L);
        assertThat(t.envelopes().get(0).event()).isEqualTo("message");
        assertThat(t.envelopes().get(0).data()).isEqualTo("{\"n\":0}");
    }

    @Test
    void resumingAfterAnOffsetReplaysWhatWasMissedThenGoesLive() {
        publish("c", 5);
        RecordingTransport t = subscribe("c", 2L, null);
        publish("c", 2);

        await().atMost(WAIT).until(() -> t.envelopes().size() == 5);
        assertThat(t.offsets()).containsExactly(3L, 4L, 5L, 6L, 7L);
        assertThat(t.written()).noneMatch(Gap.class::isInstance);
        assertThat(((Subscribed) t.written().get(0)).from()).isEqualTo(2);
    }

    @Test
    void resumingFromTheLatestOffsetReplaysNothing() {
        publish("c", 3);
        RecordingTransport t = subscribe("c", 3L, null);
        publish("c", 1);
        await().atMost(WAIT).until(() -> t.envelopes().size() == 1);
        assertThat(t.offsets()).containsExactly(4L);
    }

    @Test
    void resumingBehindHistorySignalsAGapThenReplaysWhatIsKept() {
        bus = bus(config(Map.of("herald.history.size", "3")), new AllowAllAuthorizer());
        publish("c", 6);
        RecordingTransport t = subscribe("c", 1L, null);

        await().atMost(WAIT).until(() -> t.envelopes().size() == 3);
        Gap gap = (Gap) t.written().get(1);
        assertThat(gap.requested()).isEqualTo(2);
        assertThat(gap.earliest()).isEqualTo(4);
        assertThat(gap.reset()).isFalse();
        assertThat(t.offsets()).containsExactly(4L, 5L, 6L);
    }

    @Test
    void resumingWhenEverythingMissedHasExpiredSignalsAGapToTheNextOffset() {
        publish("c", 2);
        clock.advance(Duration.ofHours(2));
        RecordingTransport t = subscribe("c", 0L, null);
        publish("c", 1);

        await().atMost(WAIT).until(() -> t.envelopes().size() == 1);
        Gap gap = (Gap) t.written().get(1);
        assertThat(gap.requested()).isEqualTo(1);
        assertThat(gap.earliest()).isEqualTo(3);
        assertThat(t.offsets()).containsExactly(3L);
    }

    @Test
    void anotherEpochOrAnOffsetBeyondTheLatestMeansTheStreamWasResetAndEverythingKeptIsReplayed() {
        publish("c", 2);
        String epoch = bus.history(Caller.SYSTEM, "c", 0, 0).epoch();
        RecordingTransport otherEpoch = subscribe("c", 1L, "older");
        RecordingTransport beyond = subscribe("c", 50L, null);
        RecordingTransport sameEpoch = subscribe("c", 1L, epoch);

        await().atMost(WAIT).until(() -> otherEpoch.envelopes().size() == 2 && beyond.envelopes().size() == 2
                && sameEpoch.envelopes().size() == 1);
        for (RecordingTransport t : List.of(otherEpoch, beyond)) {
            Gap gap = (Gap) t.written().get(1);
            assertThat(gap.reset()).isTrue();
            assertThat(gap.epoch()).isEqualTo(epoch);
            assertThat(gap.earliest()).isEqualTo(1);
            assertThat(t.offsets()).containsExactly(1L, 2L);
        }
        assertThat(((Gap) beyond.written().get(1)).requested()).isEqualTo(51);
        assertThat(sameEpoch.offsets()).containsExactly(2L);
    }

    @Test
    void liveEnvelopesDuringAReplayAreNeitherLostNorDuplicated() throws Exception {
        int publishers = 2;
        int each = 2000;
        ExecutorService pool = Executors.newFixedThreadPool(publishers);
        CountDownLatch go = new CountDownLatch(1);
        for (int p = 0; p < publishers; p++) {
            pool.execute(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                publish("c", each);
            });
        }
        go.countDown();
        List<RecordingTransport> subscribers = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            subscribers.add(subscribe("c", 0L, null)); // history is 1000: early ones replay, later ones gap
        }
        pool.shutdown();
        assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();

        long total = (long) publishers * each;
        for (RecordingTransport t : subscribers) {
            await().atMost(WAIT).until(() -> !t.offsets().isEmpty() && t.offsets().get(t.offsets().size() - 1) == total);
            List<Long> offsets = t.offsets();
            long first = offsets.get(0);
            assertThat(offsets).containsExactlyElementsOf(LongStream.rangeClosed(first, total).boxed().toList());
            if (first > 1) {
                assertThat(t.written()).filteredOn(Gap.class::isInstance).singleElement()
                        .extracting(g -> ((Gap) g).earliest()).isEqualTo(first);
            }
        }
    }

    @Test
    void concurrentPublishersKeepPerChannelOrderAndLoseNothing() throws Exception {
        RecordingTransport t = subscribe("c", null, null);
        int publishers = 4;
        int each = 1000;
        ExecutorService pool = Executors.newFixedThreadPool(publishers);
        List<List<Long>> sent = new CopyOnWriteArrayList<>();
        for (int p = 0; p < publishers; p++) {
            int publisher = p;
            pool.execute(() -> {
                List<Long> mine = new ArrayList<>();
                for (int i = 0; i < each; i++) {
                    mine.add(bus.publish("c", "p" + publisher, i).offset());
                }
                sent.add(mine);
            });
        }
        pool.shutdown();
        assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();

        await().atMost(WAIT).until(() -> t.envelopes().size() == publishers * each);
        assertThat(t.offsets()).isSorted().doesNotHaveDuplicates().hasSize(publishers * each);
        for (int p = 0; p < publishers; p++) {
            String name = "p" + p;
            List<String> data = t.envelopes().stream().filter(e -> e.event().equals(name)).map(Envelope::data).toList();
            assertThat(data).containsExactlyElementsOf(LongStream.range(0, each).mapToObj(Long::toString).toList());
        }
        assertThat(sent).allSatisfy(offsets -> assertThat(offsets).isSorted());
    }

    @Test
    void aSubscriberThatStopsReadingIsClosedAsSlowWhileOthersGetEverything() {
        bus = bus(config(Map.of("herald.subscriber.queue", "16")), new AllowAllAuthorizer());
        RecordingTransport fast = subscribe("c", null, null);
        RecordingTransport stuck = RecordingTransport.stuck();
        bus.subscribe(bus.connect(Caller.SYSTEM, stuck), "c", null, null, null);

        for (int round = 1; round <= 20; round++) { // paced so that the fast one never has 16 waiting
            publish("c", 10); // returns although the stuck subscriber never completes a write
            int expected = round * 10;
            await().atMost(WAIT).until(() -> fast.envelopes().size() == expected);
        }

        assertThat(fast.offsets()).isEqualTo(LongStream.rangeClosed(1, 200).boxed().toList());
        await().atMost(WAIT).until(() -> stuck.closeReason() != null);
        assertThat(stuck.closeReason()).isEqualTo(Disconnect.SLOW);
        assertThat(bus.subscriberCount("c")).isEqualTo(1);
        assertThat(fast.closeReason()).isNull();
    }

    @Test
    void closingASubscriberRemovesItFromEveryChannel() {
        RecordingTransport t = RecordingTransport.recording();
        Subscriber s = bus.connect(Caller.SYSTEM, t);
        bus.subscribe(s, "a", null, null, null);
        bus.subscribe(s, "b", null, null, null);
        assertThat(bus.subscriberCount("a")).isEqualTo(1);
        assertThat(bus.connectionCount()).isEqualTo(1);

        s.close(Disconnect.NORMAL);

        assertThat(bus.subscriberCount("a")).isZero();
        assertThat(bus.subscriberCount("b")).isZero();
        assertThat(bus.connectionCount()).isZero();
        assertThat(bus.activeChannelCount()).isZero();
    }

    @Test
    void unsubscribeStopsDeliveryOfThatChannelOnly() {
        RecordingTransport t = RecordingTransport.recording();
        Subscriber s = bus.connect(Caller.SYSTEM, t);
        bus.subscribe(s, "a", null, null, null);
        bus.subscribe(s, "b", null, null, null);
        assertThat(bus.unsubscribe(s, "a")).isTrue();
        assertThat(bus.unsubscribe(s, "a")).isFalse();
        publish("a", 1);
        publish("b", 1);
        await().atMost(WAIT).until(() -> t.envelopes().size() == 1);
        assertThat(t.envelopes().get(0).channel()).isEqualTo("b");
    }

    @Test
    void javaSubscribersReceiveEnvelopesAndCanClose() throws Exception {
        List<Envelope> seen = new CopyOnWriteArrayList<>();
        Subscription sub = bus.subscribe("c", seen::add);
        bus.publish("c", "price", Json.createObjectBuilder().add("p", 1).build());
        await().atMost(WAIT).until(() -> seen.size() == 1);
        assertThat(seen.get(0).data()).isEqualTo("{\"p\":1}");
        assertThat(seen.get(0).event()).isEqualTo("price");
        sub.close();
        assertThat(sub.isActive()).isFalse();
        assertThat(bus.subscriberCount("c")).isZero();
    }

    @Test
    void everyPublishAndSubscribePassesTheAuthorizer() {
        List<String> asked = new CopyOnWriteArrayList<>();
        bus = bus(HeraldConfig.defaults(), (caller, action, channel) -> {
            asked.add(action + " " + channel);
            return channel.startsWith("secret") ? Authorizer.Decision.forbidden("no") : null;
        });
        Subscriber s = bus.connect(Caller.SYSTEM, RecordingTransport.recording());
        assertThatThrownBy(() -> bus.subscribe(s, "secret:a", null, null, null))
                .isInstanceOfSatisfying(HeraldException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.FORBIDDEN));
        assertThatThrownBy(() -> bus.publish("secret:a", null, 1))
                .isInstanceOfSatisfying(HeraldException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.FORBIDDEN));
        assertThatThrownBy(() -> bus.history(Caller.SYSTEM, "secret:a", 0, 1))
                .isInstanceOfSatisfying(HeraldException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.FORBIDDEN));
        bus.publish("open", null, 1);
        assertThat(asked).containsExactly("SUBSCRIBE secret:a", "PUBLISH secret:a", "HISTORY secret:a", "PUBLISH open");
        assertThat(bus.subscriberCount("secret:a")).isZero();
        assertThat(Action.values()).hasSize(4);
    }

    @Test
    void badNamesAndOversizedDataAreRefusedWithTheirCodes() {
        bus = bus(config(Map.of("herald.max-message-bytes", "1024")), new AllowAllAuthorizer());
        assertCode(() -> bus.publish("bad channel", null, 1), ErrorCode.BAD_CHANNEL);
        assertCode(() -> bus.publish("-x", null, 1), ErrorCode.BAD_CHANNEL);
        assertCode(() -> bus.publish("x".repeat(129), null, 1), ErrorCode.BAD_CHANNEL);
        assertCode(() -> bus.publish("ok", "line\nbreak", 1), ErrorCode.BAD_REQUEST);
        assertCode(() -> bus.publish("ok", "herald-gap", 1), ErrorCode.BAD_REQUEST);
        assertCode(() -> bus.publish("ok", null, "x".repeat(2000)), ErrorCode.TOO_LARGE);
        Subscriber s = bus.connect(Caller.SYSTEM, RecordingTransport.recording());
        assertCode(() -> bus.subscribe(s, "ok", -1L, null, null), ErrorCode.BAD_REQUEST);
        assertThat(bus.publish("Aa0_.:@-z", "a b", 1).offset()).isEqualTo(1);
    }

    private static void assertCode(Runnable r, ErrorCode code) {
        assertThatThrownBy(r::run).isInstanceOfSatisfying(HeraldException.class,
                e -> assertThat(e.code()).isEqualTo(code));
    }

    /** docs/protocol.md, "Slow consumers": a paused subscriber of a conflating namespace gets the latest per key. */
    @Test
    void aPausedSubscriberOfAConflatingNamespaceGetsTheLatestPerKeyWhileAFastOneGetsEverything() throws Exception {
        bus.stop();
        bus = bus(config(Map.of("herald.namespaces", "prices", "herald.ns.prices.slow-consumer", "conflate",
                "herald.ns.prices.conflate-key", "data.symbol")), new AllowAllAuthorizer());
        RecordingTransport fast = subscribe("prices:all", null, null);
        RecordingTransport slow = RecordingTransport.paused();
        bus.subscribe(bus.connect(Caller.SYSTEM, slow), "prices:all", null, null, "r1");
        await().atMost(WAIT).until(() -> !slow.written().isEmpty()); // its first write is held
        String[] symbols = {"A", "B", "C"};
        for (int i = 1; i <= 300; i++) {
            bus.publish("prices:all", "price", Map.of("symbol", symbols[i % 3], "price", i));
            if (i % 10 == 0) { // a fast reader keeps up: never 16 envelopes behind
                int sent = i;
                await().atMost(WAIT).until(() -> fast.envelopes().size() == sent);
            }
        }
        slow.resume();
        await().atMost(WAIT).until(() -> slow.offsets().contains(300L));

        assertThat(fast.offsets()).isEqualTo(java.util.stream.LongStream.rangeClosed(1, 300).boxed().toList());
        List<Long> got = slow.offsets();
        assertThat(got).isSorted().doesNotHaveDuplicates().contains(298L, 299L, 300L);
        assertThat(got.size()).isLessThan(100);
        assertThat(slow.closeReason()).isNull();
        // every skip is announced as a conflated gap right before the envelope it leads to
        List<Outbound> written = slow.written();
        long last = 0;
        for (int i = 0; i < written.size(); i++) {
            if (written.get(i) instanceof Envelope e) {
                if (e.offset() != last + 1) {
                    assertThat(written.get(i - 1)).isEqualTo(new Gap("prices:all", last + 1, e.offset(), false,
                            e.epoch(), true));
                }
                last = e.offset();
            }
        }
    }

    /** {@link Probe}: a probe that throws when told what a slow-consumer policy did costs the subscriber nothing. */
    @Test
    void aProbeThrowingOnSlowConsumerEventsLeavesTheFanOutAlone() throws Exception {
        bus.stop();
        bus = bus(config(Map.of("herald.namespaces", "prices", "herald.ns.prices.slow-consumer", "conflate")),
                new AllowAllAuthorizer());
        List<String> told = new CopyOnWriteArrayList<>();
        bus.observe(new Probe() {
            @Override
            public void fellBehind(String transport, Namespace.SlowConsumer policy) {
                told.add("behind");
                throw new IllegalStateException("a broken probe");
            }

            @Override
            public void skipped(String transport, Namespace.SlowConsumer policy, int envelopes) {
                told.add("skipped");
                throw new IllegalStateException("a broken probe");
            }
        });
        RecordingTransport slow = RecordingTransport.paused();
        bus.subscribe(bus.connect(Caller.SYSTEM, slow), "prices:x", null, null, "r1");
        await().atMost(WAIT).until(() -> !slow.written().isEmpty());
        publish("prices:x", 100);
        slow.resume();
        await().atMost(WAIT).until(() -> slow.offsets().contains(100L));
        assertThat(told).contains("behind", "skipped");
        assertThat(slow.closeReason()).isNull();
        assertThat(slow.offsets()).isSorted().doesNotHaveDuplicates().endsWith(100L);
        RecordingTransport after = subscribe("prices:x", null, null);
        publish("prices:x", 1);
        await().atMost(WAIT).until(() -> after.offsets().contains(101L) && slow.offsets().contains(101L));
    }

    @Test
    void aPausedSubscriberOfADropOldestNamespaceKeepsTheNewestAndIsToldWhatWasDropped() throws Exception {
        bus.stop();
        bus = bus(config(Map.of("herald.subscriber.queue", "16", "herald.namespaces", "feed",
                "herald.ns.feed.slow-consumer", "drop-oldest")), new AllowAllAuthorizer());
        RecordingTransport slow = RecordingTransport.paused();
        bus.subscribe(bus.connect(Caller.SYSTEM, slow), "feed:x", null, null, "r1");
        await().atMost(WAIT).until(() -> !slow.written().isEmpty());
        for (int i = 1; i <= 200; i++) {
            bus.publish("feed:x", null, i);
        }
        slow.resume();
        await().atMost(WAIT).until(() -> slow.offsets().contains(200L));
        assertThat(slow.closeReason()).isNull();
        List<Long> got = slow.offsets();
        assertThat(got).isSorted().doesNotHaveDuplicates();
        assertThat(got).endsWith(java.util.stream.LongStream.rangeClosed(185, 200).boxed().toArray(Long[]::new));
        assertThat(slow.written()).anySatisfy(o -> assertThat(o).isInstanceOfSatisfying(Gap.class,
                g -> assertThat(g.conflated()).isFalse()));
    }

    @Test
    void withoutAPolicyAPausedSubscriberIsClosedAsSlow() throws Exception {
        bus.stop();
        bus = bus(config(Map.of("herald.subscriber.queue", "16")), new AllowAllAuthorizer());
        RecordingTransport slow = RecordingTransport.paused();
        bus.subscribe(bus.connect(Caller.SYSTEM, slow), "feed:x", null, null, "r1");
        await().atMost(WAIT).until(() -> !slow.written().isEmpty());
        for (int i = 1; i <= 200; i++) {
            bus.publish("feed:x", null, i);
        }
        assertThat(slow.closedLatch().await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(slow.closeReason()).isEqualTo(Disconnect.SLOW);
    }
}
