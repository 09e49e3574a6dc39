package dev.herald.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.io.StringReader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import org.awaitility.Awaitility;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http.MetaData;
import org.eclipse.jetty.http2.ErrorCode;
import org.eclipse.jetty.http2.api.Session;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.frames.HeadersFrame;
import org.eclipse.jetty.http2.frames.ResetFrame;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 16: the standalone runner over HTTP/2, where every stream of a browser shares one TCP connection. The runner
 * starts with {@code --tls} and a self-signed certificate it makes itself (h2 and HTTP/1.1 by ALPN on the HTTPS port),
 * and h2c on the plain port. SSE (heartbeats, resume by {@code Last-Event-ID}) and long-polling behave as over
 * HTTP/1.1 (docs/protocol.md sections 6, 6.1, 6.2), with the JDK's {@link HttpClient} and Jetty's {@link HTTP2Client};
 * WebSocket opens on the same HTTPS port by an HTTP/1.1 upgrade (JDK client) and over HTTP/2 itself (RFC 8441, Jetty's
 * client); and a stream reset frees its subscriber at once: 100 SSE streams opened and reset on one HTTP/2
 * connection leave none behind.
 *
 * <p>The class runs a runner of its own (it needs program options), with anonymous publishing open and a 1 s
 * heartbeat; never against a container ({@code herald.test.url}), whose HTTP/2 is the container's configuration.
 */
class Http2IT {
    private static final Pattern PLAIN = Pattern.compile("Herald started at http://localhost:(\\d+)/");
    private static final Pattern SECURE = Pattern.compile("Herald started at https://localhost:(\\d+)/ \\(HTTP/2\\)");
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static Process runner;
    private static URI plain;
    private static URI secure;
    private static SSLContext trust;
    private static HttpClient h2;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(HeraldTarget.embedded(), "starts a runner of its own with --tls");
        Path jar = Path.of(System.getProperty("herald.standalone.jar", "target/herald-standalone.jar"));
        Path dir = Files.createDirectories(jar.resolveSibling("http2-it"));
        Path keystore = dir.resolve("localhost.p12");
        Files.deleteIfExists(keystore); // made by the runner at its first start
        Path log = dir.resolve("herald.log");
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dherald.sse.heartbeat=1s", "-Dherald.poll.timeout=5s", "-Dherald.ticker=false",
                "-Dherald.anonymous={\"*\":[\"*\"]}", "-jar", jar.toString(), "--port", "0", "--host", "127.0.0.1",
                "--tls", "--tls-port", "0", "--self-signed", keystore.toString());
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().keySet().removeIf(name -> name.startsWith("HERALD_"));
        runner = builder.start();
        Instant deadline = Instant.now().plusSeconds(90);
        while (secure == null) {
            assertThat(Instant.now()).as("started within 90 s; see " + log).isBefore(deadline);
            assertThat(runner.isAlive()).as("runner alive; see " + log).isTrue();
            String text = Files.readString(log);
            Matcher p = PLAIN.matcher(text);
            Matcher s = SECURE.matcher(text);
            if (p.find() && s.find()) {
                plain = URI.create("http://127.0.0.1:" + p.group(1) + "/");
                secure = URI.create("https://127.0.0.1:" + s.group(1) + "/");
            } else {
                runner.waitFor(100, TimeUnit.MILLISECONDS);
            }
        }
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            store.load(in, "herald-localhost".toCharArray());
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        trust = SSLContext.getInstance("TLS");
        trust.init(null, tmf.getTrustManagers(), null);
        h2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).sslContext(trust).build();
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (runner != null) {
            runner.destroy();
            if (!runner.waitFor(10, TimeUnit.SECONDS)) {
                runner.destroyForcibly();
            }
        }
    }

    @Test
    void sseOverHttp2SendsHeartbeatsAndMessagesAndResumesExactlyFromLastEventId() throws Exception {
        String channel = Http.channel("h2sse");
        SseLines stream = SseLines.open(secure.resolve("sse?channel=" + channel), null);
        assertThat(stream.version).isEqualTo(HttpClient.Version.HTTP_2);
        stream.await(":", "a heartbeat comment");
        for (int i = 1; i <= 3; i++) {
            assertThat(publish(channel, i)).isEqualTo(i);
        }
        String lastId = null;
        for (int i = 1; i <= 3; i++) {
            lastId = stream.awaitMessage(i);
        }
        stream.close();

        publish(channel, 4);
        publish(channel, 5);
        SseLines resumed = SseLines.open(secure.resolve("sse?channel=" + channel), lastId);
        assertThat(resumed.awaitMessage(4)).isNotNull();
        assertThat(resumed.awaitMessage(5)).isNotNull();
        resumed.await(":", "a heartbeat after the missed messages");
        assertThat(resumed.offsets()).as("exactly what was missed, once").containsExactly(4L, 5L);
        resumed.close();
    }

    @Test
    void aLongPollOverHttp2IsHeldUntilAMessageAndAnswersWithIt() throws Exception {
        String channel = Http.channel("h2poll");
        HttpResponse<String> first = h2.send(HttpRequest.newBuilder(secure.resolve("poll?channel=" + channel)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(first.version()).isEqualTo(HttpClient.Version.HTTP_2);
        String cursor = json(first.body()).getString("cursor");
        CompletableFuture<HttpResponse<String>> held = h2.sendAsync(HttpRequest.newBuilder(
                secure.resolve("poll?channel=" + channel + "&since=" + enc(cursor))).build(),
                HttpResponse.BodyHandlers.ofString());
        Awaitility.await("the poll held as a subscriber").atMost(WAIT).until(() -> subscribers(channel) == 1);
        assertThat(held).isNotDone();
        publish(channel, 1);
        HttpResponse<String> answer = held.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(answer.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(json(answer.body()).getJsonArray("messages").getJsonObject(0).getInt("offset")).isEqualTo(1);
    }

    @Test
    void aWebSocketUpgradesOverHttp11OnTheSamePortThatServesHttp2() throws Exception {
        String channel = Http.channel("h2ws");
        BlockingQueue<String> frames = new LinkedBlockingQueue<>();
        WebSocket ws = HttpClient.newBuilder().sslContext(trust).build().newWebSocketBuilder()
                .buildAsync(URI.create(secure.toString().replaceFirst("^https", "wss")).resolve("ws"), new WebSocket.Listener() {
                    private final StringBuilder text = new StringBuilder();

                    @Override
                    public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
                        text.append(data);
                        if (last) {
                            frames.add(text.toString());
                            text.setLength(0);
                        }
                        socket.request(1);
                        return null;
                    }
                }).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        ws.sendText("{\"type\":\"subscribe\",\"channel\":\"" + channel + "\",\"ref\":\"s\"}", true);
        assertThat(frames.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).contains("\"type\":\"subscribed\"");
        publish(channel, 1);
        assertThat(frames.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).contains("\"type\":\"message\"").contains("\"offset\":1");
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    @Test
    void aWebSocketOpensOverHttp2ItselfByRfc8441WithJettysClient() throws Exception {
        String channel = Http.channel("h2rfc8441");
        SslContextFactory.Client tls = new SslContextFactory.Client();
        tls.setSslContext(trust);
        org.eclipse.jetty.client.HttpClient http = new org.eclipse.jetty.client.HttpClient(
                new org.eclipse.jetty.http2.client.transport.HttpClientTransportOverHTTP2(new HTTP2Client()));
        http.setSslContextFactory(tls);
        org.eclipse.jetty.websocket.client.WebSocketClient client = new org.eclipse.jetty.websocket.client.WebSocketClient(http);
        JettyWsRecorder recorder = new JettyWsRecorder();
        BlockingQueue<String> frames = recorder.frames;
        try {
            http.start();
            client.start();
            org.eclipse.jetty.websocket.api.Session ws = client.connect(recorder, URI.create(secure.toString().replaceFirst("^https", "wss")).resolve("ws"))
                    .get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(ws.getUpgradeRequest().getHttpVersion()).as("extended CONNECT on an HTTP/2 stream").contains("2");
            ws.sendText("{\"type\":\"subscribe\",\"channel\":\"" + channel + "\",\"ref\":\"s\"}",
                    org.eclipse.jetty.websocket.api.Callback.NOOP);
            assertThat(frames.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).contains("\"type\":\"subscribed\"");
            publish(channel, 1);
            assertThat(frames.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).contains("\"type\":\"message\"")
                    .contains("\"offset\":1");
            ws.close();
        } finally {
            client.stop();
            http.stop();
        }
    }

    @Test
    void thePlainPortSpeaksH2cToJettysHttp2ClientForSseAndLongPollingAndByUpgradeToTheJdkClient() throws Exception {
        HttpResponse<String> upgraded = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build()
                .send(HttpRequest.newBuilder(plain.resolve("api/stats")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(upgraded.statusCode()).isEqualTo(200);
        assertThat(upgraded.version()).isEqualTo(HttpClient.Version.HTTP_2);

        String channel = Http.channel("h2c");
        try (HTTP2Client client = new HTTP2Client()) {
            client.start();
            Session session = client.connect(new InetSocketAddress("127.0.0.1", plain.getPort()), new Session.Listener() { })
                    .get(WAIT.toSeconds(), TimeUnit.SECONDS);
            StreamRecorder sse = StreamRecorder.open(session, plain.resolve("sse?channel=" + channel));
            assertThat(sse.status.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(200);
            Awaitility.await("subscribed").atMost(WAIT).until(() -> subscribers(channel) == 1);
            publish(channel, 1);
            Awaitility.await("the message over h2c").atMost(WAIT).until(() -> sse.text().contains("\"offset\":1"));

            // long-polling on the same connection: a position first, then a poll held until the next message
            StreamRecorder position = StreamRecorder.open(session, plain.resolve("poll?channel=" + channel));
            assertThat(position.status.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(200);
            Awaitility.await("the poll's answer").atMost(WAIT).until(() -> position.text().endsWith("}"));
            String cursor = json(position.text()).getString("cursor");
            StreamRecorder held = StreamRecorder.open(session, plain.resolve("poll?channel=" + channel + "&since=" + enc(cursor)));
            Awaitility.await("the poll held as a subscriber beside the stream").atMost(WAIT)
                    .until(() -> subscribers(channel) == 2);
            publish(channel, 2);
            Awaitility.await("the held poll answers with the message").atMost(WAIT)
                    .until(() -> held.text().contains("\"offset\":2"));
            assertThat(held.status.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(200);
            assertThat(sse.text()).contains("\"offset\":2");
        }
    }

    @Test
    void aHundredSseStreamsOpenedAndResetOnOneHttp2ConnectionLeaveNoSubscriberBehind() throws Exception {
        String channel = Http.channel("h2reset");
        SslContextFactory.Client tls = new SslContextFactory.Client();
        tls.setSslContext(trust);
        try (HTTP2Client client = new HTTP2Client()) {
            client.addBean(tls); // started and stopped with the client
            client.start();
            CompletableFuture<String> goAway = new CompletableFuture<>();
            Session session = client.connect(tls, new InetSocketAddress("127.0.0.1", secure.getPort()),
                    new Session.Listener() {
                        @Override
                        public void onGoAway(Session s, org.eclipse.jetty.http2.frames.GoAwayFrame frame) {
                            goAway.complete(frame.toString());
                        }
                    }).get(WAIT.toSeconds(), TimeUnit.SECONDS);
            List<StreamRecorder> streams = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                streams.add(StreamRecorder.open(session, secure.resolve("sse?channel=" + channel)));
            }
            for (StreamRecorder s : streams) {
                assertThat(s.status.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(200);
            }
            Awaitility.await("100 subscribers").atMost(WAIT).until(() -> subscribers(channel) == 100);
            publish(channel, 1);
            Awaitility.await("every stream carries the message").atMost(WAIT)
                    .until(() -> streams.stream().allMatch(s -> s.text().contains("\"offset\":1")));

            // one reset at a time, each awaited until its subscriber is gone: a reset frees its subscriber by itself,
            // not at the next heartbeat nor with the connection (the server's rapid-reset guard would close a
            // connection that resets a hundred streams within a second, and rightly so)
            for (int i = 0; i < streams.size(); i++) {
                org.eclipse.jetty.http2.api.Stream stream = streams.get(i).stream.get();
                stream.reset(new ResetFrame(stream.getId(), ErrorCode.CANCEL_STREAM_ERROR.code))
                        .get(WAIT.toSeconds(), TimeUnit.SECONDS);
                int left = streams.size() - i - 1;
                Awaitility.await(left + " subscribers left").atMost(WAIT).until(() -> subscribers(channel) == left);
            }
            assertThat(goAway).as("no GOAWAY").isNotDone();
            assertThat(session.isClosed()).as("the connection outlives its streams").isFalse();
            StreamRecorder after = StreamRecorder.open(session, secure.resolve("api/stats"));
            assertThat(after.status.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(200);
        }
    }

    // ---- helpers ----

    private static int publish(String channel, int n) throws Exception {
        HttpResponse<String> r = h2.send(HttpRequest.newBuilder(secure.resolve("api/messages?channel=" + enc(channel)))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"n\":" + n + "}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
        return json(r.body()).getInt("offset");
    }

    private static int subscribers(String channel) throws Exception {
        HttpResponse<String> r = h2.send(HttpRequest.newBuilder(secure.resolve("api/channels?channel=" + enc(channel)))
                .build(), HttpResponse.BodyHandlers.ofString());
        return json(r.body()).getInt("subscribers");
    }

    private static JsonObject json(String body) {
        return Json.createReader(new StringReader(body)).readObject();
    }

    private static String enc(String s) {
        return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** An SSE stream read line by line over the JDK client's HTTP/2, on a thread of its own. */
    private static final class SseLines implements AutoCloseable {
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final List<Long> offsets = new CopyOnWriteArrayList<>();
        HttpClient.Version version;
        private Stream<String> body;

        static SseLines open(URI url, String lastEventId) throws Exception {
            HttpRequest.Builder request = HttpRequest.newBuilder(url).header("Accept", "text/event-stream");
            if (lastEventId != null) {
                request.header("Last-Event-ID", lastEventId);
            }
            HttpResponse<Stream<String>> r = h2.send(request.build(), HttpResponse.BodyHandlers.ofLines());
            assertThat(r.statusCode()).isEqualTo(200);
            SseLines sse = new SseLines();
            sse.version = r.version();
            sse.body = r.body();
            Thread reader = new Thread(() -> {
                try {
                    sse.body.forEach(sse.lines::add);
                } catch (RuntimeException e) {
                    // closed by the test
                }
            }, "sse-lines");
            reader.setDaemon(true);
            reader.start();
            return sse;
        }

        /** Waits for a line starting with {@code prefix}, skipping the others (messages are recorded). */
        String await(String prefix, String what) throws InterruptedException {
            Instant deadline = Instant.now().plus(WAIT);
            while (Instant.now().isBefore(deadline)) {
                String line = lines.poll(1, TimeUnit.SECONDS);
                if (line != null) {
                    record(line);
                    if (line.startsWith(prefix)) {
                        return line;
                    }
                }
            }
            throw new AssertionError("no " + what + " within " + WAIT);
        }

        private String id;

        private void record(String line) {
            if (line.startsWith("id:")) {
                id = line.substring(3).strip();
            } else if (line.startsWith("data:")) {
                offsets.add(json(line.substring(5).strip()).getJsonNumber("offset").longValue());
            }
        }

        /** Waits for the message at {@code offset} and returns the stream's event id after it. */
        String awaitMessage(long offset) throws InterruptedException {
            while (!offsets.contains(offset)) {
                await("data:", "message " + offset);
            }
            return id;
        }

        List<Long> offsets() {
            return List.copyOf(offsets);
        }

        @Override
        public void close() {
            body.close();
        }
    }

    /** One stream of Jetty's HTTP/2 client: its status, and the text of its DATA frames. */
    private static final class StreamRecorder implements org.eclipse.jetty.http2.api.Stream.Listener {
        final CompletableFuture<Integer> status = new CompletableFuture<>();
        final CompletableFuture<org.eclipse.jetty.http2.api.Stream> stream = new CompletableFuture<>();
        private final StringBuffer text = new StringBuffer();

        static StreamRecorder open(Session session, URI url) {
            StreamRecorder recorder = new StreamRecorder();
            MetaData.Request request = new MetaData.Request("GET", HttpURI.from(url.toString()), HttpVersion.HTTP_2,
                    HttpFields.build().add("Accept", "text/event-stream"));
            session.newStream(new HeadersFrame(request, null, true), recorder).whenComplete((s, failure) -> {
                if (failure != null) {
                    recorder.stream.completeExceptionally(failure);
                    recorder.status.completeExceptionally(failure);
                } else {
                    recorder.stream.complete(s);
                }
            });
            return recorder;
        }

        String text() {
            return text.toString();
        }

        @Override
        public void onHeaders(org.eclipse.jetty.http2.api.Stream s, HeadersFrame frame) {
            if (frame.getMetaData() instanceof MetaData.Response response) {
                status.complete(response.getStatus());
            }
            s.demand();
        }

        @Override
        public void onDataAvailable(org.eclipse.jetty.http2.api.Stream s) {
            org.eclipse.jetty.http2.api.Stream.Data data = s.readData();
            if (data != null) {
                ByteBuffer buffer = data.frame().getByteBuffer();
                text.append(StandardCharsets.UTF_8.decode(buffer.slice()));
                data.release();
                if (data.frame().isEndStream()) {
                    return;
                }
            }
            s.demand();
        }
    }
}
