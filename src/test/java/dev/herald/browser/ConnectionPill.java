package dev.herald.browser;

import org.awaitility.Awaitility;

/**
 * The connection pill every demo page shows (webapp-demo/status.js): its {@code data-state} is the herald.js
 * connection's state, its {@code data-transport} the transport in use while open.
 */
final class ConnectionPill {
    private final Chromium browser;
    private final String page;

    ConnectionPill(Chromium browser, String page) {
        this.browser = browser;
        this.page = page;
    }

    /** {@code connecting}, {@code open}, {@code reconnecting} or {@code closed}. */
    String state() {
        return (String) browser.js("return document.getElementById('conn').dataset.state");
    }

    /** {@code ws}, {@code sse} or {@code poll} while open. */
    String transport() {
        return (String) browser.js("return document.getElementById('conn').dataset.transport");
    }

    /** {@code worker} or {@code leader} when the tab uses a connection shared with other tabs, else empty. */
    String shared() {
        return (String) browser.js("return document.getElementById('conn').dataset.shared");
    }

    /** Waits until the page is open over {@code transport} (any, when null). */
    void awaitOpen(String transport) {
        Awaitility.await(page + " open over " + transport).atMost(Chromium.WAIT)
                .until(() -> "open".equals(state()) && (transport == null || transport.equals(transport())));
    }

    void awaitNotOpen() {
        Awaitility.await(page + " sees the connection lost").atMost(Chromium.WAIT).until(() -> !"open".equals(state()));
    }
}
