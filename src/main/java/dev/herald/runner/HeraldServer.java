package dev.herald.runner;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyStore;
import org.eclipse.jetty.ee10.annotations.AnnotationConfiguration;
import org.eclipse.jetty.ee10.servlet.ErrorPageErrorHandler;
import org.eclipse.jetty.ee10.plus.webapp.EnvConfiguration;
import org.eclipse.jetty.ee10.plus.webapp.PlusConfiguration;
import org.eclipse.jetty.ee10.webapp.WebAppContext;
import org.eclipse.jetty.ee10.websocket.jakarta.server.config.JakartaWebSocketConfiguration;
import org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import dev.herald.transport.ws.WebSocketBatching;

/**
 * The standalone runner: embedded Jetty 12 serving {@code herald-servlet.war} (Herald with Weld and Yasson inside)
 * at context {@code /}. Packaged as {@code target/herald-standalone.jar}, with the WAR inside it.
 *
 * <pre>
 * java -jar herald-standalone.jar [--port N] [--host ADDRESS] [--war PATH] [--ops-port N [--ops-host ADDRESS]]
 *     [--tls [--tls-port N] [--keystore PATH [--keystore-password PW] | --cert PEM --key PEM | --self-signed PATH]]
 * </pre>
 * The port comes from {@code --port}, else the {@code PORT} environment variable, else 8080 ({@code 0} picks a free
 * one). It speaks HTTP/1.1 and HTTP/2 without TLS ({@code h2c}: prior knowledge, or an {@code Upgrade: h2c}). Prints
 * {@code Herald started at http://localhost:PORT/} once it serves.
 *
 * <p>{@code --tls} adds an HTTPS port ({@code --tls-port}, default 8443, {@code 0} a free one) that offers HTTP/2 and
 * HTTP/1.1 by ALPN (a WebSocket opens over HTTP/2 by RFC 8441, or by an HTTP/1.1 upgrade), with the key of {@link TlsKeys}: a keystore, PEM files,
 * or a self-signed certificate for localhost made at the first start. Then it also prints
 * {@code Herald started at https://localhost:PORT/ (HTTP/2)}. Over HTTP/2 every SSE stream and long-poll of a browser
 * shares one TCP connection, so the browser's six-connections-per-host limit of HTTP/1.1 no longer applies
 * (docs/client.md, "Many tabs, one connection").
 *
 * <p>{@code --ops-port} (or the setting {@code herald.ops.port}, {@code HERALD_OPS_PORT}) adds a port (on
 * {@code --ops-host}, default 127.0.0.1) where {@code /metrics} and {@code /admin/} answer every client (README,
 * "Operate"): keep it off the public network. On SIGTERM the application drains before Jetty stops.
 *
 * <p>{@code /ws} is served with Jetty's core WebSocket API unless {@code herald.ws.api} is {@code jakarta}
 * ({@link #webSocketApi}).
 */
public final class HeraldServer {
    private HeraldServer() {
    }

    public static void main(String[] args) throws Exception {
        String env = System.getenv("PORT");
        int port = env == null || env.isBlank() ? 8080 : Integer.parseInt(env.trim());
        String host = null;
        Path war = null;
        boolean tls = false;
        int tlsPort = 8443;
        Path keystore = null;
        Path cert = null;
        Path key = null;
        Path selfSigned = Path.of(System.getProperty("user.home"), ".herald", "localhost.p12");
        String password = System.getenv("HERALD_KEYSTORE_PASSWORD");
        int opsPort = -1;
        String opsHost = "127.0.0.1";
        String opsSetting = System.getProperty("herald.ops.port", System.getenv("HERALD_OPS_PORT"));
        if (opsSetting != null && !opsSetting.isBlank()) {
            opsPort = Integer.parseInt(opsSetting.trim());
        }
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--ops-port" -> opsPort = Integer.parseInt(args[++i]);
                case "--ops-host" -> opsHost = args[++i];
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--host" -> host = args[++i];
                case "--war" -> war = Path.of(args[++i]);
                case "--tls" -> tls = true;
                case "--tls-port" -> tlsPort = Integer.parseInt(args[++i]);
                case "--keystore" -> keystore = Path.of(args[++i]);
                case "--keystore-password" -> password = args[++i];
                case "--cert" -> cert = Path.of(args[++i]);
                case "--key" -> key = Path.of(args[++i]);
                case "--self-signed" -> selfSigned = Path.of(args[++i]);
                case "--help", "-h" -> {
                    System.out.println("usage: java -jar herald-standalone.jar [--port N] [--host ADDRESS] [--war PATH]"
                            + " [--ops-port N [--ops-host ADDRESS]]\n"
                            + "    [--tls [--tls-port N] [--keystore PATH [--keystore-password PW] | --cert PEM --key PEM"
                            + " | --self-signed PATH]]");
                    return;
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (try --help)");
            }
        }
        Server server;
        try {
            Tls https = null;
            if (tls) {
                if ((cert == null) != (key == null)) {
                    throw new IllegalArgumentException("--cert and --key go together");
                }
                char[] pw = (password == null ? "" : password).toCharArray();
                KeyStore keys = keystore != null ? TlsKeys.keystore(keystore, pw)
                        : cert != null ? TlsKeys.pem(cert, key, pw) : TlsKeys.selfSigned(selfSigned);
                https = new Tls(tlsPort, keys, keystore != null || cert != null ? pw
                        : TlsKeys.SELF_SIGNED_PASSWORD.toCharArray());
            } else if (keystore != null || cert != null || key != null) {
                throw new IllegalArgumentException("--keystore, --cert and --key need --tls");
            }
            server = start(host, port, war == null ? bundledWar() : war, https, opsHost, opsPort);
        } catch (Exception e) {
            // a bad setting or an unreachable Redis: say so in one line after the container's own report
            System.err.println("Herald did not start: " + reason(e));
            System.exit(1);
            return;
        }
        int actual = ((ServerConnector) server.getConnectors()[0]).getLocalPort();
        System.out.println("Herald started at http://localhost:" + actual + "/");
        for (var c : server.getConnectors()) {
            if (HTTPS.equals(c.getName())) {
                System.out.println("Herald started at https://localhost:" + ((ServerConnector) c).getLocalPort()
                        + "/ (HTTP/2)");
            } else if (OPS.equals(c.getName())) {
                System.out.println("Herald operations at http://" + opsHost + ":" + ((ServerConnector) c).getLocalPort()
                        + "/metrics and /admin/");
            }
        }
        System.out.flush();
        server.join();
    }

    /** The message of the innermost Herald setting or engine failure in the chain, else of the failure itself. */
    static String reason(Throwable failure) {
        String reason = String.valueOf(failure.getMessage());
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if ((t instanceof IllegalStateException || t instanceof IllegalArgumentException)
                    && t.getMessage() != null && t.getMessage().startsWith("herald.")) {
                reason = t.getMessage();
            }
        }
        return reason.replaceAll("[\\r\\n]+", " ");
    }

    /**
     * The HTTPS port: its number (0: a free one), its key and certificate, and the password of the key entry.
     *
     * @param port     the TCP port, 0 for a free one
     * @param keys     a keystore with one private key entry and its certificate chain
     * @param password the key entry's password
     */
    public record Tls(int port, KeyStore keys, char[] password) {
    }

    /** Starts Jetty with the WAR at {@code /}; {@code host} null listens on every interface. */
    public static Server start(String host, int port, Path war) throws Exception {
        return start(host, port, war, null, null, -1);
    }

    /** The names of the HTTPS and operations connectors. */
    static final String HTTPS = "https";
    static final String OPS = "ops";

    /**
     * Starts Jetty with the WAR at {@code /}: HTTP/1.1 and h2c on {@code port}; with {@code tls}, HTTPS with HTTP/2 and
     * HTTP/1.1 (ALPN) on its port too (the connector named {@value #HTTPS}); with {@code opsPort >= 0} (0: a free one),
     * an operations port on {@code opsHost} (named {@value #OPS}) on which every request may see {@code /metrics} and
     * {@code /admin/}.
     */
    public static Server start(String host, int port, Path war, Tls tls, String opsHost, int opsPort)
            throws Exception {
        Server server = new Server();
        HttpConfiguration http = new HttpConfiguration();
        ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http),
                new HTTP2CServerConnectionFactory(http));
        connector.setHost(host);
        connector.setPort(port);
        server.addConnector(connector);
        if (tls != null) {
            ServerConnector secure = secureConnector(server, host, http, tls);
            secure.setName(HTTPS);
            server.addConnector(secure);
        }
        ServerConnector ops = null;
        if (opsPort >= 0) {
            ops = new ServerConnector(server);
            ops.setName(OPS);
            ops.setHost(opsHost);
            ops.setPort(opsPort);
            server.addConnector(ops);
        }

        WebAppContext app = new WebAppContext();
        app.setContextPath("/");
        app.setWar(war.toAbsolutePath().toString());
        app.addConfiguration(new EnvConfiguration(), new PlusConfiguration(), new AnnotationConfiguration(),
                new JakartaWebSocketConfiguration());
        app.setThrowUnavailableOnStartupException(true);
        // Jetty's own error pages (a 405, a 404 outside Herald's servlets) name the servlet class and, for a 500, show
        // the stack: answers must never (docs/security.md); FuzzIT found the servlet name in a 405 page
        ErrorPageErrorHandler errors = new ErrorPageErrorHandler();
        errors.setShowOrigin(false);
        errors.setShowCauses(false);
        errors.setShowStacks(false);
        errors.setShowMessageInTitle(false);
        app.setErrorHandler(errors);
        org.eclipse.jetty.server.handler.ErrorHandler serverErrors = new org.eclipse.jetty.server.handler.ErrorHandler();
        serverErrors.setShowStacks(false);
        serverErrors.setShowCauses(false);
        serverErrors.setShowMessageInTitle(false);
        serverErrors.setShowOrigin(false);
        app.setAttribute(WebSocketBatching.FLUSH_ATTRIBUTE, JettyFlush.INSTANCE);
        String api = webSocketApi();
        if (JETTY_WS.equals(api)) {
            // {ctx}/ws on Jetty's core WebSocket API (dev.herald.transport.ws.jetty): Herald's own WAR may see the
            // Jetty classes that adapter uses (not Jetty's logging, which the WAR's SLF4J must not bind to)
            app.setAttribute(WS_API, JETTY_WS);
            app.getHiddenClassMatcher().exclude("org.eclipse.jetty.websocket.core.", "org.eclipse.jetty.util.",
                    "org.eclipse.jetty.http.", "org.eclipse.jetty.io.", "org.eclipse.jetty.server.",
                    "org.eclipse.jetty.ee10.servlet.", "org.eclipse.jetty.ee10.websocket.servlet.");
        } else if (!JAKARTA_WS.equals(api)) {
            throw new IllegalArgumentException("herald.ws.api must be " + JETTY_WS + " or " + JAKARTA_WS + ", not "
                    + api);
        }
        if (server.getThreadPool() instanceof org.eclipse.jetty.util.thread.QueuedThreadPool pool) {
            // the container's request threads, for {ctx}/metrics (dev.herald.ops.OpsLifecycle); JDK types only
            app.setAttribute(THREADS, (java.util.function.Supplier<java.util.Map<String, Number>>) () -> java.util.Map.of(
                    "min", pool.getMinThreads(), "max", pool.getMaxThreads(), "current", pool.getThreads(),
                    "busy", pool.getBusyThreads(), "idle", pool.getIdleThreads(), "queue", pool.getQueueSize()));
        }
        server.setHandler(app);
        server.setErrorHandler(serverErrors);
        if (ops != null) {
            ServerConnector opsConnector = ops;
            // the port is known once Jetty has opened it: a supplier, read by dev.herald.ops on each request
            app.setAttribute(OPS_PORT, (java.util.function.IntSupplier) opsConnector::getLocalPort);
        }
        // SIGTERM (or Ctrl-C): drain first (not ready, 503 to newcomers, WebSocket 1012, SSE herald-reconnect,
        // long-polls answered; at most herald.drain.timeout), then stop Jetty. One hook, so the two happen in order
        server.setStopAtShutdown(false);
        server.setStopTimeout(5000);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> drainThenStop(server, app), "herald-shutdown"));
        server.start();
        return server;
    }

    /**
     * The WebSocket API that serves {@code /ws}: the setting {@code herald.ws.api} (a system property, else the
     * environment variable {@code HERALD_WS_API}), {@value #JETTY_WS} (the default: Jetty's core API, leaner per
     * connection and per delivery, docs/performance.md) or {@value #JAKARTA_WS} (the Jakarta endpoint every other
     * container runs).
     */
    static String webSocketApi() {
        String api = System.getProperty("herald.ws.api", System.getenv("HERALD_WS_API"));
        return api == null || api.isBlank() ? JETTY_WS : api.trim();
    }

    /** The servlet context attribute that tells the application which WebSocket API to use (transport.ws.jetty). */
    static final String WS_API = "dev.herald.ws.api";
    static final String JETTY_WS = "jetty";
    static final String JAKARTA_WS = "jakarta";

    /** The context attribute through which the web application offers its drain (dev.herald.ops.OpsLifecycle). */
    static final String DRAIN = "dev.herald.drain";
    /** The context attribute through which the runner offers its thread pool's figures. */
    static final String THREADS = "dev.herald.container.threads";
    /** The context attribute through which the runner names its operations port (an IntSupplier). */
    static final String OPS_PORT = "dev.herald.ops.port";

    /** Drains the application (if it is up and offers a drain), then stops the server. */
    static void drainThenStop(Server server, WebAppContext app) {
        try {
            if (app.isAvailable() && app.getServletContext().getAttribute(DRAIN) instanceof Runnable drain) {
                Thread.currentThread().setContextClassLoader(app.getClassLoader()); // CDI looks there
                drain.run();
            }
        } catch (RuntimeException e) {
            System.err.println("Herald: drain failed: " + e);
        }
        try {
            server.stop();
        } catch (Exception e) {
            System.err.println("Herald: stop failed: " + e);
        }
    }

    /** HTTPS: TLS, then ALPN choosing h2 (preferred) or http/1.1 (the default, for clients without ALPN). */
    private static ServerConnector secureConnector(Server server, String host, HttpConfiguration http, Tls tls) {
        HttpConfiguration https = new HttpConfiguration(http);
        SecureRequestCustomizer secure = new SecureRequestCustomizer();
        secure.setSniHostCheck(false); // a self-signed localhost certificate is reached as 127.0.0.1 too
        https.addCustomizer(secure);
        HttpConnectionFactory h1 = new HttpConnectionFactory(https);
        HTTP2ServerConnectionFactory h2 = new HTTP2ServerConnectionFactory(https);
        ALPNServerConnectionFactory alpn = new ALPNServerConnectionFactory(h2.getProtocol(), h1.getProtocol());
        alpn.setDefaultProtocol(h1.getProtocol());
        SslContextFactory.Server ssl = new SslContextFactory.Server();
        ssl.setKeyStore(tls.keys());
        ssl.setKeyManagerPassword(new String(tls.password()));
        ssl.setKeyStorePassword(new String(tls.password()));
        SslConnectionFactory tlsFactory = new SslConnectionFactory(ssl, alpn.getProtocol());
        ServerConnector connector = new ServerConnector(server, tlsFactory, alpn, h2, h1);
        connector.setHost(host);
        connector.setPort(tls.port());
        return connector;
    }

    private static Path bundledWar() throws IOException {
        try (InputStream in = HeraldServer.class.getResourceAsStream("/herald-servlet.war")) {
            if (in == null) {
                throw new IllegalStateException("herald-servlet.war is not inside this jar; pass --war PATH");
            }
            Path file = Files.createTempFile("herald-", ".war");
            file.toFile().deleteOnExit();
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            return file;
        }
    }
}
