package dev.herald.browser;

import dev.herald.it.HeraldTarget;
import dev.herald.it.Http;
import java.net.URI;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** herald.js over HTTP long-polling (docs/protocol.md section 6.2) end to end, in real browsers. */
class LongPollBrowserIT {

    @Test
    void aLongPollingChatPageAndAWebSocketPageExchangeMessagesBothWays() {
        URI base = HeraldTarget.base();
        String room = Http.channel("poll").replace(':', '-');
        try (Chromium one = Chromium.start(); Chromium two = Chromium.start()) {
            ChatPage overPoll = ChatPage.open(one, base, room, "ada", "poll");
            ChatPage overWs = ChatPage.open(two, base, room, "linus", "ws");
            overPoll.pill().awaitOpen("poll");
            overWs.pill().awaitOpen("ws");
            overPoll.send("Polling in from behind a proxy");
            overWs.awaitEachOnce("Polling in from behind a proxy");
            overWs.send("Loud and clear, over WebSocket");
            overPoll.awaitEachOnce("Polling in from behind a proxy", "Loud and clear, over WebSocket");
            overPoll.browser().screenshot("chat-poll");
        }
    }

    @Test
    void theTickerFollowsTheFeedOverLongPolling() {
        try (Chromium browser = Chromium.start()) {
            TickerPage ticker = TickerPage.open(browser, HeraldTarget.base(), "poll");
            ticker.pill().awaitOpen("poll");
            Awaitility.await().atMost(Chromium.WAIT).until(() -> ticker.updates() > 0);
            long before = ticker.updates();
            Awaitility.await("live updates over long-polling").atMost(Chromium.WAIT)
                    .until(() -> ticker.updates() > before);
        }
    }
}
