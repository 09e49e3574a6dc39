package dev.herald.it;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The security settings every Herald under test runs with, and tokens for them. <b>Test fixtures only</b>: the
 * secret below signs nothing outside these tests. The same values are given to the containers by the pom
 * (failsafe's {@code environmentVariables}, {@code HERALD_*}); keep the two in step.
 *
 * <p>The anonymous capability opens every channel except the {@value #SECURE} namespace, so the other scenarios,
 * which publish anonymously on many channel names, run as before, and the security scenarios use {@code secure:*}.
 */
public final class TestSecurity {
    /** TEST FIXTURE, not a real secret: the HS256 key of the Herald under test (48 bytes). */
    public static final String SECRET = "herald-test-fixture-hs256-key-not-a-real-secret!";
    public static final String ISSUER = "herald-tests";
    public static final String AUDIENCE = "herald";
    public static final String SECURE = "secure:";
    public static final String ANONYMOUS = "{\"*\":[\"subscribe\",\"publish\",\"history\",\"presence\"],\"secure:*\":[]}";
    public static final String ALLOWED_ORIGIN = "http://allowed.example";
    /**
     * The address tests connect from: trusted as a proxy, so a test may claim a client address in X-Forwarded-For.
     * The limits are loose enough for the other scenarios (ResumeIT publishes 1,005 frames at once on one WebSocket,
     * SseChurnIT leaves up to 60 dead streams for the server to notice) and tight enough to trip in LimitsIT.
     */
    public static final String TRUSTED_PROXIES = "127.0.0.1";
    public static final Duration GRACE = Duration.ofSeconds(3);
    public static final int MAX_SUBSCRIPTIONS = 64;
    public static final int MAX_CONNECTIONS_PER_ADDRESS = 128;
    public static final int MAX_POLLS_PER_ADDRESS = 4;
    public static final int PUBLISH_RATE = 100;
    public static final int PUBLISH_BURST = 1100;

    private TestSecurity() {
    }

    /** The settings as {@code name=value} pairs, for {@code -D} on the standalone runner. */
    public static Map<String, String> settings() {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("herald.jwt.secret", SECRET);
        s.put("herald.jwt.issuer", ISSUER);
        s.put("herald.jwt.audience", AUDIENCE);
        s.put("herald.jwt.clock-skew", "1s");
        s.put("herald.auth.grace", GRACE.toMillis() + "ms");
        s.put("herald.anonymous", ANONYMOUS);
        s.put("herald.allowed-origins", ALLOWED_ORIGIN);
        s.put("herald.trusted-proxies", TRUSTED_PROXIES);
        s.put("herald.limits.subscriptions", Integer.toString(MAX_SUBSCRIPTIONS));
        s.put("herald.limits.connections-per-address", Integer.toString(MAX_CONNECTIONS_PER_ADDRESS));
        s.put("herald.limits.polls-per-address", Integer.toString(MAX_POLLS_PER_ADDRESS));
        s.put("herald.limits.publish-rate", Integer.toString(PUBLISH_RATE));
        s.put("herald.limits.publish-burst", Integer.toString(PUBLISH_BURST));
        return s;
    }

    /** A token for {@code subject} granting {@code capability} (pattern to actions), valid for {@code ttl}. */
    public static String token(String subject, Map<String, List<String>> capability, Duration ttl) {
        return token(subject, capability, Instant.now().plus(ttl), ISSUER, AUDIENCE, SECRET);
    }

    public static String token(String subject, Map<String, List<String>> capability, Instant expires, String issuer,
                               String audience, String secret) {
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder().subject(subject).issuer(issuer).audience(audience)
                .issueTime(new Date()).expirationTime(Date.from(expires));
        if (capability != null) {
            claims.claim("herald", capability);
        }
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims.build());
        try {
            jwt.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
        return jwt.serialize();
    }
}
