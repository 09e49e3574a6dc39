package dev.herald.browser;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.it.HeraldTarget;
import dev.herald.it.Http;
import java.net.URI;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The chat demo in two real browsers, one forced to WebSocket and one to SSE + HTTP POST (docs/client.md,
 * "Transports"): messages go both ways, history shows on join, text stays text, own messages show once.
 */
class ChatBrowserIT {
    private static Chromium ada;
    private static Chromium linus;

    @BeforeAll
    static void browsers() {
        ada = Chromium.start();
        linus = Chromium.start();
    }

    @AfterAll
    static void close() {
        ada.close();
        linus.close();
    }

    @Test
    void aWebSocketPageAndAnSsePageExchangeMessagesBothWaysEachShownOnce() {
        URI base = HeraldTarget.base();
        String room = Http.channel("it").replace(':', '-');
        Http.publish("chat:" + room, "chat", "{\"nick\":\"grace\",\"text\":\"Welcome to the room\",\"cid\":\"h1\"}");

        ChatPage overWs = ChatPage.open(ada, base, room, "ada", "ws");
        ChatPage overSse = ChatPage.open(linus, base, room, "linus", "sse");
        overWs.pill().awaitOpen("ws");
        overSse.pill().awaitOpen("sse");
        overWs.awaitEachOnce("Welcome to the room");
        overSse.awaitEachOnce("Welcome to the room");

        overWs.send("Hello from ada over WebSocket");
        overSse.awaitEachOnce("Hello from ada over WebSocket");
        overSse.send("Hi ada, linus here over SSE and POST");
        overWs.awaitEachOnce("Hi ada, linus here over SSE and POST");
        String markup = "<img src=x onerror=\"document.title='pwned'\"> <b>not bold</b>";
        overSse.send(markup);

        for (ChatPage page : new ChatPage[] {overWs, overSse}) {
            page.awaitEachOnce("Welcome to the room", "Hello from ada over WebSocket",
                    "Hi ada, linus here over SSE and POST", markup);
            assertThat(page.browser().js("return document.querySelectorAll('#messages img, #messages .text b').length"))
                    .as("user text is rendered as text, never as HTML").isEqualTo(0L);
            assertThat(page.browser().js("return document.title")).isNotEqualTo("pwned");
        }
        overWs.browser().screenshot("chat-websocket");
        overSse.browser().screenshot("chat-sse");
        assertThat(ada.consoleErrors()).isEmpty();
        assertThat(linus.consoleErrors()).isEmpty();
    }
}
