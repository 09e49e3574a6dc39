package dev.herald.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.support.RedisServer;
import jakarta.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * docs/protocol.md, "Presence", on the Redis engine (docs/scaling.md): two nodes on one real {@code redis-server}
 * list each other's subscribers and see each other's joins and leaves; when a node is killed, its subscribers leave,
 * once, when their entries expire. Embedded only: the nodes and Redis are started here.
 */
class PresenceClusterIT {
    private static RedisServer redis;
    private static HeraldTarget.Standalone a;
    private static HeraldTarget.Standalone b;

    @BeforeAll
    static void startCluster() {
        redis = new RedisServer();
        a = node("herald-it-presence-a");
        b = node("herald-it-presence-b");
    }

    private static HeraldTarget.Standalone node(String name) {
        return HeraldTarget.startAnother(name, "-Dherald.engine=redis", "-Dherald.redis.url=" + redis.url(),
                "-Dherald.ticker=false");
    }

    @AfterAll
    static void stopCluster() {
        for (AutoCloseable c : new AutoCloseable[] {a, b}) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception e) {
                    // stopping anyway
                }
            }
        }
        if (redis != null) {
            redis.close();
        }
    }

    private static URI ws(HeraldTarget.Standalone node) {
        return URI.create(node.base().toString().replaceFirst("^http", "ws")).resolve("ws");
    }

    private static List<String> users(HeraldTarget.Standalone node, String channel) {
        JsonObject o = Http.json(Http.send(HttpRequest.newBuilder(node.base().resolve("api/channels/" + channel
                + "/presence")).build()));
        return o.getJsonArray("presence").getValuesAs(JsonObject.class).stream().map(e -> e.getString("user", ""))
                .sorted().toList();
    }

    private static void subscribe(WsClient c, String channel, String ref, String extra) {
        c.send("{\"type\":\"subscribe\",\"channel\":\"" + channel + "\",\"ref\":\"" + ref + "\"" + extra + "}");
        c.await(f -> "subscribed".equals(f.getString("type", null)) && ref.equals(f.getString("ref", null)));
    }

    @Test
    void nodesShareTheListAndTheEventsAndAKilledNodesSubscribersLeaveOnce() throws Exception {
        String channel = Http.channel("chat");
        HeraldTarget.Standalone doomed = node("herald-it-presence-doomed");
        try (WsClient onA = WsClient.connect(ws(a)); WsClient onB = WsClient.connect(ws(b))) {
            subscribe(onA, channel, "a", ",\"presence\":true,\"user\":\"anna\"");
            subscribe(onB, channel, "b", ",\"presence\":true,\"user\":\"ben\"");
            onA.await(f -> "join".equals(f.getString("type", null)) && "ben".equals(f.getString("user", null)));
            assertThat(users(a, channel)).containsExactly("anna", "ben");

            WsClient onDoomed = WsClient.connect(ws(doomed));
            subscribe(onDoomed, channel, "d", ",\"user\":\"doomed\"");
            onA.await(f -> "join".equals(f.getString("type", null)) && "doomed".equals(f.getString("user", null)));
            onB.await(f -> "join".equals(f.getString("type", null)) && "doomed".equals(f.getString("user", null)));
            assertThat(users(b, channel)).containsExactly("anna", "ben", "doomed");

            doomed.kill();
            // its entries expire 15 s after the node's last refresh (RedisPresence.DEFAULT_TTL), then leave
            for (WsClient c : List.of(onA, onB)) {
                Awaitility.await().atMost(java.time.Duration.ofSeconds(45)).until(() -> c.frames().stream()
                        .anyMatch(f -> "leave".equals(f.getString("type", null))
                                && "doomed".equals(f.getString("user", null))));
            }
            assertThat(users(a, channel)).containsExactly("anna", "ben");
            try {
                onDoomed.close();
            } catch (RuntimeException e) {
                // its node is gone
            }

            Http.send(HttpRequest.newBuilder(a.base().resolve("api/channels/" + channel + "/messages"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("1"))
                    .build());
            onA.awaitMessages(channel, 1);
            onB.awaitMessages(channel, 1);
            for (WsClient c : List.of(onA, onB)) {
                assertThat(c.frames().stream().filter(f -> "leave".equals(f.getString("type", null))
                        && "doomed".equals(f.getString("user", null)))).hasSize(1);
            }
        } finally {
            doomed.close();
        }
        Awaitility.await().atMost(WsClient.WAIT).until(() -> users(b, channel).isEmpty());
    }
}
