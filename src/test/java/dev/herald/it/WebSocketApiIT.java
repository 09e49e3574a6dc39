package dev.herald.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The standalone runner's choice of WebSocket API ({@code herald.ws.api}, README "Configuration"): the runner under
 * test serves {@code /ws} with the API the build asked for (so the {@code jakarta-websocket} execution really runs
 * the scenarios on the Jakarta endpoint), and a value that is not an API stops the start, naming the setting.
 * Embedded only: it reads the runner's log and starts runners of its own.
 */
class WebSocketApiIT {
    private static final String CORE = "is served with Jetty's core WebSocket API";

    private static Path log(String name) {
        return Path.of(System.getProperty("herald.standalone.jar", "target/herald-standalone.jar"))
                .resolveSibling(name + ".log");
    }

    @Test
    void theRunnerServesWebSocketWithTheApiAskedFor() throws Exception {
        assumeTrue(HeraldTarget.embedded(), "reads the log of the runner the tests started");
        String api = System.getProperty("herald.test.ws-api", "");
        try (WsClient ws = WsClient.connect("", Map.of())) {
            ws.send("{\"type\":\"ping\",\"ref\":\"p\"}");
            assertThat(ws.awaitReply("p").getString("type")).isEqualTo("pong");
        }
        String text = Files.readString(log(api.isBlank() ? "herald-it" : "herald-it-" + api));
        if (api.isBlank() || api.equals("jetty")) {
            assertThat(text).contains(CORE);
        } else {
            assertThat(text).doesNotContain(CORE);
        }
    }

    @Test
    void anUnknownApiStopsTheStartAndSaysWhy() throws Exception {
        assumeTrue(HeraldTarget.embedded(), "starts a runner with settings of its own");
        assertThatThrownBy(() -> HeraldTarget.startAnother("herald-it-ws-api-typo", "-Dherald.ws.api=jakartaa"))
                .isInstanceOf(IllegalStateException.class);
        assertThat(Files.readString(log("herald-it-ws-api-typo")))
                .contains("herald.ws.api must be jetty or jakarta, not jakartaa");
    }
}
