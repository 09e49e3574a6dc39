package dev.herald.security.jwt;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSKeySelector;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import javax.crypto.spec.SecretKeySpec;

/**
 * Verifies JSON Web Tokens (RFC 7519) signed as JWS compact serialisations (RFC 7515) with HS256 (a shared secret),
 * RS256 or ES256 (a public key from a PEM file, or from a JWK Set, RFC 7517, fetched from a URL, cached, and fetched
 * again when a token names a key id it does not hold, so rotated keys are picked up). Any other algorithm, including
 * {@code none}, is refused.
 *
 * <p>Checks, with the configured clock skew: the signature; {@code exp} (required) and {@code nbf}; {@code iss} when
 * an issuer is configured; {@code aud} when an audience is configured; {@code sub} (required). Thread-safe. A verify
 * may block on the JWK Set URL (a few hundred milliseconds at most) when its cache is cold or a key id is new;
 * everything else is CPU only.
 */
public final class JwtVerifier {
    /** Longest token accepted, in characters: anything longer is refused before parsing. */
    public static final int MAX_TOKEN_LENGTH = 8192;

    private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();

    /**
     * @param secret       the HS256 key (at least 32 bytes), or null
     * @param publicKeyPem a PEM file holding an RSA or EC (P-256) public key or certificate, or null
     * @param jwksUrl      a JWK Set URL, or null
     * @param issuer       the required {@code iss}, or null
     * @param audience     the required {@code aud} member, or null
     * @param clockSkew    tolerance on {@code exp} and {@code nbf}
     * @param jwksRefresh  the least time between two fetches of the JWK Set (zero: no limit; for tests)
     * @throws IllegalArgumentException when the PEM file cannot be read or holds no usable key
     */
    public JwtVerifier(byte[] secret, Path publicKeyPem, URI jwksUrl, String issuer, String audience,
                       Duration clockSkew, Duration jwksRefresh) {
        Key hmac = secret == null ? null : new SecretKeySpec(secret, "HmacSHA256");
        Key rsa = null;
        Key ec = null;
        if (publicKeyPem != null) {
            PublicKey key = readPem(publicKeyPem);
            if (key instanceof RSAPublicKey) {
                rsa = key;
            } else {
                ec = key;
            }
        }
        JWSKeySelector<SecurityContext> remote = null;
        if (jwksUrl != null) {
            JWKSourceBuilder<SecurityContext> builder;
            try {
                builder = JWKSourceBuilder.create(jwksUrl.toURL());
            } catch (MalformedURLException e) {
                throw new IllegalArgumentException("herald.jwt.jwks-url is not a URL: " + jwksUrl, e);
            }
            builder.cache(Duration.ofMinutes(5).toMillis(), Duration.ofSeconds(15).toMillis())
                    .retrying(true);
            if (jwksRefresh.isZero()) {
                builder.rateLimited(false);
            } else {
                builder.rateLimited(jwksRefresh.toMillis());
            }
            JWKSource<SecurityContext> source = builder.build();
            remote = new JWSVerificationKeySelector<>(
                    new HashSet<>(List.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256)), source);
        }
        Key rsaKey = rsa;
        Key ecKey = ec;
        JWSKeySelector<SecurityContext> jwks = remote;
        processor.setJWSKeySelector((JWSHeader header, SecurityContext ctx) -> {
            JWSAlgorithm alg = header.getAlgorithm();
            List<Key> keys = new ArrayList<>(2);
            if (JWSAlgorithm.HS256.equals(alg) && hmac != null) {
                keys.add(hmac);
            } else if (JWSAlgorithm.RS256.equals(alg) || JWSAlgorithm.ES256.equals(alg)) {
                if (JWSAlgorithm.RS256.equals(alg) && rsaKey != null) {
                    keys.add(rsaKey);
                }
                if (JWSAlgorithm.ES256.equals(alg) && ecKey != null) {
                    keys.add(ecKey);
                }
                if (jwks != null) {
                    keys.addAll(jwks.selectJWSKeys(header, ctx));
                }
            }
            return keys;
        });
        JWTClaimsSet exact = issuer == null ? new JWTClaimsSet.Builder().build()
                : new JWTClaimsSet.Builder().issuer(issuer).build();
        // mutable sets: the nimbus-jose-jwt that Payara ships (and loads first) asks them contains(null), which
        // Set.of answers with a NullPointerException
        DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(
                audience == null ? null : new HashSet<>(List.of(audience)), exact,
                new HashSet<>(List.of("sub", "exp")), null);
        claims.setMaxClockSkew((int) Math.min(Integer.MAX_VALUE, clockSkew.toSeconds()));
        processor.setJWTClaimsSetVerifier(claims);
    }

    /**
     * The public key of a PEM file: {@code PUBLIC KEY} (X.509 SubjectPublicKeyInfo, RFC 7468 section 13) holding an
     * RSA or EC P-256 key, or a {@code CERTIFICATE} carrying one.
     */
    static PublicKey readPem(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("herald.jwt.public-key: cannot read " + file, e);
        }
        try {
            if (text.contains("-----BEGIN CERTIFICATE-----")) {
                return CertificateFactory.getInstance("X.509")
                        .generateCertificate(new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII)))
                        .getPublicKey();
            }
            int begin = text.indexOf("-----BEGIN PUBLIC KEY-----");
            int end = text.indexOf("-----END PUBLIC KEY-----");
            if (begin < 0 || end < begin) {
                throw new IllegalArgumentException("herald.jwt.public-key: " + file
                        + " holds no '-----BEGIN PUBLIC KEY-----' block nor a certificate");
            }
            byte[] der = Base64.getMimeDecoder().decode(text.substring(begin + 26, end));
            X509EncodedKeySpec spec = new X509EncodedKeySpec(der);
            try {
                return KeyFactory.getInstance("RSA").generatePublic(spec);
            } catch (InvalidKeySpecException notRsa) {
                PublicKey key = KeyFactory.getInstance("EC").generatePublic(spec);
                if (!(key instanceof ECPublicKey ecKey) || ecKey.getParams().getCurve().getField().getFieldSize() != 256) {
                    throw new IllegalArgumentException("herald.jwt.public-key: " + file + ": ES256 needs a P-256 key");
                }
                return key;
            }
        } catch (GeneralSecurityException | RuntimeException e) {
            if (e instanceof IllegalArgumentException iae && iae.getMessage() != null
                    && iae.getMessage().startsWith("herald.jwt.public-key")) {
                throw iae;
            }
            throw new IllegalArgumentException("herald.jwt.public-key: no RSA or EC public key in " + file, e);
        }
    }

    /**
     * Verifies a token and returns what it says.
     *
     * @throws TokenException with a client-safe reason: malformed, bad signature, expired, not yet valid, wrong
     *                        issuer or audience, a required claim missing, an unusable key source
     */
    public VerifiedToken verify(String token) throws TokenException {
        if (token == null || token.isEmpty()) {
            throw new TokenException("no token");
        }
        if (token.length() > MAX_TOKEN_LENGTH) {
            throw new TokenException("token longer than " + MAX_TOKEN_LENGTH + " characters");
        }
        JWTClaimsSet claims;
        try {
            claims = processor.process(token, null);
        } catch (ParseException e) {
            throw new TokenException("malformed token: expected a signed JWT");
        } catch (BadJWTException e) {
            throw new TokenException(reason(e.getMessage()));
        } catch (BadJOSEException e) {
            throw new TokenException("token refused: unknown key, unsupported algorithm or bad signature");
        } catch (JOSEException e) {
            throw new TokenException("token could not be verified now");
        } catch (RuntimeException e) {
            throw new TokenException("malformed token");
        }
        Object capability = claims.getClaim("herald");
        return new VerifiedToken(claims.getSubject(), capability, claims.getExpirationTime().toInstant());
    }

    /** Nimbus' claim-check messages, reduced to stable client-safe reasons. */
    private static String reason(String message) {
        String m = message == null ? "" : message;
        if (m.contains("Expired")) {
            return "token expired";
        } else if (m.contains("missing required claims")) {
            return "token lacks a required claim (sub, exp)";
        } else if (m.contains("before use time")) {
            return "token not valid yet (nbf)";
        } else if (m.contains("aud")) {
            return "token audience not accepted";
        } else if (m.contains("iss claim")) {
            return "token issuer not accepted";
        }
        return "token claims not accepted";
    }
}
