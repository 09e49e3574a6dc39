package dev.herald.peers.vertx;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrameType;
import io.vertx.core.http.impl.ws.WebSocketFrameImpl;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.buffer.BufferInternal;
import java.util.ArrayList;
import java.util.List;

/**
 * One verticle instance: its share of the HTTP server and the subscribers that connected through it, all on its
 * event loop (so its lists need no lock). Publishes arrive here too and go to {@link Broadcast}, which hands the
 * encoded message back to every hub's {@link #send}.
 *
 * <p>A text frame whose payload is an existing buffer has no public constructor in Vert.x ({@code textFrame} takes
 * a String and would encode it per subscriber), so {@link #send} builds {@link WebSocketFrameImpl} (vertx-core's own
 * frame class) around a slice of the shared buffer.
 */
final class Hub extends VerticleBase {
    private final Broadcast broadcast;
    private final HttpServerOptions options;
    private final List<ServerWebSocket> webSockets = new ArrayList<>();
    private final List<HttpServerResponse> streams = new ArrayList<>();

    Hub(Broadcast broadcast, HttpServerOptions options) {
        this.broadcast = broadcast;
        this.options = options;
    }

    @Override
    public Future<?> start() {
        HttpServer server = vertx.createHttpServer(options)
                .webSocketHandler(this::webSocket)
                .requestHandler(this::request);
        return server.listen().onSuccess(s -> broadcast.add(this, s.actualPort()));
    }

    private void webSocket(ServerWebSocket ws) {
        if (!ws.path().equals("/ws")) {
            ws.close((short) 1008, "no such endpoint");
            return;
        }
        ws.textMessageHandler(text -> {
            if (text.contains("\"type\":\"subscribe\"") && !webSockets.contains(ws)) {
                webSockets.add(ws);
                broadcast.webSockets.incrementAndGet();
                ws.writeTextMessage("{\"type\":\"subscribed\",\"channel\":\"bench\",\"offset\":" + broadcast.offset()
                        + "}");
            }
        });
        ws.closeHandler(v -> {
            if (webSockets.remove(ws)) {
                broadcast.webSockets.decrementAndGet();
            }
        });
        ws.exceptionHandler(e -> ws.close());
    }

    private void request(HttpServerRequest req) {
        String path = req.path();
        if (path.equals("/publish") && req.method().name().equals("POST")) {
            req.body().onSuccess(body -> {
                String data;
                try {
                    data = io.vertx.core.json.Json.encode(body.toJsonValue()); // parsed, then re-encoded: as ws-server.js
                } catch (RuntimeException e) {
                    req.response().setStatusCode(400).end();
                    return;
                }
                long n = broadcast.publish(data);
                req.response().setStatusCode(201).putHeader("Content-Type", "application/json")
                        .end("{\"offset\":" + n + "}");
            });
        } else if (path.equals("/sse") && req.method().name().equals("GET")) {
            HttpServerResponse res = req.response();
            res.setChunked(true).putHeader("Content-Type", "text/event-stream").putHeader("Cache-Control", "no-cache");
            res.write("id: 0\ndata: \"ready\"\n\n");
            streams.add(res);
            broadcast.streams.incrementAndGet();
            res.closeHandler(v -> {
                if (streams.remove(res)) {
                    broadcast.streams.decrementAndGet();
                }
            });
        } else {
            req.response().setStatusCode(404).end();
        }
    }

    /** Writes the shared buffers (either may be null) to this hub's subscribers, on this hub's event loop. */
    void send(Buffer ws, Buffer sse) {
        if (!((ContextInternal) context).nettyEventLoop().inEventLoop()) {
            context.runOnContext(v -> send(ws, sse));
            return;
        }
        if (ws != null) {
            for (ServerWebSocket s : webSockets) {
                // a slice per write: Netty advances the reader index of what it writes
                s.writeFrame(new WebSocketFrameImpl(WebSocketFrameType.TEXT, ((BufferInternal) ws).getByteBuf(), true));
            }
        }
        if (sse != null) {
            for (HttpServerResponse r : streams) {
                r.write(sse);
            }
        }
    }
}
