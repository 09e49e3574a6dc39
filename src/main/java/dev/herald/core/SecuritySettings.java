package dev.herald.core;

import dev.herald.security.Capabilities;
import jakarta.json.Json;
import jakarta.json.JsonException;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;
import java.io.StringReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Herald's security settings, part of {@link HeraldConfig} (read and validated with it; docs/security.md lists
 * each one). Durations and sizes in the units named.
 *
 * @param anonymous             what a client without credentials may do ({@code herald.anonymous}); default, with
 *                              the demos on, reading the demo channels: {@value #DEMO_ANONYMOUS}; without them,
 *                              nothing
 * @param roles                 capabilities by container role ({@code herald.roles}, JSON: role to capability)
 * @param jwtSecret             the HS256 key ({@code herald.jwt.secret}, at least 32 bytes of UTF-8), or null
 * @param jwtPublicKey          a PEM file with the RS256 or ES256 public key ({@code herald.jwt.public-key}), or null
 * @param jwksUrl               a JWK Set URL for RS256/ES256 keys ({@code herald.jwt.jwks-url}), or null
 * @param issuer                the required {@code iss} ({@code herald.jwt.issuer}), or null to accept any
 * @param audience              the required {@code aud} ({@code herald.jwt.audience}), or null to accept any
 * @param clockSkew             the tolerance on {@code exp} and {@code nbf} ({@code herald.jwt.clock-skew}, 30 s)
 * @param cookie                the cookie that may carry the token on SSE, long-poll and WebSocket
 *                              ({@code herald.jwt.cookie}, {@code herald_token})
 * @param authGrace             how long a WebSocket whose token expired may send a fresh {@code auth} frame before
 *                              it is closed with 4001 ({@code herald.auth.grace}, 10 s)
 * @param allowedOrigins        the exact origins allowed besides the server's own ({@code herald.allowed-origins},
 *                              comma-separated; default none, i.e. same-origin only)
 * @param trustedProxies        peers whose {@code X-Forwarded-For} is believed ({@code herald.trusted-proxies},
 *                              comma-separated exact IP addresses; default none)
 * @param maxSubscriptions      subscriptions per connection, and channels per SSE or long-poll request
 *                              ({@code herald.limits.subscriptions}, 256)
 * @param maxConnectionsPerAddress open WebSockets and SSE streams per client address
 *                              ({@code herald.limits.connections-per-address}, 256)
 * @param publishRate           publishes per second per WebSocket connection, refilled continuously
 *                              ({@code herald.limits.publish-rate}, 50)
 * @param publishBurst          publishes a WebSocket connection may send at once ({@code herald.limits.publish-burst},
 *                              100)
 * @param maxPollsPerAddress    concurrent long-polls per client address ({@code herald.limits.polls-per-address}, 16)
 * @param demo                  whether the demo token endpoint is on ({@code herald.demo}, true)
 * @param demoTokenTtl          lifetime of a demo token ({@code herald.demo.token-ttl}, 5 min)
 */
public record SecuritySettings(
        Capabilities anonymous,
        Map<String, Capabilities> roles,
        byte[] jwtSecret,
        Path jwtPublicKey,
        URI jwksUrl,
        String issuer,
        String audience,
        Duration clockSkew,
        String cookie,
        Duration authGrace,
        List<String> allowedOrigins,
        Set<String> trustedProxies,
        int maxSubscriptions,
        int maxConnectionsPerAddress,
        int publishRate,
        int publishBurst,
        int maxPollsPerAddress,
        boolean demo,
        Duration demoTokenTtl) {

    /** The anonymous capability while the demos are on: read the chat rooms and the ticker, publish nothing. */
    public static final String DEMO_ANONYMOUS =
            "{\"chat:*\":[\"subscribe\",\"history\",\"presence\"],\"prices:*\":[\"subscribe\",\"history\"]}";
    private static final Pattern ORIGIN = Pattern.compile("^https?://[A-Za-z0-9.\\-\\[\\]:]+$");
    private static final Pattern COOKIE = Pattern.compile("^[A-Za-z0-9_\\-.]{1,64}$");

    public SecuritySettings {
        require(jwtSecret == null || jwtSecret.length >= 32, "herald.jwt.secret must be at least 32 bytes");
        require(clockSkew != null && !clockSkew.isNegative() && clockSkew.compareTo(Duration.ofMinutes(5)) <= 0,
                "herald.jwt.clock-skew must be between 0 and 5m");
        require(authGrace != null && !authGrace.isNegative(), "herald.auth.grace must be >= 0");
        require(maxSubscriptions >= 1, "herald.limits.subscriptions must be >= 1");
        require(maxConnectionsPerAddress >= 1, "herald.limits.connections-per-address must be >= 1");
        require(publishRate >= 1, "herald.limits.publish-rate must be >= 1");
        require(publishBurst >= 1, "herald.limits.publish-burst must be >= 1");
        require(maxPollsPerAddress >= 1, "herald.limits.polls-per-address must be >= 1");
        require(demoTokenTtl != null && !demoTokenTtl.isNegative() && !demoTokenTtl.isZero(),
                "herald.demo.token-ttl must be > 0");
        roles = Map.copyOf(roles);
        allowedOrigins = List.copyOf(allowedOrigins);
        trustedProxies = Set.copyOf(trustedProxies);
    }

    /** True when some key is configured to verify tokens. */
    public boolean tokensConfigured() {
        return jwtSecret != null || jwtPublicKey != null || jwksUrl != null;
    }

    static SecuritySettings from(HeraldConfig.Reader r) {
        boolean demo = r.bool("herald.demo", true);
        Capabilities anonymous = capability("herald.anonymous",
                r.string("herald.anonymous", demo ? DEMO_ANONYMOUS : "{}"));
        String secret = r.string("herald.jwt.secret", null);
        byte[] secretBytes = secret == null ? null : secret.getBytes(StandardCharsets.UTF_8);
        String pem = r.string("herald.jwt.public-key", null);
        Path publicKey = null;
        if (pem != null) {
            publicKey = Path.of(pem);
            require(Files.isReadable(publicKey), "herald.jwt.public-key: cannot read the PEM file " + pem);
        }
        String jwks = r.string("herald.jwt.jwks-url", null);
        URI jwksUrl = null;
        if (jwks != null) {
            try {
                jwksUrl = URI.create(jwks);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("herald.jwt.jwks-url is not a URL: " + jwks, e);
            }
            String scheme = jwksUrl.getScheme() == null ? "" : jwksUrl.getScheme().toLowerCase(Locale.ROOT);
            require(scheme.equals("https") || scheme.equals("http"), "herald.jwt.jwks-url must be http(s): " + jwks);
        }
        String cookie = r.string("herald.jwt.cookie", "herald_token");
        require(COOKIE.matcher(cookie).matches(), "herald.jwt.cookie is not a cookie name: " + cookie);
        List<String> origins = list(r.string("herald.allowed-origins", ""));
        for (String o : origins) {
            require(ORIGIN.matcher(o).matches() && !o.endsWith("/"), "herald.allowed-origins: '" + o
                    + "' is not an exact origin (scheme://host[:port], no path, no wildcard)");
        }
        return new SecuritySettings(anonymous, roles(r.string("herald.roles", "{}")), secretBytes, publicKey, jwksUrl,
                r.string("herald.jwt.issuer", null), r.string("herald.jwt.audience", null),
                r.duration("herald.jwt.clock-skew", Duration.ofSeconds(30)), cookie,
                r.duration("herald.auth.grace", Duration.ofSeconds(10)),
                origins.stream().map(o -> o.toLowerCase(Locale.ROOT)).toList(),
                new LinkedHashSet<>(list(r.string("herald.trusted-proxies", ""))),
                r.integer("herald.limits.subscriptions", 256),
                r.integer("herald.limits.connections-per-address", 256),
                r.integer("herald.limits.publish-rate", 50),
                r.integer("herald.limits.publish-burst", 100),
                r.integer("herald.limits.polls-per-address", 16),
                demo,
                r.duration("herald.demo.token-ttl", Duration.ofMinutes(5)));
    }

    private static Capabilities capability(String key, String json) {
        try {
            return Capabilities.parse(json);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + ": " + e.getMessage(), e);
        }
    }

    private static Map<String, Capabilities> roles(String json) {
        JsonValue value;
        try (JsonReader reader = Json.createReader(new StringReader(json))) {
            value = reader.readValue();
        } catch (JsonException | IllegalStateException e) {
            throw new IllegalArgumentException("herald.roles is not JSON: expected {\"role\":{\"pattern\":[…]}}");
        }
        require(value instanceof JsonObject, "herald.roles must be a JSON object from role to capability");
        Map<String, Capabilities> roles = new LinkedHashMap<>();
        ((JsonObject) value).forEach((role, capability) -> {
            try {
                roles.put(role, Capabilities.of(capability));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("herald.roles, role " + role + ": " + e.getMessage(), e);
            }
        });
        return roles;
    }

    private static List<String> list(String csv) {
        return Arrays.stream(csv.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    @Override
    public String toString() {
        return "SecuritySettings[anonymous=" + anonymous + ", secret=" + (jwtSecret == null ? "none" : "set")
                + ", publicKey=" + jwtPublicKey + ", jwksUrl=" + jwksUrl + ", origins=" + allowedOrigins + "]";
    }
}
