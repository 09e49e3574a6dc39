package dev.herald.browser;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.it.HeraldTarget;
import dev.herald.it.Http;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;

/** The overview page leads to both demos, and every page lays out on a phone-sized screen too. */
class DemoPagesBrowserIT {

    @Test
    void theOverviewLinksToBothDemosAndShowsTheServersNumbers() {
        try (Chromium browser = Chromium.start(1280, 1400); Chromium someoneElse = Chromium.start()) {
            TickerPage.open(someoneElse, HeraldTarget.base(), null).pill().awaitOpen("sse"); // a connection to count
            browser.open(HeraldTarget.base());
            Awaitility.await("live numbers from api/stats").atMost(Chromium.WAIT)
                    .until(() -> !browser.driver().findElement(By.id("connections")).getText().matches("[–0]"));
            browser.screenshot("index");

            browser.driver().findElement(By.id("demo-ticker")).click();
            Awaitility.await().atMost(Chromium.WAIT).until(() -> browser.driver().getTitle().startsWith("Markets"));
            browser.driver().findElement(By.linkText("Chat")).click();
            Awaitility.await().atMost(Chromium.WAIT).until(() -> browser.driver().getTitle().contains("Chat"));
            browser.driver().findElement(By.linkText("Overview")).click();
            Awaitility.await().atMost(Chromium.WAIT).until(() -> browser.driver().getTitle().startsWith("Herald"));
            browser.driver().findElement(By.id("demo-chat")).click();
            Awaitility.await().atMost(Chromium.WAIT).until(() -> browser.driver().getTitle().contains("Chat"));
            assertThat(browser.consoleErrors()).isEmpty();
        }
    }

    @Test
    void onAPhoneEveryPageFitsTheScreenWidth() {
        try (Chromium phone = Chromium.phone()) {
            TickerPage ticker = TickerPage.open(phone, HeraldTarget.base(), null);
            ticker.pill().awaitOpen("sse");
            Awaitility.await().atMost(Chromium.WAIT).until(() -> ticker.updates() > 0);
            assertFitsThePhone(phone);
            phone.screenshot("ticker-phone");

            ChatPage chat = ChatPage.open(phone, HeraldTarget.base(), Http.channel("phone").replace(':', '-'), "grace", null);
            chat.pill().awaitOpen("ws");
            chat.send("Hello from a phone, where the rooms sit above the conversation");
            chat.awaitEachOnce("Hello from a phone, where the rooms sit above the conversation");
            assertFitsThePhone(phone);
            phone.screenshot("chat-phone");

            phone.open(HeraldTarget.base());
            assertFitsThePhone(phone);
            phone.screenshot("index-phone");
            assertThat(phone.consoleErrors()).isEmpty();
        }
    }

    /** Content wider than the screen would widen the layout viewport (and the document) past the phone's width. */
    private static void assertFitsThePhone(Chromium phone) {
        assertThat(phone.js("return [window.innerWidth, document.documentElement.scrollWidth]"))
                .isEqualTo(List.of((long) Chromium.PHONE_WIDTH, (long) Chromium.PHONE_WIDTH));
    }
}
