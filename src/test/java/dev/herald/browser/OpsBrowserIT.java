package dev.herald.browser;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.it.SseClient;
import dev.herald.it.WsClient;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;

/**
 * README "Operate": the admin page ({@code {ctx}/admin/}) in Chromium shows a scripted workload's counts, live
 * through herald.js on {@code herald:admin} (screenshot {@code target/screenshots/admin.png}); and herald.js, told by
 * a draining node (docs/protocol.md section 9), reconnects at once, without backoff, on WebSocket and on SSE. Each
 * test runs a Herald of its own.
 */
class OpsBrowserIT {
    /** Anonymous clients may do anything here (a test bench): the workload publishes without a token. */
    private static final String ANYONE = "herald.anonymous={\"*\":[\"*\"]}";
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Test
    @SuppressWarnings("unchecked")
    void theAdminPageShowsTheWorkloadLive() throws Exception {
        try (StandaloneHerald server = StandaloneHerald.onFreePort(); Chromium browser = Chromium.start(1280, 900)) {
            server.start("herald.ticker=false", ANYONE);
            URI base = server.base();
            browser.open(base.resolve("admin/"));
            Awaitility.await("the first snapshot").atMost(Chromium.WAIT)
                    .until(() -> !browser.driver().findElements(By.cssSelector(".node.self")).isEmpty());
            Awaitility.await("the page's herald.js open").atMost(Chromium.WAIT)
                    .until(() -> browser.driver().findElement(By.id("status")).getText().startsWith("open"));

            String channel = "orders:" + Long.toString(System.nanoTime(), 36);
            List<AutoCloseable> clients = new ArrayList<>();
            try {
                URI ws = URI.create(base.toString().replaceFirst("^http", "ws")).resolve("ws");
                for (int i = 0; i < 3; i++) {
                    WsClient c = WsClient.connect(ws);
                    clients.add(c);
                    c.subscribe(channel, null, "s" + i);
                }
                for (int i = 0; i < 2; i++) {
                    SseClient c = SseClient.open(base.resolve("sse?channel=" + encode(channel)), Map.of());
                    clients.add(c);
                    assertThat(c.status()).isEqualTo(200);
                }
                for (int i = 1; i <= 10; i++) {
                    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(base.resolve("api/messages?channel="
                                    + encode(channel))).header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString("{\"n\":" + i + "}")).build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertThat(r.statusCode()).isEqualTo(201);
                }
                Awaitility.await("the workload on the admin page").atMost(Chromium.WAIT).untilAsserted(() -> {
                    // read in one go: the page re-renders every snapshot, so elements found earlier go stale
                    Map<String, String> self = (Map<String, String>) browser.js("""
                            const node = document.querySelector('.node.self');
                            const fields = {};
                            if (!node) return fields;
                            node.querySelectorAll('[data-field]').forEach(e => { fields[e.dataset.field] = e.textContent; });
                            const first = node.querySelector('table tr:nth-child(2) td');
                            fields.busiest = first ? first.textContent : '';
                            return fields;
                            """);
                    // 4 WebSockets: the workload's 3 and the admin page's own herald.js (on herald:admin, which the
                    // page's subscriptions and channels leave out)
                    assertThat(self).containsEntry("ws", "4").containsEntry("sse", "2").containsEntry("poll", "0")
                            .containsEntry("subscriptions", "5").containsEntry("channels", "1")
                            .containsEntry("published", "10").containsEntry("delivered", "50")
                            .containsEntry("state", "ready").containsEntry("engine", "reachable")
                            .containsEntry("busiest", channel);
                });
                browser.screenshot("admin");
                assertThat(browser.consoleErrors()).isEmpty();
            } finally {
                for (AutoCloseable c : clients) {
                    c.close();
                }
            }
        }
    }

    @Test
    void heraldJsReconnectsAtOnceWhenTheNodeDrains() throws Exception {
        for (String transport : new String[] {"ws", "sse"}) {
            try (StandaloneHerald server = StandaloneHerald.onFreePort(); Chromium browser = Chromium.start()) {
                server.start("herald.ticker=false", "herald.sse.heartbeat=2s", ANYONE);
                URI base = server.base();
                browser.open(base.resolve("health/live")); // a page of the node without scripts of its own
                browser.js("""
                        const transport = arguments[0];
                        window.log = [];  // what herald.js did, in order: state events and new connections
                        const W = window.WebSocket, E = window.EventSource;
                        class CountingWebSocket extends W { constructor(...a) { super(...a); window.log.push('new'); } }
                        class CountingEventSource extends E { constructor(...a) { super(...a); window.log.push('new'); } }
                        import('/herald.js').then(({ Herald }) => {
                          const h = Herald.connect({ transports: [transport], WebSocket: CountingWebSocket,
                                                     EventSource: CountingEventSource });
                          h.on('state', s => window.log.push(`${s.state}:${s.reason || ''}:${s.retryIn ?? ''}`));
                          h.subscribe('drain:browser', () => {});
                        });
                        """, transport);
                Awaitility.await(transport + " open").atMost(Chromium.WAIT).until(() -> log(browser).contains("open::"));

                HttpResponse<String> drain = HTTP.send(HttpRequest.newBuilder(base.resolve("admin/drain"))
                        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(drain.statusCode()).isEqualTo(202);

                Awaitility.await(transport + ": told to reconnect").atMost(Chromium.WAIT).until(() ->
                        log(browser).contains("reconnecting:service restart:0"));
                // the new connection was made right after the state event, in the same turn: no backoff in between
                List<String> log = log(browser);
                int told = log.indexOf("reconnecting:service restart:0");
                assertThat(log.size()).as(transport + ": %s", log).isGreaterThan(told + 1);
                assertThat(log.get(told + 1)).as(transport + ": %s", log).isEqualTo("new");
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static List<String> log(Chromium browser) {
        return (List<String>) browser.js("return window.log.slice()");
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
