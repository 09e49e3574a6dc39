package dev.herald.peers.vertx;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;

/**
 * The Vert.x peer of Herald's benchmark (bench/run.sh): plain core Vert.x, one {@link Hub} verticle per CPU core
 * sharing one HTTP server (Vert.x's "server sharing": connections are spread round robin over the instances, each on
 * its own event loop), every subscriber served on its own event loop and without locks. A publish is encoded once
 * into one {@code Buffer} that every subscriber's write shares: the "close to the limit" reference for the JVM.
 * It speaks what the load generator speaks to the Node peers (bench/peers):
 * <ul>
 *   <li>{@code WS /ws}: client frame {@code {"type":"subscribe","channel":"bench"}}, answered with
 *       {@code {"type":"subscribed","channel":"bench","offset":N}}; then every message.</li>
 *   <li>{@code GET /sse}: {@code text/event-stream}; first event {@code id: 0} / {@code data: "ready"} to that client
 *       alone, then {@code id: N} / {@code data: MESSAGE} per message.</li>
 *   <li>{@code POST /publish}: a JSON body; sends
 *       {@code {"type":"message","channel":"bench","offset":N,"data":BODY,"ts":MILLIS}} to every WebSocket and SSE
 *       subscriber and answers 201 {@code {"offset":N}} once the broadcast is handed to every event loop.</li>
 * </ul>
 * Command line: {@code java -jar vertx-peer.jar --port 0 --host 127.0.0.1}; prints
 * {@code vertx peer started at http://localhost:PORT/} once it serves.
 */
public final class VertxPeer {

    private VertxPeer() {
    }

    public static void main(String[] args) {
        int port = Integer.parseInt(arg(args, "--port", "8080"));
        String host = arg(args, "--host", "127.0.0.1");
        int instances = Runtime.getRuntime().availableProcessors();
        Vertx vertx = Vertx.vertx();
        // a negative port: every instance shares one random port (Vert.x server sharing); Node's backlog
        HttpServerOptions options = new HttpServerOptions().setHost(host).setPort(port == 0 ? -1 : port)
                .setAcceptBacklog(4096)
                .setPerMessageWebSocketCompressionSupported(false)
                .setPerFrameWebSocketCompressionSupported(false);
        Broadcast broadcast = new Broadcast();
        vertx.deployVerticle(() -> new Hub(broadcast, options), new DeploymentOptions().setInstances(instances))
                .onSuccess(id -> {
                    System.out.println("vertx peer started at http://localhost:" + broadcast.port() + "/");
                    System.out.flush();
                })
                .onFailure(e -> {
                    e.printStackTrace();
                    System.exit(1);
                });
    }

    private static String arg(String[] args, String name, String otherwise) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return otherwise;
    }
}
