package dev.herald.peers.spring;

import java.util.concurrent.atomic.AtomicLong;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;
import tools.jackson.databind.JsonNode;

/**
 * {@code POST /publish}: the JSON body (parsed by Spring's Jackson converter, re-encoded once) wrapped in the
 * message frame of the Node {@code ws} peer, sent to every WebSocket and SSE subscriber; answers 201
 * {@code {"offset":N}} after the broadcast loops. Runs on a Tomcat request thread; publishes may run concurrently.
 */
@RestController
public class Publish {
    private final AtomicLong offset = new AtomicLong();
    private final WsBroadcast ws;
    private final SseBroadcast sse;

    public Publish(WsBroadcast ws, SseBroadcast sse) {
        this.ws = ws;
        this.sse = sse;
    }

    @PostMapping(path = "/publish", consumes = "application/json", produces = "application/json")
    public ResponseEntity<String> publish(@RequestBody JsonNode data) {
        long n = offset.incrementAndGet();
        String frame = "{\"type\":\"message\",\"channel\":\"bench\",\"offset\":" + n + ",\"data\":" + data
                + ",\"ts\":" + System.currentTimeMillis() + "}";
        if (ws.size() > 0) {
            ws.broadcast(new TextMessage(frame), n);
        }
        if (sse.size() > 0) {
            sse.broadcast(SseEmitter.event().id(Long.toString(n)).data(frame).build());
        }
        return ResponseEntity.status(HttpStatus.CREATED).body("{\"offset\":" + n + "}");
    }
}
