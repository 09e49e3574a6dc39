package dev.herald.bench;

import java.net.URI;
import java.util.List;

/**
 * A server under load, as the load generator sees it: where subscribers connect, how they subscribe (the
 * {@link Dialect}), and where messages are published (an HTTP POST whose JSON body is the message).
 *
 * @param name      the server's name in reports: {@code herald}, {@code ws}, {@code express-sse}, {@code socket.io},
 *                  {@code spring}, {@code vertx}
 * @param transport {@code ws} or {@code sse}
 * @param dialect   how a subscriber subscribes and where the message sits in what it receives
 * @param subscribe the WebSocket or SSE URL of the one channel
 * @param publish   the URL a message is POSTed to
 */
public record Target(String name, String transport, Dialect dialect, URI subscribe, URI publish) {

    /** How subscribers talk to a server. */
    public enum Dialect {
        /** WebSocket, JSON frames: send {@code {"type":"subscribe","channel":C}}, ready at the {@code subscribed} reply. */
        JSON_WS,
        /** Socket.IO v4 over a plain WebSocket (Engine.IO v4 framing): emit {@code subscribe} with an ack. */
        SOCKET_IO,
        /** Server-Sent Events: ready at the first event that carries an {@code id:} field. */
        SSE
    }

    /** The channel every benchmark publishes to and subscribes to. */
    public static final String CHANNEL = "bench";

    /** The Java peers, each a Maven project in bench/peers-java/NAME building target/NAME-peer.jar. */
    public static final List<String> JAVA_PEERS = List.of("spring", "vertx");

    /** Herald at {@code base} (ending in {@code /}) over {@code ws} or {@code sse}. */
    public static Target herald(URI base, String transport) {
        return herald("herald", base, transport);
    }

    /**
     * Herald named {@code name} in reports: {@code herald}, or {@code herald-jakarta} for the standalone runner with
     * {@code herald.ws.api=jakarta} (its WebSocket on the Jakarta endpoint rather than Jetty's core API).
     */
    public static Target herald(String name, URI base, String transport) {
        URI publish = base.resolve("api/channels/" + CHANNEL + "/messages");
        if (transport.equals("ws")) {
            URI ws = URI.create(base.toString().replaceFirst("^http", "ws")).resolve("ws");
            return new Target(name, "ws", Dialect.JSON_WS, ws, publish);
        }
        return new Target(name, "sse", Dialect.SSE, base.resolve("sse?channel=" + CHANNEL), publish);
    }

    /** A Node peer of bench/peers at {@code base}: {@code ws}, {@code express-sse} or {@code socket.io}. */
    public static Target peer(String name, URI base) {
        URI publish = base.resolve("publish");
        URI ws = URI.create(base.toString().replaceFirst("^http", "ws"));
        return switch (name) {
            case "ws" -> new Target(name, "ws", Dialect.JSON_WS, ws.resolve("ws"), publish);
            case "socket.io" -> new Target(name, "ws", Dialect.SOCKET_IO,
                    ws.resolve("socket.io/?EIO=4&transport=websocket"), publish);
            case "express-sse" -> new Target(name, "sse", Dialect.SSE, base.resolve("sse"), publish);
            default -> throw new IllegalArgumentException("unknown peer " + name);
        };
    }

    /**
     * A Java peer of bench/peers-java at {@code base}: {@code spring} or {@code vertx} over {@code ws} or {@code sse}.
     * Both serve both transports from one process, speaking the Node peers' dialects: {@code /ws} as the {@code ws}
     * peer, {@code /sse} as the {@code express-sse} peer (a first {@code id: 0} event), {@code POST /publish}.
     */
    public static Target javaPeer(String name, String transport, URI base) {
        if (!JAVA_PEERS.contains(name)) {
            throw new IllegalArgumentException("unknown Java peer " + name);
        }
        URI publish = base.resolve("publish");
        return switch (transport) {
            case "ws" -> new Target(name, "ws", Dialect.JSON_WS,
                    URI.create(base.toString().replaceFirst("^http", "ws")).resolve("ws"), publish);
            case "sse" -> new Target(name, "sse", Dialect.SSE, base.resolve("sse"), publish);
            default -> throw new IllegalArgumentException("unknown transport " + transport);
        };
    }

    /** {@code herald/ws}, {@code express-sse/sse}: the label of a series in reports. */
    public String label() {
        return name + "/" + transport;
    }
}
