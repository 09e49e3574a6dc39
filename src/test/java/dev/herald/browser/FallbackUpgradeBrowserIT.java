package dev.herald.browser;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.it.HeraldTarget;
import dev.herald.it.Http;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Issue 13 (docs/client.md, "Transports"): a page live over WebSocket behind a proxy that starts refusing
 * WebSockets falls back to SSE, then, with streams buffered too, to long-polling, and upgrades back to WebSocket once
 * the proxy lets it through again; while a publisher sends about 20 messages a second, every offset reaches the page
 * once and in order, and what the page publishes meanwhile is acknowledged.
 *
 * <p>The page is the landing page of the shared Herald, through a {@link HostileProxy} of the test's own, with
 * herald.js imported by the test: {@code openTimeout} 2 s and {@code upgradeInterval} 3 s keep the test short. The
 * channel is outside {@code secure:*}, open to anonymous clients under the test security settings. The page's
 * connection is its own ({@code share: false}): the test reads its outbox.
 */
class FallbackUpgradeBrowserIT {
    private static final String PAGE = """
            const channel = arguments[0];
            window.__offsets = []; window.__states = []; window.__acks = []; window.__errors = [];
            import('./herald.js').then(({ Herald }) => {
              const herald = window.__herald = Herald.connect({ openTimeout: 2000, upgradeInterval: 3000,
                                                                publishTimeout: 60000, share: false });
              herald.on('state', e => window.__states.push(e.state + '/' + e.transport));
              herald.subscribe(channel, m => window.__offsets.push(m.offset), { since: 0 });
              let n = 0;
              window.__publisher = setInterval(() => herald.publish(channel, 'page', { n: ++n })
                  .then(ack => window.__acks.push(ack.offset), e => window.__errors.push(e.code)), 500);
            });
            """;

    @Test
    void aPageFallsBackToSseThenLongPollingAndUpgradesBackToWebSocketWithEveryOffsetOnce() throws Exception {
        String channel = Http.channel("upgrade");
        List<Long> published = new CopyOnWriteArrayList<>();
        ScheduledExecutorService publisher = Executors.newSingleThreadScheduledExecutor();
        try (HostileProxy proxy = HostileProxy.friendlyBefore(HeraldTarget.base()); Chromium browser = Chromium.start()) {
            browser.open(proxy.base().resolve("index.html"));
            browser.js(PAGE, channel);
            awaitOpen(browser, "ws");
            publisher.scheduleAtFixedRate(() -> published.add((long) Http.publish(channel, "{\"from\":\"test\"}")
                    .getInt("offset")), 0, 50, TimeUnit.MILLISECONDS);
            awaitMoreOffsets(browser, 10);

            proxy.refuseWebSockets(true); // 403 on upgrades, and the open socket is cut
            awaitOpen(browser, "sse");
            awaitMoreOffsets(browser, 20);

            proxy.bufferStreams(true); // the stream is cut, and new ones are held unanswered
            awaitOpen(browser, "poll");
            awaitMoreOffsets(browser, 20);

            proxy.refuseWebSockets(false);
            proxy.bufferStreams(false);
            awaitOpen(browser, "ws");
            awaitMoreOffsets(browser, 20);

            publisher.shutdown();
            assertThat(publisher.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
            browser.js("clearInterval(window.__publisher)");
            Awaitility.await("the page's publishes acknowledged").atMost(Chromium.WAIT)
                    .until(() -> browser.js("return window.__herald._outbox.length").equals(0L));
            long last = Http.info(channel).getJsonNumber("latest").longValue();
            Awaitility.await("every offset up to " + last).atMost(Chromium.WAIT)
                    .until(() -> offsets(browser).contains(last));

            List<Long> offsets = offsets(browser);
            assertThat(offsets).as("every offset once, in order")
                    .containsExactlyElementsOf(IntStream.rangeClosed(1, (int) last).mapToObj(i -> (long) i).toList());
            assertThat(offsets).containsAll(published);
            assertThat(longs(browser.js("return window.__acks"))).isNotEmpty().isSubsetOf(offsets);
            assertThat((List<?>) browser.js("return window.__errors")).as("publishes refused").isEmpty();
            assertThat(states(browser)).containsSubsequence("open/ws", "open/sse", "open/poll", "open/ws");
        } finally {
            publisher.shutdownNow();
        }
    }

    private static void awaitOpen(Chromium browser, String transport) {
        Awaitility.await("open over " + transport).atMost(Chromium.WAIT).until(() -> (transport).equals(
                browser.js("const h = window.__herald; return h && h.state === 'open' ? h.transport : null")));
    }

    /** Waits until the page has received {@code more} offsets beyond what it has now. */
    private static void awaitMoreOffsets(Chromium browser, int more) {
        int now = offsets(browser).size();
        Awaitility.await(more + " more offsets").atMost(Chromium.WAIT).until(() -> offsets(browser).size() >= now + more);
    }

    private static List<Long> offsets(Chromium browser) {
        return longs(browser.js("return window.__offsets"));
    }

    private static List<Long> longs(Object value) {
        List<Long> out = new ArrayList<>();
        for (Object o : (List<?>) value) {
            out.add(((Number) o).longValue());
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static List<String> states(Chromium browser) {
        return (List<String>) browser.js("return window.__states");
    }
}
