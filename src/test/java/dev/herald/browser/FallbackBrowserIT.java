package dev.herald.browser;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.it.HeraldTarget;
import dev.herald.it.Http;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Transport fallback (docs/client.md, "Transports") through a proxy that refuses WebSockets and buffers event
 * streams: herald.js tries WebSocket, then SSE, and settles on long-polling, and the page works there.
 */
class FallbackBrowserIT {

    @Test
    void behindAProxyThatBlocksWebSocketsAndBuffersStreamsTheChatFallsBackToLongPolling() {
        String room = Http.channel("fallback").replace(':', '-');
        try (HostileProxy proxy = HostileProxy.before(HeraldTarget.base());
             Chromium behind = Chromium.start(); Chromium direct = Chromium.start()) {
            ChatPage proxied = ChatPage.open(behind, proxy.base(), room, "ada", null);
            ChatPage open = ChatPage.open(direct, HeraldTarget.base(), room, "linus", null);
            open.pill().awaitOpen("ws");
            proxied.pill().awaitOpen("poll");

            proxied.send("Made it through the proxy");
            open.awaitEachOnce("Made it through the proxy");
            open.send("Welcome through");
            proxied.awaitEachOnce("Made it through the proxy", "Welcome through");
            assertThat(proxied.pill().transport()).isEqualTo("poll");
        }
    }

    @Test
    void theTickerBehindABufferingProxyFallsBackFromSseToLongPolling() {
        try (HostileProxy proxy = HostileProxy.before(HeraldTarget.base()); Chromium browser = Chromium.start()) {
            TickerPage ticker = TickerPage.open(browser, proxy.base(), null);
            ticker.pill().awaitOpen("poll");
            long before = ticker.updates();
            Awaitility.await().atMost(Chromium.WAIT).until(() -> ticker.updates() > before);
        }
    }
}
