package dev.herald.browser;

import dev.herald.it.TestSecurity;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The server restarts under open pages (docs/client.md, "Reconnecting and resuming"): what is published meanwhile,
 * and what users typed while it was down, shows on every page exactly once, on WebSocket and on SSE.
 *
 * <p>The test runs a Herald of its own ({@link StandaloneHerald}, one fixed port), never the shared one. Its
 * in-memory engine forgets history on restart, so each page resumes from a position of the old stream and is told
 * of a reset (the epoch changed): herald.js forgets that channel's offsets and takes the new stream from its start.
 * The restarted server runs without the demo feed, so the new streams hold exactly what this test publishes.
 */
class RestartBrowserIT {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Test
    void afterARestartEveryPageShowsWhatWasPublishedMeanwhileAndWhatWasSentOfflineExactlyOnce() {
        try (StandaloneHerald server = StandaloneHerald.onFreePort();
             Chromium ada = Chromium.start(); Chromium linus = Chromium.start(); Chromium trader = Chromium.start(1280, 900)) {
            server.start("herald.sse.heartbeat=2s", "herald.jwt.secret=" + TestSecurity.SECRET);
            URI base = server.base();
            ChatPage overWs = ChatPage.open(ada, base, "ops", "ada", "ws");
            ChatPage overSse = ChatPage.open(linus, base, "ops", "linus", "sse");
            TickerPage ticker = TickerPage.open(trader, base, null);
            overWs.pill().awaitOpen("ws");
            overSse.pill().awaitOpen("sse");
            ticker.pill().awaitOpen("sse");
            overWs.send("Deploying the new build now");
            overSse.awaitEachOnce("Deploying the new build now");
            Awaitility.await("the demo feed").atMost(Chromium.WAIT).until(() -> ticker.updates() > 0);

            server.stop();
            overWs.pill().awaitNotOpen();
            overSse.pill().awaitNotOpen();
            ticker.pill().awaitNotOpen();
            String fromAda = "ada: typed while the server was down";
            String fromLinus = "linus: typed while the server was down too";
            overWs.send(fromAda);
            overSse.send(fromLinus);
            assertThat(overWs.status(fromAda)).startsWith("Queued");
            assertThat(overSse.status(fromLinus)).startsWith("Queued");

            server.start("herald.ticker=false", "herald.sse.heartbeat=2s", "herald.jwt.secret=" + TestSecurity.SECRET);
            List<String> announcements = new ArrayList<>();
            List<JsonObject> ticks = new ArrayList<>();
            for (int i = 1; i <= 3; i++) {
                String text = "Server is back, announcement " + i + " of 3";
                publish(base, "chat:ops", "chat", "{\"nick\":\"ops-bot\",\"text\":\"" + text + "\",\"cid\":\"a" + i + "\"}");
                announcements.add(text);
                for (String symbol : new String[] {"ACME", "BOLT"}) {
                    double price = (symbol.equals("ACME") ? 190 : 46) + i / 100.0;
                    ticks.add(publish(base, "prices:" + symbol, "price", "{\"symbol\":\"" + symbol + "\",\"price\":"
                            + price + ",\"change\":1.5,\"changePct\":0.8,\"open\":" + (price - 1.5) + "}"));
                }
            }

            overWs.pill().awaitOpen("ws");
            overSse.pill().awaitOpen("sse");
            ticker.pill().awaitOpen("sse");
            List<String> everything = new ArrayList<>(List.of("Deploying the new build now", fromAda, fromLinus));
            everything.addAll(announcements);
            for (ChatPage page : new ChatPage[] {overWs, overSse}) {
                page.awaitEachOnce(everything.toArray(String[]::new));
                assertThat(page.notes()).anyMatch(n -> n.contains("history was reset"));
                assertThat(page.status(fromAda)).isEmpty();
            }

            List<String> ids = ticks.stream().map(t -> t.getString("channel") + "/" + t.getString("id")).toList();
            Awaitility.await("the ticks published while the pages were away").atMost(Chromium.WAIT)
                    .until(() -> ticker.tape().containsAll(ids));
            for (String id : ids) {
                assertThat(ticker.tape()).as("tick shown once: %s", id).containsOnlyOnce(id);
            }
            assertThat(ticker.price("ACME")).isEqualTo("190.03");
            assertThat(ticker.price("BOLT")).isEqualTo("46.03");

            overWs.browser().screenshot("restart-chat-websocket");
            overSse.browser().screenshot("restart-chat-sse");
            ticker.browser().screenshot("restart-ticker");
        }
    }

    /**
     * The test plays the backend: the server runs with authentication on (its defaults: anonymous clients only read),
     * with the test fixture secret, so the test may publish on chat:* and prices:* with a token of its own.
     */
    private static final String OPERATOR = TestSecurity.token("operator",
            java.util.Map.of("*", java.util.List.of("publish")), java.time.Duration.ofHours(1));

    private static JsonObject publish(URI base, String channel, String event, String json) {
        HttpRequest request = HttpRequest.newBuilder(base.resolve("api/channels/" + channel + "/messages?event=" + event))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + OPERATOR)
                .POST(HttpRequest.BodyPublishers.ofString(json)).build();
        try {
            HttpResponse<String> r = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
            return Json.createReader(new StringReader(r.body())).readObject();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
