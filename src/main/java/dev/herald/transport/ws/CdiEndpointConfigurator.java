package dev.herald.transport.ws;

import dev.herald.core.Bus;
import dev.herald.core.ErrorCode;
import dev.herald.core.HeraldException;
import dev.herald.security.Authenticator;
import dev.herald.security.Caller;
import dev.herald.security.Limits;
import dev.herald.transport.Origins;
import dev.herald.transport.UpgradeRequests;
import jakarta.websocket.Extension;
import jakarta.websocket.HandshakeResponse;
import jakarta.websocket.server.HandshakeRequest;
import jakarta.websocket.server.ServerEndpointConfig;
import java.util.List;
import java.util.Map;

/**
 * Creates each endpoint instance with the application's CDI beans, the same on every container (on Tomcat or Jetty
 * with Weld, the container's own endpoint factory does not inject). The instances are plain objects: CDI keeps no
 * reference to them, so a closed connection leaves nothing behind.
 *
 * <p>Also the handshake's security (docs/security.md): {@link #checkOrigin} refuses a browser page of another
 * origin (the container answers 403), and {@link #modifyHandshake} runs the authentication step on the handshake's
 * token ({@code token} query parameter or cookie) or the container's user, and finds the client's address. Both are
 * called by the container on the handshake's thread, once per handshake.
 *
 * <p>And the compression policy: {@link #getNegotiatedExtensions} leaves permessage-deflate (RFC 7692) out of the
 * handshake unless {@code herald.ws.permessage-deflate} is true (docs/performance.md, "Compression").
 */
public class CdiEndpointConfigurator extends ServerEndpointConfig.Configurator {
    private final ConnectionBeans beans = new ConnectionBeans();

    private ConnectionBeans.Services services() {
        return beans.get();
    }

    /**
     * A new {@link WebSocketEndpoint} for each connection, given the application's beans directly: no CDI creation
     * or injection per connection (which cost more than the rest of a handshake in a connection storm).
     *
     * @throws InstantiationException for another endpoint class (Herald registers only its own)
     */
    @Override
    public <T> T getEndpointInstance(Class<T> endpointClass) throws InstantiationException {
        if (endpointClass != WebSocketEndpoint.class) {
            throw new InstantiationException("not Herald's endpoint: " + endpointClass.getName());
        }
        ConnectionBeans.Services s = services();
        return endpointClass.cast(new WebSocketEndpoint(s.bus(), s.authenticator(), s.limits()));
    }

    /**
     * The container's negotiation, without the compression extensions ({@code permessage-deflate} and the older
     * {@code deflate-frame} variants) unless {@code herald.ws.permessage-deflate} is true: a compressed connection
     * keeps a deflater and an inflater (their windows) for its whole life and compresses every message once per
     * subscriber, where Herald otherwise encodes a message once for all of them. Called by the container on the
     * handshake's thread.
     */
    @Override
    public List<Extension> getNegotiatedExtensions(List<Extension> installed, List<Extension> requested) {
        List<Extension> negotiated = super.getNegotiatedExtensions(installed, requested);
        if (services().bus().config().wsPermessageDeflate()) {
            return negotiated;
        }
        return negotiated.stream().filter(e -> !compression(e.getName())).toList();
    }

    /** True for a compression extension's name: {@code permessage-deflate}, {@code x-webkit-deflate-frame}… */
    public static boolean compression(String name) {
        String n = name == null ? "" : name.toLowerCase(java.util.Locale.ROOT);
        return n.contains("deflate") || n.contains("compress");
    }

    /**
     * Allowed: no Origin (not a browser), the server's own origin, or one of {@code herald.allowed-origins}. When the
     * request's Host is not known here (a container that ran no request listener), the same-origin check moves to
     * {@link #modifyHandshake}, and a refused connection is closed with 1008 as soon as it opens.
     */
    @Override
    public boolean checkOrigin(String originHeaderValue) {
        String host = UpgradeRequests.host();
        if (host == null) {
            return true;
        }
        return Origins.allowed(originHeaderValue, host, services().authenticator().settings().allowedOrigins());
    }

    @Override
    public void modifyHandshake(ServerEndpointConfig sec, HandshakeRequest request, HandshakeResponse response) {
        super.modifyHandshake(sec, request, response);
        Authenticator authenticator = services().authenticator();
        Limits limits = services().limits();
        Map<String, List<String>> headers = request.getHeaders();
        String address = limits.clientAddress(UpgradeRequests.peer(), header(headers, "X-Forwarded-For"));
        Handshake handshake;
        String origin = first(headers, "Origin");
        if (UpgradeRequests.host() == null
                && !Origins.allowed(origin, first(headers, "Host"), authenticator.settings().allowedOrigins())) {
            handshake = new Handshake(Caller.refused("ws", address),
                    new HeraldException(ErrorCode.FORBIDDEN, "origin not allowed"), address);
        } else {
            List<String> tokens = request.getParameterMap().get("token");
            handshake = Handshake.of(authenticator, tokens == null || tokens.isEmpty() ? null : tokens.get(0),
                    header(headers, "Cookie"), request.getUserPrincipal(), request::isUserInRole, address);
        }
        sec.getUserProperties().put(Handshake.KEY, handshake);
    }

    /** All values of a header, comma-joined, whatever the case of its name; null when absent. */
    public static String header(Map<String, List<String>> headers, String name) {
        for (Map.Entry<String, List<String>> e : headers.entrySet()) {
            if (e.getKey() != null && e.getKey().equalsIgnoreCase(name) && e.getValue() != null
                    && !e.getValue().isEmpty()) {
                return String.join(",", e.getValue());
            }
        }
        return null;
    }

    private static String first(Map<String, List<String>> headers, String name) {
        for (Map.Entry<String, List<String>> e : headers.entrySet()) {
            if (e.getKey() != null && e.getKey().equalsIgnoreCase(name) && e.getValue() != null
                    && !e.getValue().isEmpty()) {
                return e.getValue().get(0);
            }
        }
        return null;
    }

    /** The value of cookie {@code name} in a Cookie header (RFC 6265, section 5.4), or null. */
    public static String cookie(String header, String name) {
        if (header == null) {
            return null;
        }
        for (String part : header.split("[;,]")) {
            int eq = part.indexOf('=');
            if (eq > 0 && part.substring(0, eq).trim().equals(name)) {
                String v = part.substring(eq + 1).trim();
                if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
                    v = v.substring(1, v.length() - 1);
                }
                return v.isEmpty() ? null : v;
            }
        }
        return null;
    }
}
