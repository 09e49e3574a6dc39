package dev.herald.browser;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.it.TestSecurity;
import java.io.IOException;
import java.io.StringReader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 16 (docs/client.md, "Many tabs, one connection"): the tabs of one browser profile share one connection to
 * Herald over plain HTTP/1.1, where the browser allows six connections per host and each EventSource holds one. Twelve
 * ticker tabs are all live on one connection; twelve chat tabs publish and receive; when the tab holding the
 * connection closes (leader mode), or every tab but one (worker mode), the others go on with every offset once, in
 * order; a tab with {@code share=false} keeps a connection of its own.
 *
 * <p>The class runs a Herald of its own ({@link StandaloneHerald}), so that {@code GET api/stats} counts this
 * browser's connections only. The test plays a backend that publishes with a token of its own (the server runs with
 * the test fixture secret; anonymous clients only read, as by default).
 */
class SharedTabsBrowserIT {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final String OPERATOR = TestSecurity.token("operator", Map.of("*", List.of("publish")),
            Duration.ofHours(1));
    private static StandaloneHerald server;
    /** The server's own connections before any tab: in-process ones (the admin feed's subscription, README "Operate"). */
    private static int serverOwn;

    @BeforeAll
    static void start() {
        server = StandaloneHerald.onFreePort();
        server.start("herald.jwt.secret=" + TestSecurity.SECRET);
        serverOwn = connections();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void twelveTickerTabsAreAllLiveOnOneConnectionAndATabWithShareFalseHasItsOwn() {
        try (Chromium browser = Chromium.start()) {
            BrowserTabs tabs = new BrowserTabs(browser);
            List<String> handles = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                handles.add(tabs.open(server.base().resolve("ticker.html")));
            }
            for (String handle : handles) {
                tabs.show(handle);
                TickerPage ticker = new TickerPage(browser);
                ticker.pill().awaitOpen("sse");
                assertThat(ticker.pill().shared()).as("the pill says the connection is shared").isEqualTo("worker");
                long before = ticker.updates();
                Awaitility.await("tab " + handle + " live").atMost(Chromium.WAIT).until(() -> ticker.updates() > before);
            }
            Awaitility.await("one connection for twelve tabs").atMost(Chromium.WAIT).until(() -> connections() == serverOwn + 1);
            browser.screenshot("ticker-shared-tab");

            String own = tabs.open(server.base().resolve("ticker.html?share=false"));
            TickerPage alone = new TickerPage(browser);
            alone.pill().awaitOpen("sse");
            assertThat(alone.pill().shared()).as("share=false: not shared").isEmpty();
            long before = alone.updates();
            Awaitility.await("the share=false tab live").atMost(Chromium.WAIT).until(() -> alone.updates() > before);
            Awaitility.await("its own connection beside the shared one").atMost(Chromium.WAIT)
                    .until(() -> connections() == serverOwn + 2);
            for (String handle : List.of(handles.get(0), handles.get(11), own)) {
                tabs.show(handle);
                assertThat(browser.consoleErrors()).isEmpty();
            }
        }
    }

    @Test
    void twelveChatTabsOfOneUserPublishAndReceiveEveryMessageOnceOverOneConnection() {
        String room = "tabs-" + Long.toString(System.nanoTime(), 36);
        try (Chromium browser = Chromium.start()) {
            BrowserTabs tabs = new BrowserTabs(browser);
            List<String> handles = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                handles.add(tabs.open(server.base().resolve("chat.html?room=" + room + "&nick=ada")));
            }
            List<String> texts = new ArrayList<>();
            for (int i = 0; i < handles.size(); i++) {
                tabs.show(handles.get(i));
                ChatPage chat = new ChatPage(browser);
                chat.pill().awaitOpen("ws");
                assertThat(chat.pill().shared()).isEqualTo("leader"); // chat.js prefers a leader tab (presence)
                String text = "Hello from tab " + (i + 1) + " of 12";
                chat.send(text);
                texts.add(text);
            }
            for (String handle : handles) {
                tabs.show(handle);
                ChatPage chat = new ChatPage(browser);
                chat.awaitEachOnce(texts.toArray(String[]::new));
                assertThat(chat.texts()).as("nothing else, nothing twice").hasSize(12);
            }
            tabs.show(handles.get(0));
            ChatPage first = new ChatPage(browser);
            Awaitility.await("every send acknowledged").atMost(Chromium.WAIT)
                    .until(() -> texts.stream().allMatch(t -> first.status(t).isEmpty()));
            Awaitility.await("one connection for twelve tabs").atMost(Chromium.WAIT).until(() -> connections() == serverOwn + 1);
            browser.screenshot("chat-shared-tab");
        }
    }

    @Test
    void leaderModeWhenTheLeaderTabClosesTheOthersGoOnWithEveryOffsetOnce() {
        everyOffsetOnceWhenTabsClose("leader");
    }

    @Test
    void workerModeWhenEveryTabButOneClosesItGoesOnWithEveryOffsetOnce() {
        everyOffsetOnceWhenTabsClose("worker");
    }

    /**
     * Four ticker tabs in {@code mode} subscribe a test channel from offset 0 while the test publishes on it about 20
     * times a second; then the leader tab closes (leader mode) or every tab but the last (worker mode). Each tab left
     * must have every offset from 1 to the last published, once and in order.
     */
    private static void everyOffsetOnceWhenTabsClose(String mode) {
        String channel = "chat:" + mode + "-" + Long.toString(System.nanoTime(), 36);
        AtomicInteger published = new AtomicInteger();
        ScheduledExecutorService publisher = Executors.newSingleThreadScheduledExecutor();
        try (Chromium browser = Chromium.start()) {
            BrowserTabs tabs = new BrowserTabs(browser);
            List<String> handles = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                handles.add(tabs.open(server.base().resolve("ticker.html?share=" + mode)));
                TickerPage ticker = new TickerPage(browser);
                ticker.pill().awaitOpen("sse");
                assertThat(ticker.pill().shared()).isEqualTo(mode);
                browser.js("window.__offsets = [];"
                        + "herald.subscribe(arguments[0], m => window.__offsets.push(m.offset), { since: 0 });", channel);
                if (i == 0) {
                    publisher.scheduleAtFixedRate(() -> published.set(publish(channel)), 0, 50, TimeUnit.MILLISECONDS);
                }
            }
            Awaitility.await("one connection for four tabs").atMost(Chromium.WAIT).until(() -> connections() == serverOwn + 1);
            for (String handle : handles) {
                awaitMoreOffsets(tabs, handle, 10);
            }

            List<String> left;
            if (mode.equals("leader")) {
                String leader = handles.stream().filter(h -> {
                    tabs.show(h);
                    return Boolean.TRUE.equals(browser.js("return herald.leader"));
                }).findFirst().orElseThrow();
                left = handles.stream().filter(h -> !h.equals(leader)).toList();
                tabs.close(leader, left.get(0));
            } else {
                left = List.of(handles.get(3));
                for (String handle : handles.subList(0, 3)) {
                    tabs.close(handle, left.get(0));
                }
            }
            for (String handle : left) {
                awaitMoreOffsets(tabs, handle, 40);
            }

            publisher.shutdown();
            assertThat(publisher.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
            long last = published.get();
            for (String handle : left) {
                tabs.show(handle);
                Awaitility.await("offset " + last + " in " + handle).atMost(Chromium.WAIT)
                        .until(() -> offsets(browser).contains(last));
                assertThat(offsets(browser)).as("every offset once, in order, in " + handle)
                        .containsExactlyElementsOf(LongStream.rangeClosed(1, last).boxed().toList());
                assertThat(new TickerPage(browser).pill().state()).isEqualTo("open");
                assertThat(browser.consoleErrors()).isEmpty();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            publisher.shutdownNow();
        }
    }

    private static void awaitMoreOffsets(BrowserTabs tabs, String handle, int more) {
        tabs.show(handle);
        Chromium browser = tabs.browser();
        int now = offsets(browser).size();
        Awaitility.await(more + " more offsets in " + handle).atMost(Chromium.WAIT)
                .until(() -> offsets(browser).size() >= now + more);
    }

    private static List<Long> offsets(Chromium browser) {
        List<Long> out = new ArrayList<>();
        for (Object o : (List<?>) browser.js("return window.__offsets")) {
            out.add(((Number) o).longValue());
        }
        return out;
    }

    /** Publishes the next message on {@code channel} and returns its offset. */
    private static int publish(String channel) {
        HttpRequest request = HttpRequest.newBuilder(server.base().resolve("api/messages?channel=" + channel + "&event=tick"))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + OPERATOR)
                .POST(HttpRequest.BodyPublishers.ofString("{\"from\":\"test\"}")).build();
        HttpResponse<String> r = send(request);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return json(r.body()).getInt("offset");
    }

    /** The server's open connections (docs/protocol.md section 4, {@code api/stats}). */
    private static int connections() {
        return json(send(HttpRequest.newBuilder(server.base().resolve("api/stats")).build()).body()).getInt("connections");
    }

    private static HttpResponse<String> send(HttpRequest request) {
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static JsonObject json(String body) {
        return Json.createReader(new StringReader(body)).readObject();
    }
}
