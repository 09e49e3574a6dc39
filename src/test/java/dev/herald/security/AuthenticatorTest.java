package dev.herald.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.herald.core.ErrorCode;
import dev.herald.core.HeraldConfig;
import dev.herald.core.HeraldException;
import dev.herald.security.jwt.TokenIssuer;
import java.nio.charset.StandardCharsets;
import java.security.Principal;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** docs/security.md, "Authentication": a token first, else the container's user and its roles, else anonymous. */
class AuthenticatorTest {
    private static final String SECRET = "unit-test-fixture-key-of-32-bytes-or-more!";
    private Authenticator authenticator;

    private Authenticator start(Map<String, String> settings) {
        authenticator = new Authenticator();
        authenticator.config = HeraldConfig.from(settings::get);
        authenticator.init();
        return authenticator;
    }

    @AfterEach
    void stop() {
        if (authenticator != null) {
            authenticator.stop();
        }
    }

    @Test
    void theContainersUserGetsTheUnionOfItsRolesCapabilities() {
        Authenticator a = start(Map.of("herald.demo", "false", "herald.roles",
                "{\"trader\":{\"prices:*\":[\"subscribe\"]},\"desk\":{\"prices:*\":[\"publish\"],\"ops:*\":[\"*\"]},"
                        + "\"admin\":{\"*\":[\"*\"]}}"));
        Principal ann = () -> "ann";
        Set<String> roles = Set.of("trader", "desk");
        Caller c = a.authenticate(new Credentials(null, ann, roles::contains, "http", "10.0.0.1"));
        assertThat(c.subject()).isEqualTo("ann");
        assertThat(c.capabilities().allows(Action.SUBSCRIBE, "prices:ACME")).isTrue();
        assertThat(c.capabilities().allows(Action.PUBLISH, "prices:ACME")).isTrue();
        assertThat(c.capabilities().allows(Action.HISTORY, "ops:x")).isTrue();
        assertThat(c.capabilities().allows(Action.SUBSCRIBE, "chat:x")).isFalse();
        Caller nobody = a.authenticate(new Credentials(null, () -> "bob", r -> false, "http", null));
        assertThat(nobody.capabilities().grants()).isEmpty();
        assertThat(nobody.anonymous()).isFalse();
        assertThat(a.authenticate(new Credentials(null, null, null, "sse", null)).anonymous()).isTrue();
    }

    @Test
    void aTokenComesFirstAndARefusedOneNeverFallsBackToAnonymous() {
        Authenticator a = start(Map.of("herald.jwt.secret", SECRET, "herald.jwt.clock-skew", "2s"));
        Instant exp = Instant.now().plus(Duration.ofMinutes(1));
        String token = new TokenIssuer(SECRET.getBytes(StandardCharsets.UTF_8), null, null)
                .issue("carol", Capabilities.parse("{\"chat:*\":[\"publish\"]}"), exp);
        Caller c = a.authenticate(new Credentials(token, () -> "container-user", r -> true, "ws", null));
        assertThat(c.subject()).isEqualTo("carol");
        assertThat(c.capabilities().allows(Action.PUBLISH, "chat:a")).isTrue();
        assertThat(c.expires()).isEqualTo(Instant.ofEpochSecond(exp.getEpochSecond()).plusSeconds(2));
        assertThatThrownBy(() -> a.authenticate(new Credentials("junk", null, null, "ws", null)))
                .isInstanceOfSatisfying(HeraldException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHORIZED));
    }

    @Test
    void withoutKeysTokensAreRefusedButTheDemosSignWithAKeyOfTheirOwn() {
        Authenticator off = start(Map.of("herald.demo", "false"));
        assertThat(off.demoIssuer()).isNull();
        assertThatThrownBy(() -> off.authenticate(new Credentials("a.b.c", null, null, "http", null)))
                .hasMessageContaining("accepts no tokens");
        off.stop();
        Authenticator demo = start(Map.of());
        String token = demo.demoIssuer().issue("demo:ann", Capabilities.parse("{\"chat:*\":[\"publish\"]}"),
                Instant.now().plusSeconds(60));
        assertThat(demo.authenticate(new Credentials(token, null, null, "ws", null)).subject()).isEqualTo("demo:ann");
    }
}
