package dev.herald.peers.spring;

import java.io.IOException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.ResponseBodyEmitter.DataWithMediaType;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * The SSE side: {@code GET /sse} returns an {@link SseEmitter} (Spring MVC's HTTP streaming), kept until the client
 * goes. The first event, {@code id:0} / {@code data:"ready"}, goes to that client alone (Spring holds it until the
 * response is ready). {@link #broadcast} is called by {@link Publish} on a request thread.
 */
@RestController
public class SseBroadcast {
    private final Set<SseEmitter> subscribers = ConcurrentHashMap.newKeySet();

    @GetMapping(path = "/sse", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    public SseEmitter subscribe() throws IOException {
        SseEmitter emitter = new SseEmitter(0L); // 0: never times out (Servlet AsyncContext.setTimeout)
        emitter.onCompletion(() -> subscribers.remove(emitter));
        emitter.onTimeout(() -> subscribers.remove(emitter));
        emitter.onError(e -> subscribers.remove(emitter));
        emitter.send(SseEmitter.event().id("0").data("\"ready\""));
        subscribers.add(emitter);
        return emitter;
    }

    /** Sends one event, built once by the caller ({@code SseEventBuilder.build()}), to every subscriber. */
    void broadcast(Set<DataWithMediaType> event) {
        for (SseEmitter e : subscribers) {
            try {
                e.send(event);
            } catch (IOException | RuntimeException x) {
                subscribers.remove(e);
                e.completeWithError(x);
            }
        }
    }

    int size() {
        return subscribers.size();
    }
}
