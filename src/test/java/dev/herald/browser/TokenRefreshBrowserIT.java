package dev.herald.browser;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * docs/security.md, "Token lifetime", in real browsers with Herald's default security (anonymous clients only read;
 * the chat page gets demo tokens): with tokens that live 7 seconds, herald.js refreshes each one before it expires,
 * on WebSocket with an {@code auth} frame on the same socket, on SSE by reopening the stream; messages keep flowing
 * both ways, each shown once, and the WebSocket never reconnects.
 */
class TokenRefreshBrowserIT {

    @Test
    void shortLivedTokensAreRefreshedWithoutLosingAConnectionOrAMessage() {
        try (StandaloneHerald server = StandaloneHerald.onFreePort();
             Chromium ada = Chromium.start(); Chromium linus = Chromium.start()) {
            server.start("herald.ticker=false", "herald.jwt.clock-skew=0s", "herald.demo.token-ttl=7s");
            String room = "refresh-" + Long.toString(System.nanoTime(), 36);
            // connections of the pages' own (share=false): the test reads herald.js's token where the page holds it
            ChatPage overWs = ChatPage.open(ada, server.base(), room, "ada", "ws", "false");
            ChatPage overSse = ChatPage.open(linus, server.base(), room, "linus", "sse", "false");
            overWs.pill().awaitOpen("ws");
            overSse.pill().awaitOpen("sse");
            for (ChatPage page : List.of(overWs, overSse)) {
                page.browser().js("window.__states = []; herald.on('state', e => window.__states.push(e.state));");
            }
            overWs.send("before the refresh");
            overSse.awaitEachOnce("before the refresh");

            Set<Object> wsTokens = new HashSet<>();
            Set<Object> sseTokens = new HashSet<>();
            Awaitility.await().atMost(Chromium.WAIT).pollInterval(Duration.ofMillis(250)).until(() -> {
                wsTokens.add(overWs.browser().js("return herald._auth.token"));
                sseTokens.add(overSse.browser().js("return herald._auth.token"));
                return wsTokens.size() >= 4 && sseTokens.size() >= 4; // three refreshes each: well past a lifetime
            });

            overWs.send("after the refresh, over WebSocket");
            overSse.send("after the refresh, over SSE and POST");
            for (ChatPage page : List.of(overWs, overSse)) {
                page.awaitEachOnce("before the refresh", "after the refresh, over WebSocket",
                        "after the refresh, over SSE and POST");
            }
            assertThat(overWs.browser().js("return window.__states").toString()).doesNotContain("reconnecting");
            assertThat(ada.consoleErrors()).isEmpty();
            assertThat(linus.consoleErrors()).isEmpty();
            overWs.browser().screenshot("chat-token-refresh");
        }
    }
}
