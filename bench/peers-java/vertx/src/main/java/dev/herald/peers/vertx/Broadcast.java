package dev.herald.peers.vertx;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the {@link Hub}s share: the list of hubs, the channel's offset, the subscriber counts and the port. A
 * publish is encoded here once (one WebSocket payload, one SSE event) and handed to every hub, which writes the same
 * bytes to each of its subscribers on its own event loop. Thread-safe: called from any event loop.
 */
final class Broadcast {
    private final List<Hub> hubs = new CopyOnWriteArrayList<>();
    private final AtomicLong offset = new AtomicLong();
    final AtomicInteger webSockets = new AtomicInteger();
    final AtomicInteger streams = new AtomicInteger();
    private volatile int port;

    void add(Hub hub, int actualPort) {
        hubs.add(hub);
        port = actualPort;
    }

    int port() {
        return port;
    }

    long offset() {
        return offset.get();
    }

    /** Encodes the message of {@code data} (JSON text) once and hands it to every hub; returns its offset. */
    long publish(String data) {
        long n = offset.incrementAndGet();
        String frame = "{\"type\":\"message\",\"channel\":\"bench\",\"offset\":" + n + ",\"data\":" + data
                + ",\"ts\":" + System.currentTimeMillis() + "}";
        Buffer ws = webSockets.get() > 0 ? Buffer.buffer(frame.getBytes(StandardCharsets.UTF_8)) : null;
        Buffer sse = streams.get() > 0
                ? Buffer.buffer(("id: " + n + "\ndata: " + frame + "\n\n").getBytes(StandardCharsets.UTF_8)) : null;
        if (ws != null || sse != null) {
            for (Hub h : hubs) {
                h.send(ws, sse);
            }
        }
        return n;
    }
}
