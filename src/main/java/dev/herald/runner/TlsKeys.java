package dev.herald.runner;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The key and certificate of the runner's HTTPS port ({@code --tls}), as a {@link KeyStore} for Jetty, from one of:
 * <ul>
 *   <li>a keystore file ({@code --keystore}, PKCS#12 or JKS, with {@code --keystore-password} or the environment
 *   variable {@code HERALD_KEYSTORE_PASSWORD});</li>
 *   <li>PEM files ({@code --cert}: the certificate chain, leaf first; {@code --key}: an unencrypted PKCS#8 private key,
 *   {@code -----BEGIN PRIVATE KEY-----}, RSA or EC);</li>
 *   <li>a self-signed certificate for {@code localhost} and {@code 127.0.0.1}, made with the JDK's {@code keytool} at
 *   the first start into a PKCS#12 file ({@code --self-signed}, default {@code ~/.herald/localhost.p12}) and reused
 *   after: for trying HTTP/2 on one machine, never for a server others reach.</li>
 * </ul>
 * Errors are {@link IllegalArgumentException}s whose message names the option to fix. Called once, at start-up.
 */
public final class TlsKeys {
    /**
     * The password of the self-signed keystore. It protects nothing: the file is a throwaway certificate for local
     * use, and the runner must open it again at every start without asking.
     */
    static final String SELF_SIGNED_PASSWORD = "herald-localhost";
    private static final Pattern PEM = Pattern.compile("-----BEGIN ([A-Z ]+)-----([^-]+)-----END \\1-----");

    private TlsKeys() {
    }

    /** A keystore file and its password. */
    public static KeyStore keystore(Path file, char[] password) {
        if (!Files.isReadable(file)) {
            throw new IllegalArgumentException("--keystore " + file + ": no such readable file");
        }
        for (String type : new String[] {"PKCS12", "JKS"}) {
            try (InputStream in = Files.newInputStream(file)) {
                KeyStore store = KeyStore.getInstance(type);
                store.load(in, password);
                return store;
            } catch (IOException | GeneralSecurityException e) {
                // try the next type; a wrong password fails them all
            }
        }
        throw new IllegalArgumentException("--keystore " + file
                + ": not a PKCS#12 or JKS keystore, or the password (--keystore-password, HERALD_KEYSTORE_PASSWORD) is wrong");
    }

    /** A keystore holding the PEM key and certificate chain, under the alias {@code herald} and {@code password}. */
    public static KeyStore pem(Path cert, Path key, char[] password) {
        try {
            List<Certificate> chain = new ArrayList<>();
            CertificateFactory x509 = CertificateFactory.getInstance("X.509");
            for (byte[] der : blocks(cert, "CERTIFICATE", "--cert")) {
                chain.add(x509.generateCertificate(new ByteArrayInputStream(der)));
            }
            List<byte[]> keys = blocks(key, "PRIVATE KEY", "--key");
            PrivateKey privateKey = privateKey(keys.get(0));
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("herald", privateKey, password, chain.toArray(Certificate[]::new));
            return store;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("--cert/--key: " + e.getMessage(), e);
        }
    }

    /**
     * The self-signed keystore at {@code file}, generated with {@code keytool} first if it does not exist: an EC P-256
     * key, valid 825 days, for {@code CN=localhost} with the names {@code localhost}, {@code 127.0.0.1} and {@code ::1}.
     */
    public static KeyStore selfSigned(Path file) {
        if (!Files.exists(file)) {
            generate(file);
        }
        return keystore(file, SELF_SIGNED_PASSWORD.toCharArray());
    }

    private static void generate(Path file) {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path partial = Files.createTempFile(dir, "herald-", ".p12");
            Files.delete(partial); // keytool creates it
            Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "herald", "-keyalg", "EC",
                    "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA", "-validity", "825",
                    "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1,ip:::1",
                    "-storetype", "PKCS12", "-keystore", partial.toString(), "-storepass", SELF_SIGNED_PASSWORD,
                    "-keypass", SELF_SIGNED_PASSWORD).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalArgumentException("--tls: keytool could not make a self-signed certificate: "
                        + output.strip());
            }
            Files.move(partial, file); // whole or not at all, so that a failed start leaves no broken file behind
            System.out.println("Herald made a self-signed certificate for localhost: " + file.toAbsolutePath());
        } catch (IOException e) {
            throw new IllegalArgumentException("--tls: cannot write the self-signed certificate to " + file + ": "
                    + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static List<byte[]> blocks(Path file, String type, String option) throws IOException {
        if (!Files.isReadable(file)) {
            throw new IllegalArgumentException(option + " " + file + ": no such readable file");
        }
        Matcher m = PEM.matcher(Files.readString(file, StandardCharsets.US_ASCII));
        List<byte[]> out = new ArrayList<>();
        while (m.find()) {
            if (m.group(1).equals(type)) {
                out.add(Base64.getMimeDecoder().decode(m.group(2)));
            } else if (type.equals("PRIVATE KEY") && m.group(1).endsWith("PRIVATE KEY")) {
                throw new IllegalArgumentException(option + " " + file + ": a " + m.group(1)
                        + " block; convert it to PKCS#8: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8");
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(option + " " + file + ": no -----BEGIN " + type + "----- block");
        }
        return out;
    }

    private static PrivateKey privateKey(byte[] pkcs8) throws GeneralSecurityException {
        GeneralSecurityException last = null;
        for (String algorithm : new String[] {"RSA", "EC", "Ed25519"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
            } catch (GeneralSecurityException e) {
                last = e;
            }
        }
        throw new GeneralSecurityException("--key: not an RSA, EC or Ed25519 PKCS#8 key", last);
    }
}
