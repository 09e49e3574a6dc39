package dev.herald.it;

import org.awaitility.Awaitility;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * A real SSE reader over HTTP/1.1: parses the stream as EventSource does (fields, multi-line data, comments) and
 * keeps every dispatched event, plus the last event id seen (including id-only blocks, as EventSource does).
 */
public final class SseClient implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    /** One dispatched event. {@code id} is the last event id at dispatch time. */
    public record Event(String id, String event, String data) {
        public JsonObject json() {
            return Json.createReader(new StringReader(data)).readObject();
        }
    }

    private final List<Event> events = new CopyOnWriteArrayList<>();
    private final List<String> comments = new CopyOnWriteArrayList<>();
    private volatile String lastEventId = "";
    private volatile String retry;
    private volatile boolean ended;
    private final HttpResponse<InputStream> response;

    private SseClient(HttpResponse<InputStream> response) {
        this.response = response;
    }

    public static SseClient open(String query, Map<String, String> headers) {
        return open(HeraldTarget.http("sse" + query), headers);
    }

    /** Opens the stream at {@code uri} rather than the target's (a Herald mounted elsewhere). */
    public static SseClient open(URI uri, Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).header("Accept", "text/event-stream");
        headers.forEach(request::header);
        try {
            HttpResponse<InputStream> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            SseClient c = new SseClient(response);
            if (response.statusCode() == 200) {
                Thread reader = new Thread(c::read, "sse-test-reader");
                reader.setDaemon(true);
                reader.start();
            }
            return c;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static SseClient open(String query) {
        return open(query, Map.of());
    }

    public int status() {
        return response.statusCode();
    }

    public String contentType() {
        return response.headers().firstValue("Content-Type").orElse("");
    }

    /** The body of a refused request (an HTTP error). */
    public String errorBody() throws IOException {
        try (InputStream in = response.body()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private void read() {
        String id = "";
        String event = "";
        StringBuilder data = null;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isEmpty()) {
                    lastEventId = id;
                    if (data != null) {
                        String d = data.toString();
                        events.add(new Event(id, event.isEmpty() ? "message" : event,
                                d.endsWith("\n") ? d.substring(0, d.length() - 1) : d));
                    }
                    event = "";
                    data = null;
                    continue;
                }
                if (line.startsWith(":")) {
                    comments.add(line);
                    continue;
                }
                int colon = line.indexOf(':');
                String field = colon < 0 ? line : line.substring(0, colon);
                String value = colon < 0 ? "" : line.substring(colon + 1);
                if (value.startsWith(" ")) {
                    value = value.substring(1);
                }
                switch (field) {
                    case "id" -> id = value;
                    case "event" -> event = value;
                    case "retry" -> retry = value;
                    case "data" -> (data == null ? data = new StringBuilder() : data).append(value).append('\n');
                    default -> { }
                }
            }
        } catch (IOException e) {
            // closed
        } finally {
            ended = true;
        }
    }

    public List<Event> events() {
        return List.copyOf(events);
    }

    public List<Event> events(String name) {
        return events.stream().filter(e -> e.event().equals(name)).toList();
    }

    /** Envelopes of a channel received so far. */
    public List<JsonObject> envelopes(String channel) {
        return events.stream().filter(e -> !e.event().startsWith("herald-")).map(Event::json)
                .filter(o -> channel.equals(o.getString("channel"))).toList();
    }

    public List<JsonObject> awaitEnvelopes(String channel, int n) {
        Awaitility.await().atMost(WsClient.WAIT).until(() -> envelopes(channel).size() >= n);
        return envelopes(channel);
    }

    public Event await(Predicate<Event> match) {
        Awaitility.await().atMost(WsClient.WAIT).until(() -> events.stream().anyMatch(match));
        return events.stream().filter(match).findFirst().orElseThrow();
    }

    public String lastEventId() {
        return lastEventId;
    }

    public String retry() {
        return retry;
    }

    public List<String> comments() {
        return List.copyOf(comments);
    }

    public boolean ended() {
        return ended;
    }

    @Override
    public void close() {
        try {
            response.body().close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    public static URI uri(String query) {
        return HeraldTarget.http("sse" + query);
    }
}
