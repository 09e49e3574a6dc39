package dev.herald.it;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.IOException;
import java.io.StringReader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** Plain HTTP calls to Herald's API with the JDK client. */
public final class Http {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private Http() {
    }

    public static HttpResponse<String> post(String path, String contentType, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(HeraldTarget.http(path))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return send(b.build());
    }

    /** Posts raw bytes, for bodies that are not UTF-8. */
    public static HttpResponse<String> post(String path, String contentType, byte[] body) {
        return send(HttpRequest.newBuilder(HeraldTarget.http(path)).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
    }

    /**
     * Publishes JSON on a channel and returns the envelope (asserting 201). Uses the query form of the API
     * ({@code api/messages?channel=}), which works on every container; the path form is tested on its own.
     */
    public static JsonObject publish(String channel, String json) {
        return publish(channel, null, json);
    }

    /** Publishes with an event name (null for none); see {@link #publish(String, String)}. */
    public static JsonObject publish(String channel, String event, String json) {
        String query = "api/messages?channel=" + encode(channel) + (event == null ? "" : "&event=" + encode(event));
        HttpResponse<String> r = post(query, "application/json", json);
        if (r.statusCode() != 201) {
            throw new AssertionError("publish answered " + r.statusCode() + ": " + r.body());
        }
        return json(r);
    }

    public static HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(HeraldTarget.http(path)).GET().build());
    }

    public static JsonObject json(HttpResponse<String> r) {
        return Json.createReader(new StringReader(r.body())).readObject();
    }

    /** The channel's position and subscribers, from {@code GET api/channels?channel=}. */
    public static JsonObject info(String channel) {
        return json(get("api/channels?channel=" + encode(channel)));
    }

    /**
     * The subscribers of a channel on this server: the sum over its nodes ({@link HeraldTarget#nodes()}), each asked
     * directly, since {@code subscribers} counts one node's subscriptions (docs/protocol.md, section 4) and a
     * balancer would send the question to any one of them.
     */
    public static int subscribers(String channel) {
        int sum = 0;
        for (java.net.URI node : HeraldTarget.nodes()) {
            HttpResponse<String> r = send(HttpRequest.newBuilder(node.resolve("api/channels?channel=" + encode(channel)))
                    .GET().build());
            sum += json(r).getInt("subscribers");
        }
        return sum;
    }

    /** {@code s} as a query parameter value (UTF-8, form encoding). */
    public static String encode(String s) {
        return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
    }

    public static HttpResponse<String> send(HttpRequest request) {
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A channel name no other test uses. */
    public static String channel(String prefix) {
        return prefix + ":" + Long.toString(System.nanoTime(), 36);
    }
}
