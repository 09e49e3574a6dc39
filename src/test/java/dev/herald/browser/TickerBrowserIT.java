package dev.herald.browser;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.it.HeraldTarget;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The stock ticker demo in a real browser: one EventSource carries all ten symbols (docs/client.md, "SSE") and the
 * table follows the demo feed of StockTicker live. The tab has a connection of its own ({@code share=false}), so that
 * the EventSource is the page's, where the test counts it; SharedTabsBrowserIT has the shared one.
 */
class TickerBrowserIT {
    private static final List<String> SYMBOLS =
            List.of("ACME", "BOLT", "CRUX", "DYNO", "EMBR", "FJRD", "GLYF", "HALO", "IRIS", "JADE");

    @Test
    void theTickerUpdatesItsTableLiveOverOneEventSourceForAllSymbols() {
        try (Chromium browser = Chromium.start(1280, 900)) {
            browser.beforeEachPage(TickerPage.COUNT_EVENT_SOURCES);
            TickerPage ticker = TickerPage.open(browser, HeraldTarget.base(), null, "false");
            ticker.pill().awaitOpen("sse");
            Awaitility.await("every symbol priced").atMost(Chromium.WAIT)
                    .until(() -> SYMBOLS.stream().noneMatch(s -> ticker.price(s).equals("—")));

            long before = ticker.updates();
            String newest = ticker.tape().get(0);
            Awaitility.await("a live update after load").atMost(Chromium.WAIT)
                    .until(() -> ticker.updates() > before && !ticker.tape().get(0).equals(newest));

            List<String> streams = ticker.eventSources();
            assertThat(streams).as("one EventSource for all symbols").hasSize(1);
            for (String symbol : SYMBOLS) {
                assertThat(streams.get(0)).contains("channel=prices%3A" + symbol);
            }
            assertThat(ticker.tape()).doesNotHaveDuplicates();
            Awaitility.await("a few minutes of feed for the sparklines").atMost(Chromium.WAIT)
                    .until(() -> ticker.updates() >= 80);
            browser.screenshot("ticker");
            assertThat(browser.consoleErrors()).isEmpty();
        }
    }
}
