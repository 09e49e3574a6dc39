package dev.herald.browser;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.awaitility.Awaitility;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;

/** The chat demo (webapp-demo/chat.html) in a browser, read and used as a person would: what it shows, what is typed. */
final class ChatPage {
    private final Chromium browser;
    private final ConnectionPill pill;

    /** The chat the browser shows now (in the tab it is switched to). */
    ChatPage(Chromium browser) {
        this.browser = browser;
        this.pill = new ConnectionPill(browser, "chat");
    }

    /** Opens {@code room} as {@code nick}; {@code transport} forces one ({@code ws}, {@code sse}, {@code poll}) or null. */
    static ChatPage open(Chromium browser, URI base, String room, String nick, String transport) {
        return open(browser, base, room, nick, transport, null);
    }

    /** As above; {@code share} ({@code false}, {@code worker}, {@code leader}) or null for the page's default. */
    static ChatPage open(Chromium browser, URI base, String room, String nick, String transport, String share) {
        String query = "chat.html?room=" + enc(room) + "&nick=" + enc(nick) + (transport == null ? "" : "&transport=" + transport)
                + (share == null ? "" : "&share=" + share);
        browser.open(base.resolve(query));
        return new ChatPage(browser);
    }

    /** The connection state and transport the page shows. */
    ConnectionPill pill() {
        return pill;
    }

    /** Types a message and presses Enter. */
    void send(String text) {
        browser.driver().findElement(By.id("text")).sendKeys(text, Keys.ENTER);
    }

    /** The text of every message shown, oldest first. */
    @SuppressWarnings("unchecked")
    List<String> texts() {
        return (List<String>) browser.js(
                "return [...document.querySelectorAll('#messages .msg .text')].map(e => e.textContent)");
    }

    /** The notes between messages (a reset, a gap). */
    @SuppressWarnings("unchecked")
    List<String> notes() {
        return (List<String>) browser.js("return [...document.querySelectorAll('#messages .note')].map(e => e.textContent)");
    }

    /** The status line of the message with this text ("Sending…", "Queued — …", empty once delivered). */
    String status(String text) {
        return (String) browser.js("const m = [...document.querySelectorAll('#messages .msg')]"
                + ".find(e => e.querySelector('.text').textContent === arguments[0]);"
                + "return m ? m.querySelector('.status').textContent : null", text);
    }

    /** Waits until every text is shown, then checks that each is shown exactly once. */
    void awaitEachOnce(String... texts) {
        Awaitility.await("chat shows " + List.of(texts)).atMost(Chromium.WAIT)
                .until(() -> texts().containsAll(List.of(texts)));
        List<String> shown = texts();
        for (String text : texts) {
            assertThat(shown).as("shown once: %s", text).containsOnlyOnce(text);
        }
    }

    Chromium browser() {
        return browser;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
