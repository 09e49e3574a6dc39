package dev.herald.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The configuration record: the contract's defaults, duration forms, and refusal of bad values at start-up. */
class HeraldConfigTest {

    @Test
    void defaultsAreTheContracts() {
        HeraldConfig c = HeraldConfig.defaults();
        assertThat(c.historySize()).isEqualTo(1000);
        assertThat(c.historyTtl()).isEqualTo(Duration.ofHours(1));
        assertThat(c.maxMessageBytes()).isEqualTo(1024 * 1024);
        assertThat(c.sseHeartbeat()).isEqualTo(Duration.ofSeconds(15));
        assertThat(c.sseRetry()).isEqualTo(Duration.ofMillis(2000));
    }

    @Test
    void durationsTakeUnitsOrIsoForms() {
        HeraldConfig c = HeraldConfig.from(Map.of("herald.history.ttl", "90m", "herald.sse.heartbeat", "PT3S",
                "herald.sse.retry", "250ms", "herald.poll.timeout", "2h", "herald.ticker.interval", "1500")::get);
        assertThat(c.historyTtl()).isEqualTo(Duration.ofMinutes(90));
        assertThat(c.sseHeartbeat()).isEqualTo(Duration.ofSeconds(3));
        assertThat(c.sseRetry()).isEqualTo(Duration.ofMillis(250));
        assertThat(c.pollTimeout()).isEqualTo(Duration.ofHours(2));
        assertThat(c.tickerInterval()).isEqualTo(Duration.ofMillis(1500));
    }

    @Test
    void theMemoryBoundIsASizeOrAShareOfTheHeapAndDefaultsToAQuarterOfIt() {
        assertThat(HeraldConfig.defaults().memoryMaxBytes()).isEqualTo(Runtime.getRuntime().maxMemory() / 4);
        assertThat(bytes("65536")).isEqualTo(65536);
        assertThat(bytes("64k")).isEqualTo(64 * 1024);
        assertThat(bytes("256M")).isEqualTo(256L * 1024 * 1024);
        assertThat(bytes("2g")).isEqualTo(2L * 1024 * 1024 * 1024);
        assertThat(bytes("50%")).isEqualTo(Runtime.getRuntime().maxMemory() / 2);
        for (String bad : new String[] {"lots", "1000", "-1m", "0%", "150%", "12t", "m"}) {
            assertThatThrownBy(() -> bytes(bad)).as(bad).hasMessageContaining("herald.memory.max-bytes");
        }
    }

    private static long bytes(String value) {
        return HeraldConfig.from(Map.of("herald.memory.max-bytes", value)::get).memoryMaxBytes();
    }

    @Test
    void badValuesStopTheStartWithTheSettingsName() {
        assertThatThrownBy(() -> HeraldConfig.from(Map.of("herald.history.size", "many")::get))
                .hasMessageContaining("herald.history.size");
        assertThatThrownBy(() -> HeraldConfig.from(Map.of("herald.history.size", "0")::get))
                .hasMessageContaining("herald.history.size");
        assertThatThrownBy(() -> HeraldConfig.from(Map.of("herald.sse.heartbeat", "soon")::get))
                .hasMessageContaining("herald.sse.heartbeat");
        assertThatThrownBy(() -> HeraldConfig.from(Map.of("herald.sse.retry", "0s")::get))
                .hasMessageContaining("herald.sse.retry");
    }

    /** README, "Configuration" and "Cluster": the engine is memory unless told; redis needs a redis:// URL. */
    @Test
    void theEngineIsMemoryByDefaultAndRedisNeedsAUrl() {
        HeraldConfig d = HeraldConfig.defaults();
        assertThat(d.engine()).isEqualTo("memory");
        assertThat(d.redisTimeout()).isEqualTo(Duration.ofSeconds(2));
        HeraldConfig redis = HeraldConfig.from(Map.of("herald.engine", "redis", "herald.redis.url",
                "rediss://user:pw@cache:6380/2", "herald.redis.timeout", "500ms")::get);
        assertThat(redis.engine()).isEqualTo("redis");
        assertThat(redis.redisUrl()).isEqualTo("rediss://user:pw@cache:6380/2");
        assertThat(redis.redisTimeout()).isEqualTo(Duration.ofMillis(500));
        assertThatThrownBy(() -> HeraldConfig.from(Map.of("herald.engine", "redis")::get))
                .hasMessageContaining("herald.redis.url");
        assertThatThrownBy(() -> HeraldConfig.from(Map.of("herald.engine", "redis", "herald.redis.url",
                "http://cache:6379")::get)).hasMessageContaining("herald.redis.url");
        assertThatThrownBy(() -> HeraldConfig.from(Map.of("herald.engine", "kafka")::get))
                .hasMessageContaining("herald.engine");
        assertThatThrownBy(() -> HeraldConfig.from(Map.of("herald.redis.timeout", "0s")::get))
                .hasMessageContaining("herald.redis.timeout");
    }

    @Test
    void namespacesTakeTheGlobalSettingsUnlessTheyHaveTheirOwn() {
        HeraldConfig c = HeraldConfig.from(Map.of("herald.namespaces", "chat, prices",
                "herald.history.size", "50", "herald.ns.chat.history.size", "5000", "herald.ns.chat.history.ttl", "24h",
                "herald.ns.prices.publish", "false", "herald.ns.prices.max-message-bytes", "4096")::get);
        assertThat(c.namespaces()).containsOnlyKeys("chat", "prices");
        assertThat(c.namespace("chat:lobby")).isEqualTo(new Namespace("chat", 5000, Duration.ofDays(1), 1024 * 1024,
                true));
        assertThat(c.namespace("prices:ACME")).isEqualTo(new Namespace("prices", 50, Duration.ofHours(1), 4096,
                false, Namespace.SlowConsumer.CONFLATE, "channel")); // the shipped setting of prices still applies
        assertThat(c.namespace("other:x")).isNull();
        assertThat(c.namespace("chat")).isNull(); // no ':', no namespace
        assertThat(c.retention().historySize("chat:a")).isEqualTo(5000);
        assertThat(c.retention().historySize("news:a")).isEqualTo(50);
        assertThat(c.retention().historyTtl("chat:a")).isEqualTo(Duration.ofDays(1));
        assertThat(c.maxMessageBytes("prices:x")).isEqualTo(4096);
        assertThat(c.maxMessageBytes("news:x")).isEqualTo(1024 * 1024);
        assertThat(HeraldConfig.defaults().namespaces()).containsOnlyKeys("prices");
        assertThat(HeraldConfig.defaults().namespace("prices:ACME").slowConsumer())
                .isEqualTo(Namespace.SlowConsumer.CONFLATE);
    }

    @Test
    void badNamespaceSettingsStopTheStartWithTheSettingsName() {
        assertThatThrownBy(() -> HeraldConfig.from(Map.of("herald.namespaces", "chat:room")::get))
                .hasMessageContaining("herald.namespaces: chat:room is not a namespace name");
        assertThatThrownBy(() -> HeraldConfig.from(Map.of("herald.namespaces", "a,a")::get))
                .hasMessageContaining("names a twice");
        assertThatThrownBy(() -> HeraldConfig.from(Map.of("herald.namespaces", "chat",
                "herald.ns.chat.history.size", "0")::get))
                .hasMessageContaining("herald.ns.chat.history.size must be >= 1");
        assertThatThrownBy(() -> HeraldConfig.from(Map.of("herald.namespaces", "chat",
                "herald.ns.chat.max-message-bytes", "2097152")::get))
                .hasMessageContaining("herald.ns.chat.max-message-bytes must be between 1024 and");
        HeraldConfig c = HeraldConfig.from(Map.of("herald.namespaces", "chat")::get);
        c.checkNamespaceKeys(Set.of("herald.ns.chat.history.size", "herald.history.size"),
                Set.of("HERALD_NS_CHAT_MAX_MESSAGE_BYTES", "PATH"));
        assertThatThrownBy(() -> c.checkNamespaceKeys(Set.of("herald.ns.chat.histroy.size"), Set.of()))
                .hasMessageStartingWith("herald.ns.chat.histroy.size is not a setting of a namespace");
        assertThatThrownBy(() -> c.checkNamespaceKeys(Set.of("herald.ns.news.publish"), Set.of()))
                .hasMessageStartingWith("herald.ns.news.publish is not a setting");
        assertThatThrownBy(() -> c.checkNamespaceKeys(Set.of(), Set.of("HERALD_NS_CHAT_PUBLISHING")))
                .hasMessageStartingWith("HERALD_NS_CHAT_PUBLISHING is not a setting");
    }

    @Test
    void securityDefaultsKeepTheDemosReadableAndNothingPublishable() {
        SecuritySettings s = HeraldConfig.defaults().security();
        assertThat(s.anonymous().allows(dev.herald.security.Action.SUBSCRIBE, "chat:lobby")).isTrue();
        assertThat(s.anonymous().allows(dev.herald.security.Action.PUBLISH, "chat:lobby")).isFalse();
        assertThat(s.anonymous().allows(dev.herald.security.Action.PUBLISH, "prices:ACME")).isFalse();
        assertThat(s.allowedOrigins()).isEmpty();
        assertThat(s.tokensConfigured()).isFalse();
        SecuritySettings off = HeraldConfig.from(Map.of("herald.demo", "false")::get).security();
        assertThat(off.anonymous().grants()).isEmpty();
        SecuritySettings env = HeraldConfig.from(Map.of("herald.anonymous", "{\"*\":[\"*\"]}")::get).security();
        assertThat(env.anonymous().allows(dev.herald.security.Action.PUBLISH, "x")).isTrue();
    }

    @Test
    void badSecuritySettingsStopTheStartWithTheSettingsName() {
        assertThatThrownBy(() -> HeraldConfig.from(Map.of("herald.anonymous", "{\"*\":[\"dance\"]}")::get))
                .hasMessageContaining("herald.anonymous");
        assertThatThrownBy(() -> HeraldConfig.from(Map.of("herald.jwt.secret", "short")::get))
                .hasMessageContaining("herald.jwt.secret");
        assertThatThrownBy(() -> HeraldConfig.from(Map.of("herald.allowed-origins", "*")::get))
                .hasMessageContaining("herald.allowed-origins");
        assertThatThrownBy(() -> HeraldConfig.from(Map.of("herald.allowed-origins", "https://a.example/")::get))
                .hasMessageContaining("herald.allowed-origins");
        assertThatThrownBy(() -> HeraldConfig.from(Map.of("herald.jwt.public-key", "/nonexistent.pem")::get))
                .hasMessageContaining("herald.jwt.public-key");
        assertThatThrownBy(() -> HeraldConfig.from(Map.of("herald.jwt.jwks-url", "ftp://x")::get))
                .hasMessageContaining("herald.jwt.jwks-url");
        assertThatThrownBy(() -> HeraldConfig.from(Map.of("herald.roles", "{\"admin\":[]}")::get))
                .hasMessageContaining("herald.roles");
        assertThatThrownBy(() -> HeraldConfig.from(Map.of("herald.limits.publish-rate", "0")::get))
                .hasMessageContaining("herald.limits.publish-rate");
    }
}
