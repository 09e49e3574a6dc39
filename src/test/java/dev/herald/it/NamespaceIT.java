package dev.herald.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.StringReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * README "Namespaces": the part of a channel name before its first {@code :} selects the settings declared for it
 * ({@code herald.namespaces}, {@code herald.ns.<name>.*}), the global ones elsewhere; a setting that names no declared
 * namespace stops the start. Embedded only: the node is started here with settings of its own.
 */
class NamespaceIT {
    private static HeraldTarget.Standalone node;

    @BeforeAll
    static void start() {
        assumeTrue(HeraldTarget.embedded(), "starts a node with settings of its own");
        node = HeraldTarget.startAnother("herald-it-namespaces", "-Dherald.namespaces=chat,feed,tiny",
                "-Dherald.ns.chat.history.size=3", "-Dherald.ns.feed.publish=false",
                "-Dherald.ns.tiny.max-message-bytes=1024", "-Dherald.ticker=false");
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (node != null) {
            node.close();
        }
    }

    private static HttpResponse<String> publish(String channel, String json) {
        return Http.send(HttpRequest.newBuilder(node.base().resolve("api/messages?channel="
                        + URLEncoder.encode(channel, StandardCharsets.UTF_8)))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build());
    }

    private static JsonObject history(String channel) {
        HttpResponse<String> r = Http.send(HttpRequest.newBuilder(node.base().resolve("api/messages?since=0&channel="
                + URLEncoder.encode(channel, StandardCharsets.UTF_8))).GET().build());
        return Json.createReader(new StringReader(r.body())).readObject();
    }

    private static String code(HttpResponse<String> r) {
        return Json.createReader(new StringReader(r.body())).readObject().getJsonObject("error").getString("code");
    }

    @Test
    void aNamespaceKeepsItsOwnHistorySizeAndTheOthersTheGlobalOne() {
        for (int i = 1; i <= 5; i++) {
            assertThat(publish("chat:room", Integer.toString(i)).statusCode()).isEqualTo(201);
            assertThat(publish("news:room", Integer.toString(i)).statusCode()).isEqualTo(201);
        }
        assertThat(history("chat:room").getJsonArray("messages")).extracting(v -> v.asJsonObject().getInt("offset"))
                .containsExactly(3, 4, 5);
        assertThat(history("news:room").getJsonArray("messages")).hasSize(5);
    }

    @Test
    void clientsCannotPublishWhereTheNamespaceSaysOnlyTheApplicationDoes() {
        HttpResponse<String> refused = publish("feed:x", "1");
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(code(refused)).isEqualTo("forbidden");
        try (WsClient c = WsClient.connect(URI.create(node.base().toString().replaceFirst("^http", "ws") + "ws"))) {
            c.send("{\"type\":\"publish\",\"channel\":\"feed:x\",\"data\":1,\"ref\":\"p\"}");
            JsonObject error = c.awaitReply("p");
            assertThat(error.getString("code")).isEqualTo("forbidden");
            c.subscribe("feed:x", null, "s"); // reading is as the capabilities allow
            c.send("{\"type\":\"publish\",\"channel\":\"news:x\",\"data\":1,\"ref\":\"q\"}");
            assertThat(c.awaitReply("q").getString("type")).isEqualTo("ack");
        }
    }

    @Test
    void aNamespaceMayAcceptSmallerMessagesThanTheGlobalBound() {
        String big = "\"" + "x".repeat(2000) + "\"";
        HttpResponse<String> refused = publish("tiny:x", big);
        assertThat(refused.statusCode()).isEqualTo(413);
        assertThat(code(refused)).isEqualTo("too_large");
        assertThat(publish("news:x", big).statusCode()).isEqualTo(201);
    }

    @Test
    void aSettingOfNoDeclaredNamespaceStopsTheStartAndSaysWhich() throws Exception {
        assertThatThrownBy(() -> HeraldTarget.startAnother("herald-it-namespace-typo", "-Dherald.namespaces=chat",
                "-Dherald.ns.chat.histroy.size=10", "-Dherald.ticker=false"))
                .isInstanceOf(IllegalStateException.class);
        Path log = Path.of(System.getProperty("herald.standalone.jar", "target/herald-standalone.jar"))
                .resolveSibling("herald-it-namespace-typo.log");
        assertThat(Files.readString(log)).contains("herald.ns.chat.histroy.size is not a setting of a namespace");
    }
}
