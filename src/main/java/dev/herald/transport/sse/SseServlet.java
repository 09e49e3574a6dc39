package dev.herald.transport.sse;

import dev.herald.core.Bus;
import dev.herald.core.Disconnect;
import dev.herald.core.ErrorCode;
import dev.herald.core.Frame;
import dev.herald.core.HeraldException;
import dev.herald.core.StreamPosition;
import dev.herald.core.Subscriber;
import dev.herald.protocol.ResumeToken;
import dev.herald.protocol.SseEvents;
import dev.herald.security.Action;
import dev.herald.security.Authenticator;
import dev.herald.security.Caller;
import dev.herald.security.Limits;
import dev.herald.transport.Beans;
import dev.herald.transport.HttpAuth;
import dev.herald.transport.HttpIo;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * {@code GET {ctx}/sse?channel=A&channel=B}: one {@code text/event-stream} carrying every channel named
 * (docs/protocol.md, "Server-Sent Events"). Resumes from {@code Last-Event-ID} (or {@code ?lastEventId=}). A bad
 * request is refused with an HTTP error before the stream starts. Sends {@code retry:} once and a heartbeat comment
 * every {@code herald.sse.heartbeat}; a write failure, an async error or a failed heartbeat ends the stream and
 * removes its subscriptions. With {@code ?mode=herald} (section 6.3, asked for by herald.js) envelopes are sent
 * unnamed and the heartbeat is a {@code herald-heartbeat} event, sent once more as soon as the stream is subscribed.
 */
public class SseServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    /**
     * The response buffer of a stream. Containers keep a buffer of this size for as long as the response is open
     * (Jetty's default is 32 KiB, held by every idle stream); events are small and a batch larger than this is
     * written straight through, so a small one costs nothing but memory saved.
     */
    static final int STREAM_BUFFER = 2048;

    private transient Bus bus;
    private transient Authenticator authenticator;
    private transient Limits limits;
    private transient ScheduledExecutorService heartbeat;
    /** Open streams and the heartbeat each one is sent: a comment, or an event in Herald mode. */
    private final transient Map<Subscriber, Frame> streams = new ConcurrentHashMap<>();
    /** Streams whose write failed, until their exchange has ended (SseTransport, "A failed write"). */
    private final transient Set<SseTransport> failed = ConcurrentHashMap.newKeySet();
    /** How long the container is given to end a failed exchange before Herald completes it: one heartbeat. */
    private transient long grace;
    private transient Frame comment;
    private transient Frame heraldHeartbeat;

    @Override
    public void init() {
        bus = Beans.get(Bus.class);
        authenticator = Beans.get(Authenticator.class);
        limits = Beans.get(Limits.class);
        heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "herald-sse-heartbeat");
            t.setDaemon(true);
            return t;
        });
        long every = bus.config().sseHeartbeat().toMillis();
        grace = TimeUnit.MILLISECONDS.toNanos(every);
        comment = new Frame(SseEvents.HEARTBEAT);
        heraldHeartbeat = new Frame(SseEvents.heraldHeartbeat(every));
        heartbeat.scheduleAtFixedRate(this::beat, every, every, TimeUnit.MILLISECONDS);
    }

    @Override
    public void destroy() {
        // the application stops (undeploy): streams end with herald-reconnect first, as on any drain; the Bus may
        // be destroyed after the servlets, so this is the first chance
        bus.drain(bus.config().ops().drainTimeout());
        heartbeat.shutdownNow();
        try {
            heartbeat.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Subscriber s : streams.keySet()) {
            s.close(Disconnect.SHUTDOWN);
        }
        long now = System.nanoTime();
        failed.removeIf(t -> t.endIfAbandoned(now, 0));
    }

    private void beat() {
        long now = System.nanoTime();
        failed.removeIf(t -> t.endIfAbandoned(now, grace));
        streams.forEach((s, frame) -> {
            if (!s.send(frame)) {
                streams.remove(s);
            }
        });
    }

    /** Streams currently open through this servlet. */
    public int streamCount() {
        return streams.size();
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Set<String> channels;
        Map<String, StreamPosition> resume;
        boolean heraldMode;
        Caller caller;
        Limits.Permit permit;
        try {
            caller = HttpAuth.caller(request, "sse", authenticator, limits, true);
            channels = HttpIo.channels(request, authenticator.settings().maxSubscriptions());
            String token = request.getHeader("Last-Event-ID");
            if (token == null || token.isBlank()) {
                token = HttpIo.parameter(request, "lastEventId");
            }
            resume = ResumeToken.parse(token);
            String mode = HttpIo.parameter(request, "mode");
            heraldMode = "herald".equals(mode);
            if (mode != null && !heraldMode) {
                throw new HeraldException(ErrorCode.BAD_REQUEST, "mode must be herald or absent");
            }
            for (String channel : channels) {
                bus.authorize(caller, Action.SUBSCRIBE, channel);
            }
            permit = limits.connection(caller.remoteAddress());
        } catch (HeraldException e) {
            HttpIo.error(response, e);
            return;
        } catch (RuntimeException e) {
            HttpIo.internal(response, e);
            return;
        }

        response.setStatus(200);
        response.setContentType("text/event-stream");
        response.setBufferSize(STREAM_BUFFER);
        response.setHeader("Cache-Control", "no-cache, no-transform");
        response.setHeader("X-Accel-Buffering", "no");
        AsyncContext async = request.startAsync();
        async.setTimeout(0);
        SseTransport transport = new SseTransport(async, response.getOutputStream(), heraldMode);
        Subscriber subscriber = bus.connect(caller, transport);
        Future<?> expiry = caller.expires() == null ? null : authenticator.at(caller.expires(), () -> {
            Frame end = new Frame(SseEvents.heraldError(ErrorCode.UNAUTHORIZED, "token expired"));
            transport.endAfter(end, () -> subscriber.close(Disconnect.UNAUTHORIZED));
            subscriber.send(end);
        });
        Runnable release = () -> {
            permit.close();
            if (expiry != null) {
                expiry.cancel(false);
            }
        };
        transport.onFailure(() -> {
            subscriber.close(Disconnect.ERROR);
            failed.add(transport);
            release.run();
        });
        async.addListener(new Ended(subscriber, transport, release));
        Frame beat = heraldMode ? heraldHeartbeat : comment;
        streams.put(subscriber, beat);
        subscriber.send(new Frame(SseEvents.retry(bus.config().sseRetry().toMillis())));
        response.getOutputStream().setWriteListener(transport);
        try {
            for (String channel : channels) {
                StreamPosition from = resume.get(channel);
                bus.subscribe(subscriber, channel, from == null ? null : from.offset(),
                        from == null ? null : from.epoch(), null);
            }
            if (heraldMode) {
                subscriber.send(beat); // at once: the client sees the stream flows, and its position on each channel
            }
        } catch (HeraldException e) {
            // authorised above; only a changed decision lands here. The stream has started: end it.
            subscriber.close(Disconnect.ERROR);
        }
    }

    /**
     * Removes the stream's subscriptions however it ends, after telling its transport, on the container's thread,
     * that the exchange is over.
     */
    private final class Ended implements AsyncListener {
        private final Subscriber subscriber;
        private final SseTransport transport;
        private final Runnable release;

        Ended(Subscriber subscriber, SseTransport transport, Runnable release) {
            this.subscriber = subscriber;
            this.transport = transport;
            this.release = release;
        }

        @Override
        public void onComplete(AsyncEvent event) {
            end(Disconnect.NORMAL);
        }

        @Override
        public void onTimeout(AsyncEvent event) {
            end(Disconnect.NORMAL);
        }

        @Override
        public void onError(AsyncEvent event) {
            end(Disconnect.ERROR);
        }

        private void end(Disconnect reason) {
            transport.ended();
            failed.remove(transport);
            streams.remove(subscriber);
            subscriber.close(reason);
            release.run();
        }

        @Override
        public void onStartAsync(AsyncEvent event) {
        }
    }
}
