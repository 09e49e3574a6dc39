package dev.herald.browser;

import java.net.URI;
import java.util.List;

/** The stock ticker demo (webapp-demo/ticker.html) in a browser: its pill, its watchlist and its tape of ticks. */
final class TickerPage {
    /** Counts the EventSources a page opens: run before the page's scripts with {@link Chromium#beforeEachPage}. */
    static final String COUNT_EVENT_SOURCES = "window.__eventSources = [];"
            + "const NativeEventSource = window.EventSource;"
            + "window.EventSource = class extends NativeEventSource {"
            + "  constructor(url, init) { super(url, init); window.__eventSources.push(String(url)); } };";

    private final Chromium browser;
    private final ConnectionPill pill;

    /** The ticker the browser shows now (in the tab it is switched to). */
    TickerPage(Chromium browser) {
        this.browser = browser;
        this.pill = new ConnectionPill(browser, "ticker");
    }

    /** Opens the ticker; {@code transport} forces one ({@code sse}, {@code poll}) or null for the page's default. */
    static TickerPage open(Chromium browser, URI base, String transport) {
        return open(browser, base, transport, null);
    }

    /**
     * Opens the ticker; {@code share} ({@code false}, {@code worker}, {@code leader}) says how the tab shares its
     * connection with the browser's other tabs (issue 16), null for the page's default (shared).
     */
    static TickerPage open(Chromium browser, URI base, String transport, String share) {
        String query = (transport == null ? "" : "&transport=" + transport) + (share == null ? "" : "&share=" + share);
        browser.open(base.resolve("ticker.html" + (query.isEmpty() ? "" : "?" + query.substring(1))));
        return new TickerPage(browser);
    }

    /** The connection state and transport the page shows. */
    ConnectionPill pill() {
        return pill;
    }

    /** The last price the watchlist shows for {@code symbol} ("—" before any). */
    String price(String symbol) {
        return (String) browser.js("return document.querySelector(`tr[data-symbol='${arguments[0]}'] .price`).textContent",
                symbol);
    }

    /** The number of updates the page says it received. */
    long updates() {
        return Long.parseLong(((String) browser.js("return document.getElementById('updates').textContent"))
                .replace(",", ""));
    }

    /** The ticks in the tape, newest first, as {@code channel/id}. */
    @SuppressWarnings("unchecked")
    List<String> tape() {
        return (List<String>) browser.js("return [...document.querySelectorAll('#tape li[data-id]')].map(e => e.dataset.id)");
    }

    /** The URLs of the EventSources the page opened (see {@link #COUNT_EVENT_SOURCES}). */
    @SuppressWarnings("unchecked")
    List<String> eventSources() {
        return (List<String>) browser.js("return window.__eventSources");
    }

    Chromium browser() {
        return browser;
    }
}
