package dev.herald.it;

import static org.assertj.core.api.Assertions.assertThat;
import org.awaitility.Awaitility;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.websocket.ClientEndpointConfig;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.MessageHandler;
import jakarta.websocket.Session;
import java.io.IOException;
import java.io.StringReader;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.glassfish.tyrus.client.ClientManager;

/**
 * A real WebSocket client (Tyrus) that captures every frame Herald sends, and how the connection closed. A binary
 * frame (docs/protocol.md, "Binary messages") is captured in order with the others as its JSON header plus
 * {@code "frame":"binary"} and {@code "bytes"}, the bytes after the header in base64.
 */
public final class WsClient implements AutoCloseable {
    public static final Duration WAIT = Duration.ofSeconds(15);

    private final List<JsonObject> frames = new CopyOnWriteArrayList<>();
    private final CountDownLatch closed = new CountDownLatch(1);
    private volatile CloseReason closeReason;
    private Session session;

    /**
     * Connects with a client manager of its own: a Tyrus manager shuts its executors down when its last session
     * closes, and a session opened on a shared manager at that moment is left with a dead idle-timeout executor.
     */
    public static WsClient connect() {
        return connect("", Map.of());
    }

    /**
     * Connects with a query ({@code ?token=…}, or empty) and extra handshake headers ({@code Origin},
     * {@code X-Forwarded-For}, {@code Cookie}).
     *
     * @throws IllegalStateException when the handshake fails; its cause chain holds Tyrus' {@code HandshakeException}
     */
    public static WsClient connect(String query, Map<String, String> headers) {
        return connect(ClientManager.createClient(), URI.create(HeraldTarget.ws() + query), headers);
    }

    /**
     * Connects through {@code manager}: for many connections at once, that are all open before any of them closes
     * (see {@link #connect()} for why a shared manager is otherwise avoided).
     */
    public static WsClient connect(ClientManager manager, Map<String, String> headers) {
        return connect(manager, HeraldTarget.ws(), headers);
    }

    /** Connects to the WebSocket endpoint at {@code uri} rather than the target's (a Herald mounted elsewhere). */
    public static WsClient connect(URI uri) {
        return connect(ClientManager.createClient(), uri, Map.of());
    }

    private static WsClient connect(ClientManager manager, URI uri, Map<String, String> headers) {
        WsClient c = new WsClient();
        ClientEndpointConfig config = ClientEndpointConfig.Builder.create()
                .configurator(new ClientEndpointConfig.Configurator() {
                    @Override
                    public void beforeRequest(Map<String, List<String>> request) {
                        headers.forEach((k, v) -> request.put(k, List.of(v)));
                    }
                }).build();
        try {
            c.session = manager.connectToServer(c.new Capture(), config, uri);
        } catch (Exception e) {
            throw new IllegalStateException("cannot connect to " + uri, e);
        }
        try {
            c.session.setMaxTextMessageBufferSize(8 * 1024 * 1024);
            c.session.setMaxBinaryMessageBufferSize(8 * 1024 * 1024);
        } catch (IllegalStateException closedAlready) {
            // the server closed it at once (e.g. 4029): awaitClose() tells how
        } catch (Exception e) {
            throw new IllegalStateException("cannot connect to " + uri, e);
        }
        return c;
    }

    public void send(String text) {
        if (!session.isOpen()) {
            throw new IllegalStateException("cannot send, the connection is closed: " + closeReason);
        }
        try {
            session.getBasicRemote().sendText(text);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public void sendBinary(byte[] frame) {
        if (!session.isOpen()) {
            throw new IllegalStateException("cannot send, the connection is closed: " + closeReason);
        }
        try {
            session.getBasicRemote().sendBinary(java.nio.ByteBuffer.wrap(frame));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A binary publish frame: {@code header} (JSON), a line feed, then {@code bytes}. */
    public static byte[] binaryFrame(String header, byte[] bytes) {
        byte[] h = (header + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] frame = java.util.Arrays.copyOf(h, h.length + bytes.length);
        System.arraycopy(bytes, 0, frame, h.length, bytes.length);
        return frame;
    }

    /** As {@link #sendExpectingClose(String)}, for a binary frame. */
    public void sendBinaryExpectingClose(byte[] frame) {
        try {
            session.getBasicRemote().sendBinary(java.nio.ByteBuffer.wrap(frame));
        } catch (IOException | RuntimeException e) {
            // the server closed first; awaitClose() tells how
        }
    }

    /**
     * Sends a frame the server is expected to refuse by closing the connection: the server may close while the frame
     * is still being written (it stops reading at its limit), so a failure of the send itself is not an error here.
     * The caller checks {@link #awaitClose()}.
     */
    public void sendExpectingClose(String text) {
        try {
            session.getBasicRemote().sendText(text);
        } catch (IOException | RuntimeException e) {
            // the server closed first; awaitClose() tells how
        }
    }

    /** Sends a subscribe frame and waits for its {@code subscribed} reply. */
    public JsonObject subscribe(String channel, Long since, String ref) {
        send("{\"type\":\"subscribe\",\"channel\":\"" + channel + "\"" + (since == null ? "" : ",\"since\":" + since)
                + ",\"ref\":\"" + ref + "\"}");
        return await(f -> "subscribed".equals(f.getString("type", null)) && ref.equals(f.getString("ref", null)));
    }

    /** Waits for the first frame (received so far or later) that matches. */
    public JsonObject await(Predicate<JsonObject> match) {
        Awaitility.await().atMost(WAIT).until(() -> frames.stream().anyMatch(match));
        return frames.stream().filter(match).findFirst().orElseThrow();
    }

    public JsonObject awaitReply(String ref) {
        return await(f -> ref.equals(f.getString("ref", null)));
    }

    /** Waits until {@code n} message frames of the channel have arrived, and returns them. */
    public List<JsonObject> awaitMessages(String channel, int n) {
        Awaitility.await().atMost(WAIT).until(() -> messages(channel).size() >= n);
        return messages(channel);
    }

    public List<JsonObject> messages(String channel) {
        return frames.stream().filter(f -> "message".equals(f.getString("type", null))
                && channel.equals(f.getString("channel", null))).toList();
    }

    public List<JsonObject> frames() {
        return List.copyOf(frames);
    }

    /** Waits for the server to close the connection, and returns why. */
    public CloseReason awaitClose() throws InterruptedException {
        assertThat(closed.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("connection closed").isTrue();
        return closeReason;
    }

    public boolean isOpen() {
        return session.isOpen();
    }

    @Override
    public void close() {
        try {
            if (session.isOpen()) {
                session.close();
            }
        } catch (IOException e) {
            // closing anyway
        }
    }

    private final class Capture extends Endpoint {
        @Override
        public void onOpen(Session s, EndpointConfig config) {
            s.addMessageHandler(String.class, (MessageHandler.Whole<String>) text ->
                    frames.add(Json.createReader(new StringReader(text)).readObject()));
            s.addMessageHandler(java.nio.ByteBuffer.class, (MessageHandler.Whole<java.nio.ByteBuffer>) this::binary);
        }

        private void binary(java.nio.ByteBuffer buffer) {
            byte[] frame = new byte[buffer.remaining()];
            buffer.get(frame);
            int lf = 0;
            while (lf < frame.length && frame[lf] != '\n') {
                lf++;
            }
            JsonObject header = Json.createReader(new StringReader(
                    new String(frame, 0, lf, java.nio.charset.StandardCharsets.UTF_8))).readObject();
            byte[] bytes = java.util.Arrays.copyOfRange(frame, Math.min(lf + 1, frame.length), frame.length);
            frames.add(Json.createObjectBuilder(header).add("frame", "binary")
                    .add("bytes", java.util.Base64.getEncoder().encodeToString(bytes)).build());
        }

        @Override
        public void onClose(Session s, CloseReason reason) {
            closeReason = reason;
            closed.countDown();
        }
    }
}
