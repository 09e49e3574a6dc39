package dev.herald.peers.spring;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.handler.ConcurrentWebSocketSessionDecorator;
import org.springframework.web.socket.handler.TextWebSocketHandler;

/**
 * The WebSocket side: a {@link TextWebSocketHandler} keeping the sessions that subscribed, each wrapped in a
 * {@link ConcurrentWebSocketSessionDecorator} (Spring's answer to "a session is not safe for concurrent sends":
 * the publish thread sends while Tomcat's threads may be answering a subscribe). Called by Tomcat's threads for
 * frames and by {@link Publish} (a request thread) for broadcasts.
 */
public class WsBroadcast extends TextWebSocketHandler {
    /** The time a send may block and the bytes it may buffer before the session is closed (slow consumer). */
    private static final int SEND_TIME_LIMIT_MS = 10_000;
    private static final int BUFFER_SIZE_LIMIT = 1 << 20;
    private final Map<String, WebSocketSession> subscribers = new ConcurrentHashMap<>();
    private volatile long offset;

    @Override
    protected void handleTextMessage(WebSocketSession session, TextMessage message) throws IOException {
        // {"type":"subscribe","channel":"bench"}: the one frame a subscriber sends
        String text = message.getPayload();
        if (text.contains("\"type\":\"subscribe\"")) {
            WebSocketSession s = subscribers.computeIfAbsent(session.getId(),
                    id -> new ConcurrentWebSocketSessionDecorator(session, SEND_TIME_LIMIT_MS, BUFFER_SIZE_LIMIT));
            s.sendMessage(new TextMessage("{\"type\":\"subscribed\",\"channel\":\"bench\",\"offset\":" + offset + "}"));
        }
    }

    @Override
    public void afterConnectionClosed(WebSocketSession session, CloseStatus status) {
        subscribers.remove(session.getId());
    }

    @Override
    public void handleTransportError(WebSocketSession session, Throwable exception) {
        subscribers.remove(session.getId());
    }

    /** Sends {@code message} (one {@link TextMessage} for every subscriber) to every subscriber. */
    void broadcast(TextMessage message, long offset) {
        this.offset = offset;
        for (WebSocketSession s : subscribers.values()) {
            try {
                s.sendMessage(message);
            } catch (IOException | RuntimeException e) {
                subscribers.remove(s.getId());
            }
        }
    }

    int size() {
        return subscribers.size();
    }
}
