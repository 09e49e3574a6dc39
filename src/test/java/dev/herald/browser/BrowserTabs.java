package dev.herald.browser;

import java.net.URI;
import org.openqa.selenium.WindowType;

/**
 * The tabs of one {@link Chromium} (one browser profile), as a user opens and closes them. Selenium runs scripts in
 * the tab it is switched to: {@link #show} switches, and every page object then reads that tab. Not thread-safe.
 */
final class BrowserTabs {
    private final Chromium browser;
    private boolean firstUsed;

    BrowserTabs(Chromium browser) {
        this.browser = browser;
    }

    /** Opens {@code url} in a new tab (the browser's first, blank one the first time) and returns its handle. */
    String open(URI url) {
        if (firstUsed) {
            browser.driver().switchTo().newWindow(WindowType.TAB);
        }
        firstUsed = true;
        browser.open(url);
        return browser.driver().getWindowHandle();
    }

    Chromium browser() {
        return browser;
    }

    /** Makes {@code handle} the tab that scripts and page objects act on. */
    void show(String handle) {
        browser.driver().switchTo().window(handle);
    }

    /** Closes the tab as a user would (the page gets pagehide), then shows {@code next}. */
    void close(String handle, String next) {
        show(handle);
        browser.driver().close();
        show(next);
    }
}
