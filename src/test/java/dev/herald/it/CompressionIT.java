package dev.herald.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.URI;
import java.net.http.HttpRequest;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.websocket.api.ExtensionConfig;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.client.ClientUpgradeRequest;
import org.eclipse.jetty.websocket.client.WebSocketClient;
import org.junit.jupiter.api.Test;

/**
 * Issue 17 item 4, docs/performance.md "Compression": a client that offers permessage-deflate as browsers do
 * (RFC 7692, {@code permessage-deflate; client_max_window_bits}) gets a connection without it by default, on every
 * container; with {@code herald.ws.permessage-deflate=true} it is negotiated and messages flow compressed. The client
 * is Jetty's, which offers and speaks the extension.
 */
class CompressionIT {
    private static final long WAIT = WsClient.WAIT.toSeconds();

    @Test
    void aBrowsersDeflateOfferIsDeclinedByDefaultAndTheConnectionWorks() throws Exception {
        assertThat(exchange(HeraldTarget.ws())).as("extensions negotiated").isEmpty();
    }

    @Test
    void withTheSettingOnDeflateIsNegotiatedAndMessagesFlow() throws Exception {
        assumeTrue(HeraldTarget.embedded(), "starts a node of its own");
        try (HeraldTarget.Standalone node = HeraldTarget.startAnother("herald-deflate",
                "-Dherald.ws.permessage-deflate=true")) {
            URI ws = URI.create(node.base().toString().replaceFirst("^http", "ws")).resolve("ws");
            assertThat(exchange(ws)).as("extensions negotiated").containsExactly("permessage-deflate");
        }
    }

    /**
     * Connects offering permessage-deflate, subscribes, publishes a compressible message over HTTP to the same
     * Herald and waits for it; returns the names of the extensions the server accepted.
     */
    private static List<String> exchange(URI ws) throws Exception {
        HttpClient http = new HttpClient();
        WebSocketClient client = new WebSocketClient(http);
        JettyWsRecorder recorder = new JettyWsRecorder();
        String channel = Http.channel("deflate");
        try {
            client.start();
            ClientUpgradeRequest offer = new ClientUpgradeRequest();
            offer.addExtensions(ExtensionConfig.parse("permessage-deflate; client_max_window_bits"));
            Session session = client.connect(recorder, ws, offer).get(WAIT, TimeUnit.SECONDS);
            session.sendText("{\"type\":\"subscribe\",\"channel\":\"" + channel + "\",\"ref\":\"s\"}", null);
            assertThat(recorder.frames.poll(WAIT, TimeUnit.SECONDS)).contains("\"subscribed\"");
            String text = "compressible ".repeat(200);
            publish(ws, channel, "\"" + text + "\"");
            assertThat(recorder.frames.poll(WAIT, TimeUnit.SECONDS)).contains("\"message\"").contains(text);
            List<String> names = session.getUpgradeResponse().getExtensions().stream()
                    .map(ExtensionConfig::getName).toList();
            session.close();
            return names;
        } finally {
            client.stop();
            http.stop();
        }
    }

    /** Publishes through the HTTP API of the Herald whose WebSocket endpoint is {@code ws}. */
    private static void publish(URI ws, String channel, String json) {
        URI api = URI.create(ws.toString().replaceFirst("^ws", "http")).resolve("api/messages?channel="
                + Http.encode(channel));
        int status = Http.send(HttpRequest.newBuilder(api).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build()).statusCode();
        assertThat(status).isEqualTo(201);
    }
}
