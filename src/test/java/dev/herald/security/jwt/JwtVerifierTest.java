package dev.herald.security.jwt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import dev.herald.security.Capabilities;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/security.md, "Tokens": HS256, RS256 and ES256 from a PEM file, a JWK Set URL served over real HTTP whose
 * keys rotate, and the claim checks. Every key is generated here, at test time.
 */
class JwtVerifierTest {
    private static final byte[] SECRET = "unit-test-fixture-key-of-32-bytes-or-more!".getBytes(StandardCharsets.UTF_8);
    private static final Duration SKEW = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    private static String sign(JWSSigner signer, JWSAlgorithm alg, String kid, JWTClaimsSet claims) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(alg).keyID(kid).type(JOSEObjectType.JWT).build(), claims);
        jwt.sign(signer);
        return jwt.serialize();
    }

    private static JWTClaimsSet claims(Instant exp) {
        return new JWTClaimsSet.Builder().subject("alice").issuer("iss").audience("aud")
                .expirationTime(Date.from(exp)).claim("herald", Map.of("chat:*", List.of("subscribe"))).build();
    }

    private static Instant later() {
        return Instant.now().plus(Duration.ofMinutes(5));
    }

    private Path pem(byte[] encoded) throws Exception {
        Path file = Files.createTempFile(dir, "key", ".pem");
        Files.writeString(file, "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(encoded)
                + "\n-----END PUBLIC KEY-----\n");
        return file;
    }

    @Test
    void hs256TokensVerifyAndCarryTheirCapability() throws Exception {
        JwtVerifier v = new JwtVerifier(SECRET, null, null, "iss", "aud", SKEW, Duration.ZERO);
        VerifiedToken t = v.verify(sign(new MACSigner(SECRET), JWSAlgorithm.HS256, null, claims(later())));
        assertThat(t.subject()).isEqualTo("alice");
        assertThat(Capabilities.of(t.capability()).toJson()).isEqualTo("{\"chat:*\":[\"subscribe\"]}");
        String issued = new TokenIssuer(SECRET, "iss", "aud").issue("bob", Capabilities.parse("{\"a\":[\"publish\"]}"),
                later());
        assertThat(v.verify(issued).subject()).isEqualTo("bob");
    }

    @Test
    void claimChecksRefuseWithClientSafeReasons() throws Exception {
        JwtVerifier v = new JwtVerifier(SECRET, null, null, "iss", "aud", SKEW, Duration.ZERO);
        MACSigner mac = new MACSigner(SECRET);
        assertThatThrownBy(() -> v.verify(sign(mac, JWSAlgorithm.HS256, null, claims(Instant.now().minusSeconds(60)))))
                .hasMessage("token expired");
        // within the clock skew an expired token still passes
        assertThat(v.verify(sign(mac, JWSAlgorithm.HS256, null, claims(Instant.now().minusSeconds(2)))).subject())
                .isEqualTo("alice");
        JWTClaimsSet notYet = new JWTClaimsSet.Builder(claims(later())).notBeforeTime(Date.from(later())).build();
        assertThatThrownBy(() -> v.verify(sign(mac, JWSAlgorithm.HS256, null, notYet))).hasMessageContaining("nbf");
        JWTClaimsSet otherIssuer = new JWTClaimsSet.Builder(claims(later())).issuer("evil").build();
        assertThatThrownBy(() -> v.verify(sign(mac, JWSAlgorithm.HS256, null, otherIssuer)))
                .hasMessageContaining("issuer");
        JWTClaimsSet otherAudience = new JWTClaimsSet.Builder(claims(later())).audience("other").build();
        assertThatThrownBy(() -> v.verify(sign(mac, JWSAlgorithm.HS256, null, otherAudience)))
                .hasMessageContaining("audience");
        JWTClaimsSet noExp = new JWTClaimsSet.Builder(claims(later())).expirationTime(null).build();
        assertThatThrownBy(() -> v.verify(sign(mac, JWSAlgorithm.HS256, null, noExp)))
                .hasMessageContaining("required");
        MACSigner other = new MACSigner("another-unit-test-key-of-32-bytes-or-more".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> v.verify(sign(other, JWSAlgorithm.HS256, null, claims(later()))))
                .hasMessageContaining("signature");
        String unsigned = new com.nimbusds.jwt.PlainJWT(claims(later())).serialize();
        assertThatThrownBy(() -> v.verify(unsigned)).isInstanceOf(TokenException.class);
        assertThatThrownBy(() -> v.verify("a.b.c")).isInstanceOf(TokenException.class);
        assertThatThrownBy(() -> v.verify("x".repeat(9000))).hasMessageContaining("longer");
    }

    @Test
    void rs256AndEs256FromPemFiles() throws Exception {
        KeyPairGenerator rsaGen = KeyPairGenerator.getInstance("RSA");
        rsaGen.initialize(2048);
        KeyPair rsa = rsaGen.generateKeyPair();
        JwtVerifier rv = new JwtVerifier(null, pem(rsa.getPublic().getEncoded()), null, null, null, SKEW,
                Duration.ZERO);
        assertThat(rv.verify(sign(new RSASSASigner(rsa.getPrivate()), JWSAlgorithm.RS256, "any-kid",
                claims(later()))).subject()).isEqualTo("alice");
        // an HS256 token is refused where only a public key is configured (no algorithm confusion)
        assertThatThrownBy(() -> rv.verify(sign(new MACSigner(SECRET), JWSAlgorithm.HS256, null, claims(later()))))
                .isInstanceOf(TokenException.class);

        KeyPairGenerator ecGen = KeyPairGenerator.getInstance("EC");
        ecGen.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair ec = ecGen.generateKeyPair();
        JwtVerifier ev = new JwtVerifier(null, pem(ec.getPublic().getEncoded()), null, null, null, SKEW,
                Duration.ZERO);
        assertThat(ev.verify(sign(new ECDSASigner((ECPrivateKey) ec.getPrivate()), JWSAlgorithm.ES256, null,
                claims(later()))).subject()).isEqualTo("alice");
    }

    @Test
    void aPemFileWithoutAKeyStopsTheStart() throws Exception {
        Path junk = Files.writeString(dir.resolve("junk.pem"), "not a key");
        assertThatThrownBy(() -> new JwtVerifier(null, junk, null, null, null, SKEW, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("herald.jwt.public-key");
    }

    @Test
    void jwksUrlKeysAreFetchedCachedAndRotated() throws Exception {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
        gen.initialize(2048);
        KeyPair first = gen.generateKeyPair();
        KeyPair second = gen.generateKeyPair();
        AtomicReference<String> published = new AtomicReference<>(new JWKSet(
                new RSAKey.Builder((RSAPublicKey) first.getPublic()).keyID("k1").build()).toString());
        int[] fetches = {0};
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/jwks.json", exchange -> {
            fetches[0]++;
            byte[] body = published.get().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            URI url = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/jwks.json");
            JwtVerifier v = new JwtVerifier(null, null, url, "iss", "aud", SKEW, Duration.ZERO);
            String t1 = sign(new RSASSASigner(first.getPrivate()), JWSAlgorithm.RS256, "k1", claims(later()));
            assertThat(v.verify(t1).subject()).isEqualTo("alice");
            assertThat(v.verify(t1).subject()).isEqualTo("alice");
            assertThat(fetches[0]).as("cached").isEqualTo(1);

            // the issuer rotates to k2: a token naming the new key id makes the verifier fetch again
            published.set(new JWKSet(List.of(
                    new RSAKey.Builder((RSAPublicKey) second.getPublic()).keyID("k2").build())).toString());
            String t2 = sign(new RSASSASigner(second.getPrivate()), JWSAlgorithm.RS256, "k2", claims(later()));
            assertThat(v.verify(t2).subject()).isEqualTo("alice");
            assertThat(fetches[0]).isEqualTo(2);
            String forged = sign(new RSASSASigner(first.getPrivate()), JWSAlgorithm.RS256, "k2", claims(later()));
            assertThatThrownBy(() -> v.verify(forged)).hasMessageContaining("signature");
        } finally {
            server.stop(0);
        }
    }
}
