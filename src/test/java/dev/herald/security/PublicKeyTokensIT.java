package dev.herald.security;

import static org.assertj.core.api.Assertions.assertThat;

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
import dev.herald.browser.StandaloneHerald;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * docs/security.md, "Tokens", on a running server of its own: RS256 tokens with keys from a JWK Set URL (served here,
 * keys rotated during the test) and ES256 tokens with the key of a PEM file. Every key is generated at test time.
 * Not one of the container suite's scenarios: the server needs settings made by this test.
 */
class PublicKeyTokensIT {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static String sign(JWSSigner signer, JWSAlgorithm alg, String kid, String channel) throws Exception {
        JWTClaimsSet claims = new JWTClaimsSet.Builder().subject("svc").issuer("idp").audience("herald")
                .expirationTime(Date.from(Instant.now().plus(Duration.ofMinutes(5))))
                .claim("herald", Map.of(channel, List.of("publish"))).build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(alg).keyID(kid).build(), claims);
        jwt.sign(signer);
        return jwt.serialize();
    }

    private static int publish(URI base, String channel, String token) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(base.resolve("api/messages?channel="
                        + URLEncoder.encode(channel, StandardCharsets.UTF_8)))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.ofString("1")).build(), HttpResponse.BodyHandlers.ofString())
                .statusCode();
    }

    @Test
    void rs256FromARotatingJwkSetAndEs256FromAPemFile() throws Exception {
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        KeyPair k1 = rsa.generateKeyPair();
        KeyPair k2 = rsa.generateKeyPair();
        KeyPairGenerator ecGen = KeyPairGenerator.getInstance("EC");
        ecGen.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair ec = ecGen.generateKeyPair();
        Path pem = Files.createTempFile("herald-test-es256-", ".pem");
        pem.toFile().deleteOnExit();
        Files.writeString(pem, "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder().encodeToString(
                ec.getPublic().getEncoded()) + "\n-----END PUBLIC KEY-----\n");

        AtomicReference<String> jwks = new AtomicReference<>(new JWKSet(
                new RSAKey.Builder((RSAPublicKey) k1.getPublic()).keyID("k1").build()).toString());
        HttpServer idp = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        idp.createContext("/jwks.json", exchange -> {
            byte[] body = jwks.get().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        idp.start();
        try (StandaloneHerald server = StandaloneHerald.onFreePort()) {
            server.start("herald.demo=false", "herald.ticker=false",
                    "herald.jwt.jwks-url=http://127.0.0.1:" + idp.getAddress().getPort() + "/jwks.json",
                    "herald.jwt.public-key=" + pem, "herald.jwt.issuer=idp", "herald.jwt.audience=herald");
            URI base = server.base();
            String channel = "orders:" + Long.toString(System.nanoTime(), 36);

            assertThat(publish(base, channel, sign(new RSASSASigner(k1.getPrivate()), JWSAlgorithm.RS256, "k1",
                    channel))).isEqualTo(201);
            assertThat(publish(base, channel, sign(new ECDSASigner((ECPrivateKey) ec.getPrivate()),
                    JWSAlgorithm.ES256, null, channel))).isEqualTo(201);
            assertThat(publish(base, "other:x", sign(new RSASSASigner(k1.getPrivate()), JWSAlgorithm.RS256, "k1",
                    channel))).isEqualTo(403);
            assertThat(publish(base, channel, sign(new MACSigner(new byte[32]), JWSAlgorithm.HS256, null, channel)))
                    .as("no HS256 secret configured").isEqualTo(401);
            assertThat(publish(base, channel, "x")).as("nobody else").isEqualTo(401);

            // the identity provider rotates to k2: Herald fetches the set again when a token names the new key
            jwks.set(new JWKSet(new RSAKey.Builder((RSAPublicKey) k2.getPublic()).keyID("k2").build()).toString());
            String rotated = sign(new RSASSASigner(k2.getPrivate()), JWSAlgorithm.RS256, "k2", channel);
            Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> publish(base, channel, rotated) == 201);
        } finally {
            idp.stop(0);
        }
    }
}
