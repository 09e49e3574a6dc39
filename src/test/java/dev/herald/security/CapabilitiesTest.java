package dev.herald.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** docs/security.md, "Capabilities": patterns, the most specific one decides, and what the default authorizer says. */
class CapabilitiesTest {

    @Test
    void exactPrefixAndStarPatterns() {
        Capabilities c = Capabilities.parse("{\"chat:*\":[\"subscribe\",\"publish\"],\"prices:*\":[\"subscribe\"],"
                + "\"news:today\":[\"history\"]}");
        assertThat(c.allows(Action.PUBLISH, "chat:lobby")).isTrue();
        assertThat(c.allows(Action.SUBSCRIBE, "prices:ACME")).isTrue();
        assertThat(c.allows(Action.PUBLISH, "prices:ACME")).isFalse();
        assertThat(c.allows(Action.HISTORY, "news:today")).isTrue();
        assertThat(c.allows(Action.HISTORY, "news:todays")).isFalse();
        assertThat(c.allows(Action.SUBSCRIBE, "chatter")).isFalse();
        assertThat(Capabilities.parse("{\"*\":[\"*\"]}").allows(Action.PRESENCE, "anything")).isTrue();
    }

    @Test
    void theMostSpecificPatternDecidesSoAnEmptyListCarvesANamespaceOut() {
        Capabilities c = Capabilities.parse("{\"*\":[\"subscribe\",\"publish\"],\"secure:*\":[],"
                + "\"secure:open\":[\"subscribe\"]}");
        assertThat(c.allows(Action.PUBLISH, "chat:x")).isTrue();
        assertThat(c.allows(Action.SUBSCRIBE, "secure:x")).isFalse();
        assertThat(c.allows(Action.SUBSCRIBE, "secure:open")).isTrue();
        assertThat(c.allows(Action.PUBLISH, "secure:open")).isFalse();
    }

    @Test
    void badCapabilitiesAreRefusedWithAReason() {
        assertThatThrownBy(() -> Capabilities.parse("[]")).hasMessageContaining("object");
        assertThatThrownBy(() -> Capabilities.parse("{\"a*b\":[\"subscribe\"]}")).hasMessageContaining("pattern");
        assertThatThrownBy(() -> Capabilities.parse("{\"a\":[\"dance\"]}")).hasMessageContaining("dance");
        assertThatThrownBy(() -> Capabilities.parse("{\"a\":\"subscribe\"}")).hasMessageContaining("array");
        assertThatThrownBy(() -> Capabilities.parse("{")).hasMessageContaining("JSON");
    }

    @Test
    void unionMergesRolesAndRoundTripsThroughJson() {
        Capabilities a = Capabilities.parse("{\"chat:*\":[\"subscribe\"]}");
        Capabilities b = Capabilities.parse("{\"chat:*\":[\"publish\"],\"ops:*\":[\"history\"]}");
        Capabilities u = a.union(b);
        assertThat(u.allows(Action.PUBLISH, "chat:x")).isTrue();
        assertThat(u.allows(Action.SUBSCRIBE, "chat:x")).isTrue();
        assertThat(u.allows(Action.HISTORY, "ops:x")).isTrue();
        assertThat(Capabilities.parse(u.toJson())).isEqualTo(u);
    }

    @Test
    void theDefaultAuthorizerSaysUnauthorizedToAnonymousForbiddenToTokensAndExpiredToTheExpired() {
        Clock clock = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);
        CapabilityAuthorizer authorizer = new CapabilityAuthorizer(Capabilities.parse("{\"chat:*\":[\"subscribe\"]}"),
                clock);
        Caller anonymous = Caller.anonymous("ws", "10.0.0.1");
        assertThat(authorizer.authorize(anonymous, Action.SUBSCRIBE, "chat:a")).isNull();
        assertThat(authorizer.authorize(anonymous, Action.PUBLISH, "chat:a").authenticate()).isTrue();
        Caller token = new Caller(null, "ws", null, "alice", Capabilities.parse("{\"chat:*\":[\"publish\"]}"),
                clock.instant().plusSeconds(60));
        assertThat(authorizer.authorize(token, Action.PUBLISH, "chat:a")).isNull();
        assertThat(authorizer.authorize(token, Action.PUBLISH, "prices:a").authenticate()).isFalse();
        Caller expired = new Caller(null, "ws", null, "alice", Capabilities.ALL, clock.instant());
        assertThat(authorizer.authorize(expired, Action.SUBSCRIBE, "chat:a").authenticate()).isTrue();
        assertThat(authorizer.authorize(Caller.SYSTEM, Action.PUBLISH, "prices:ACME")).isNull();
    }

    @Test
    void aTokenBucketAllowsTheBurstThenTheRate() {
        long[] now = {0};
        TokenBucket bucket = new TokenBucket(10, 3, () -> now[0]);
        assertThat(bucket.tryTake()).isTrue();
        assertThat(bucket.tryTake()).isTrue();
        assertThat(bucket.tryTake()).isTrue();
        assertThat(bucket.tryTake()).isFalse();
        now[0] += 100_000_000; // 100 ms: one token at 10/s
        assertThat(bucket.tryTake()).isTrue();
        assertThat(bucket.tryTake()).isFalse();
    }
}
