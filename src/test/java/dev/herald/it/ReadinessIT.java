package dev.herald.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.herald.support.RedisServer;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * README "Operate": {@code health/ready} with the Redis engine. With {@code herald.health.engine=true} a node whose
 * Redis is stopped turns not-ready (503, the engine check DOWN) and ready again once Redis is back; without it
 * (the default) it stays ready and only reports the engine DOWN, so that one shared Redis outage does not empty the
 * load balancer. Embedded only: starts a real {@code redis-server} and two nodes.
 */
class ReadinessIT {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void aStoppedRedisMakesTheNodeUnreadyOnlyWhenTheSettingSaysSo() throws Exception {
        assumeTrue(HeraldTarget.embedded(), "starts Redis and nodes of its own");
        try (RedisServer redis = new RedisServer();
             HeraldTarget.Standalone strict = HeraldTarget.startAnother("herald-it-ready-strict",
                     "-Dherald.engine=redis", "-Dherald.redis.url=" + redis.url(), "-Dherald.ticker=false",
                     "-Dherald.health.engine=true", "-Dherald.redis.timeout=500ms");
             HeraldTarget.Standalone lenient = HeraldTarget.startAnother("herald-it-ready-lenient",
                     "-Dherald.engine=redis", "-Dherald.redis.url=" + redis.url(), "-Dherald.ticker=false",
                     "-Dherald.redis.timeout=500ms")) {
            OpsNode a = new OpsNode(strict.base());
            OpsNode b = new OpsNode(lenient.base());
            assertThat(a.get("health/ready").statusCode()).isEqualTo(200);
            assertThat(b.get("health/ready").statusCode()).isEqualTo(200);

            redis.stop();
            Awaitility.await().atMost(WAIT).untilAsserted(() -> {
                HttpResponse<String> ready = a.get("health/ready");
                assertThat(ready.statusCode()).isEqualTo(503);
                assertThat(ready.body()).contains("\"name\":\"engine\",\"status\":\"DOWN\"")
                        .contains("\"required\":true").contains("\"name\":\"drain\",\"status\":\"UP\"");
            });
            HttpResponse<String> lenientReady = b.get("health/ready");
            assertThat(lenientReady.statusCode()).isEqualTo(200);
            assertThat(lenientReady.body()).contains("\"status\":\"UP\",\"checks\"")
                    .contains("\"name\":\"engine\",\"status\":\"DOWN\"").contains("\"required\":false");
            assertThat(a.get("health/live").statusCode()).isEqualTo(200);

            redis.start();
            Awaitility.await().atMost(WAIT).untilAsserted(() ->
                    assertThat(a.get("health/ready").statusCode()).isEqualTo(200));
        }
    }
}
