package dev.herald.security.jwt;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.herald.security.Capabilities;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Signs HS256 tokens that {@link JwtVerifier} accepts: what a Java backend (or Herald's demo token endpoint) runs
 * to give a client its capability. Thread-safe.
 *
 * <pre>{@code
 * TokenIssuer issuer = new TokenIssuer(secretBytes, "https://app.example", "herald");
 * String token = issuer.issue("alice", Capabilities.parse("{\"chat:*\":[\"subscribe\",\"publish\"]}"),
 *         Instant.now().plus(Duration.ofMinutes(15)));
 * }</pre>
 */
public final class TokenIssuer {
    private final MACSigner signer;
    private final String issuer;
    private final String audience;

    /**
     * @param secret   the HS256 key shared with Herald ({@code herald.jwt.secret}), at least 32 bytes
     * @param issuer   the {@code iss} to set, or null
     * @param audience the {@code aud} to set, or null
     */
    public TokenIssuer(byte[] secret, String issuer, String audience) {
        try {
            this.signer = new MACSigner(secret);
        } catch (JOSEException e) {
            throw new IllegalArgumentException("an HS256 key needs at least 32 bytes", e);
        }
        this.issuer = issuer;
        this.audience = audience;
    }

    /** A signed token for {@code subject} granting {@code capability} until {@code expires}. */
    public String issue(String subject, Capabilities capability, Instant expires) {
        Map<String, Object> claim = new LinkedHashMap<>();
        capability.grants().forEach((pattern, actions) -> claim.put(pattern,
                actions.stream().map(a -> a.wire()).toList()));
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder().subject(subject)
                .issueTime(new Date()).expirationTime(Date.from(expires)).claim("herald", claim);
        if (issuer != null) {
            claims.issuer(issuer);
        }
        if (audience != null) {
            claims.audience(List.of(audience));
        }
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).type(JOSEObjectType.JWT).build(),
                claims.build());
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign", e);
        }
        return jwt.serialize();
    }
}
