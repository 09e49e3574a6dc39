package dev.herald.browser;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.it.HeraldTarget;
import dev.herald.it.Http;
import java.net.URI;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The chat demo shows who is online in the room and a line when someone joins or leaves (docs/protocol.md,
 * "Presence"), in two real browsers, one on WebSocket and one on SSE.
 */
class ChatPresenceBrowserIT {
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
    void whoIsOnlineAndJoinAndLeaveLines() {
        URI base = HeraldTarget.base();
        String room = Http.channel("presence").replace(':', '-');
        ChatPage overWs = ChatPage.open(ada, base, room, "ada", "ws");
        overWs.pill().awaitOpen("ws");
        Awaitility.await("ada sees herself online").atMost(Chromium.WAIT)
                .until(() -> overWs.online().contains("ada"));

        ChatPage overSse = ChatPage.open(linus, base, room, "linus", "sse");
        overSse.pill().awaitOpen("sse");
        Awaitility.await("both online on both pages").atMost(Chromium.WAIT)
                .until(() -> overWs.online().equals(java.util.List.of("ada", "linus"))
                        && overSse.online().equals(java.util.List.of("ada", "linus")));
        Awaitility.await("ada is told linus joined").atMost(Chromium.WAIT)
                .until(() -> overWs.presenceNotes().contains("linus joined"));

        linus.open(URI.create("about:blank")); // linus closes the page
        Awaitility.await("ada is told linus left").atMost(Chromium.WAIT)
                .until(() -> overWs.presenceNotes().contains("linus left"));
        assertThat(overWs.online()).containsExactly("ada");
        assertThat(overWs.presenceNotes()).containsOnlyOnce("linus joined").containsOnlyOnce("linus left");
        overWs.browser().screenshot("chat-presence");
        assertThat(ada.consoleErrors()).isEmpty();
    }
}
