package dev.herald.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** docs/protocol.md, "Memory": the engine's memory in {@code GET /api/stats}, and what eviction does to a channel. */
class MemoryIT {
    @Test
    void statsReportTheEnginesMemoryBesideConnectionsAndChannels() {
        Http.publish(Http.channel("memory"), "{\"n\":1}");
        JsonObject stats = Http.json(Http.get("api/stats"));
        assertThat(stats.getString("engine")).isIn("memory", "redis");
        assertThat(stats.getInt("connections")).isNotNegative();
        assertThat(stats.getInt("channels")).isNotNegative();
        JsonObject memory = stats.getJsonObject("memory");
        assertThat(memory.getJsonNumber("bytes").longValueExact()).isPositive();
        assertThat(memory.getJsonNumber("evictedChannels").longValueExact()).isNotNegative();
        if (stats.getString("engine").equals("memory")) {
            assertThat(memory.getJsonNumber("maxBytes").longValueExact()).isPositive();
            assertThat(memory.getJsonNumber("channels").longValueExact()).isPositive();
        } else {
            // docs/scaling.md, "What differs from the memory engine": Redis' used_memory and maxmemory (-1: none,
            // as redis-server runs by default), and no channel count (Redis cannot tell it without a scan)
            assertThat(memory.getJsonNumber("maxBytes").longValueExact()).isNotZero().isGreaterThanOrEqualTo(-1);
            assertThat(memory.getJsonNumber("channels").longValueExact()).isEqualTo(-1);
        }
    }

    /**
     * On a runner of its own with a 1 MiB bound (embedded only: a deployed server has its own settings). The bound
     * and this eviction are the memory engine's: with {@code herald.engine=redis} Redis' {@code maxmemory} bounds
     * history instead (docs/scaling.md), so on such a deployment this scenario is not applicable.
     */
    @Test
    void pastTheBoundPublishingGoesOnAndTheIdleLongestChannelStartsANewEpoch() throws Exception {
        assumeTrue(HeraldTarget.embedded(), "needs a server of its own with a small herald.memory.max-bytes");
        try (HeraldTarget.Standalone small = HeraldTarget.startAnother("herald-it-memory",
                "-Dherald.memory.max-bytes=1m", "-Dherald.ticker=false")) {
            URI base = small.base();
            JsonObject first = publish(base, "user:first");
            String note = "{\"note\":\"" + "x".repeat(250) + "\"}";
            for (int i = 0; i < 4_000; i++) {
                assertThat(post(base, "user:" + i, note).statusCode()).isEqualTo(201);
            }

            JsonObject memory = json(get(base, "api/stats")).getJsonObject("memory");
            assertThat(memory.getJsonNumber("maxBytes").longValueExact()).isEqualTo(1024 * 1024);
            assertThat(memory.getJsonNumber("bytes").longValueExact()).isLessThanOrEqualTo(1024 * 1024 + 64 * 1024);
            assertThat(memory.getJsonNumber("evictedChannels").longValueExact()).isPositive();

            JsonObject evicted = json(get(base, "api/channels?channel=user:first"));
            assertThat(evicted.get("latest")).isEqualTo(JsonValue.NULL);
            assertThat(evicted.getString("epoch")).isNotEqualTo(first.getString("id").split("-")[0]);
            JsonObject again = publish(base, "user:first");
            assertThat(again.getInt("offset")).isEqualTo(1);
            assertThat(json(get(base, "api/channels?channel=user:3999")).getInt("latest")).isEqualTo(1);
        }
    }

    private static JsonObject publish(URI base, String channel) {
        HttpResponse<String> r = post(base, channel, "{\"n\":1}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return json(r);
    }

    private static HttpResponse<String> post(URI base, String channel, String body) {
        return Http.send(HttpRequest.newBuilder(base.resolve("api/messages?channel=" + channel))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    private static HttpResponse<String> get(URI base, String path) {
        return Http.send(HttpRequest.newBuilder(base.resolve(path)).GET().build());
    }

    private static JsonObject json(HttpResponse<String> r) {
        return Json.createReader(new StringReader(r.body())).readObject();
    }
}
