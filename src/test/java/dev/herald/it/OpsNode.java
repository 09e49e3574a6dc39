package dev.herald.it;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.IOException;
import java.io.StringReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Plain HTTP calls to one node of the operations tests ({@link HeraldTarget#startAnother}): publish, the channel's
 * subscribers, {@code metrics}, {@code health/*} and {@code admin/*}, and the Prometheus text format read back into
 * numbers.
 */
final class OpsNode {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\\{[^}]*\\})?) (\\S+)$",
            Pattern.MULTILINE);

    private final URI base;

    OpsNode(URI base) {
        this.base = base;
    }

    URI base() {
        return base;
    }

    URI ws() {
        return URI.create(base.toString().replaceFirst("^http", "ws")).resolve("ws");
    }

    URI sse(String channel) {
        return base.resolve("sse?channel=" + encode(channel));
    }

    HttpResponse<String> get(String path, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).GET();
        if (headers.length > 0) {
            b.headers(headers);
        }
        return send(b.build());
    }

    HttpResponse<String> post(String path, String contentType, String body) {
        return send(HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    /** Publishes over HTTP, asserting 201. */
    JsonObject publish(String channel, String json) {
        HttpResponse<String> r = post("api/messages?channel=" + encode(channel), "application/json", json);
        if (r.statusCode() != 201) {
            throw new AssertionError("publish answered " + r.statusCode() + ": " + r.body());
        }
        return json(r.body());
    }

    int subscribers(String channel) {
        return json(get("api/channels?channel=" + encode(channel)).body()).getInt("subscribers");
    }

    /** {@code GET metrics}, asserting 200. */
    String scrape() {
        HttpResponse<String> r = get("metrics");
        if (r.statusCode() != 200) {
            throw new AssertionError("metrics answered " + r.statusCode() + ": " + r.body());
        }
        return r.body();
    }

    /** Every sample of a scrape: {@code name{labels}} (as written) to its value. */
    static Map<String, Double> samples(String text) {
        Map<String, Double> m = new HashMap<>();
        Matcher matcher = SAMPLE.matcher(text);
        while (matcher.find()) {
            m.put(matcher.group(1), Double.parseDouble(matcher.group(2)));
        }
        return m;
    }

    /** The value of one sample now (0 when absent). */
    double metric(String sample) {
        return samples(scrape()).getOrDefault(sample, 0.0);
    }

    static JsonObject json(String body) {
        return Json.createReader(new StringReader(body)).readObject();
    }

    static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    static java.util.concurrent.CompletableFuture<HttpResponse<String>> sendAsync(HttpRequest request) {
        return HTTP.sendAsync(request, HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> send(HttpRequest request) {
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
