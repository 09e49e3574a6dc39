package dev.herald.transport.http;

import dev.herald.core.Broker;
import dev.herald.core.Bus;
import dev.herald.core.Envelope;
import dev.herald.core.ErrorCode;
import dev.herald.core.HeraldException;
import dev.herald.core.HistoryPage;
import dev.herald.core.Names;
import dev.herald.core.Published;
import dev.herald.core.StrictJson;
import dev.herald.protocol.EnvelopeJson;
import dev.herald.protocol.JsonText;
import dev.herald.security.Authenticator;
import dev.herald.security.Caller;
import dev.herald.security.Limits;
import dev.herald.transport.Beans;
import dev.herald.transport.HttpAuth;
import dev.herald.transport.HttpIo;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;

/**
 * The HTTP API (docs/protocol.md, "HTTP"):
 * <ul>
 *   <li>{@code POST {ctx}/api/channels/{channel}/messages[?event=NAME]}, a JSON body: publishes it; 201 and the
 *   envelope. With an {@code Idempotency-Key} header already used on the channel within
 *   {@code herald.idempotency.window}: nothing is published, and the answer is 201 with the first envelope and
 *   {@code Idempotent-Replayed: true}. With {@code Content-Type: application/octet-stream}, the body's bytes are
 *   published as a binary message (docs/protocol.md, "Binary messages").</li>
 *   <li>{@code GET {ctx}/api/channels/{channel}/messages?since=&limit=}: history after {@code since}.</li>
 *   <li>{@code GET {ctx}/api/channels/{channel}}: the channel's position and its subscribers on this node.</li>
 *   <li>{@code GET {ctx}/api/stats}: connections and active channels on this node, and the engine's memory.</li>
 * </ul>
 * The channel may also be given as a query parameter: {@code {ctx}/api/messages?channel=} and
 * {@code {ctx}/api/channels?channel=} (see {@link Route}).
 */
public class ChannelsServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private static final int DEFAULT_LIMIT = 100;
    /** Most bytes of an oversized body read and thrown away before answering 413. */
    private static final long DRAIN_LIMIT = 64L * 1024 * 1024;
    /** The request header carrying a publish's idempotency key (docs/protocol.md, "Idempotent publish"). */
    public static final String IDEMPOTENCY_KEY = "Idempotency-Key";
    /** The response header set to {@code true} when a publish was a replay. */
    public static final String IDEMPOTENT_REPLAYED = "Idempotent-Replayed";

    private transient Bus bus;
    private transient Authenticator authenticator;
    private transient Limits limits;

    @Override
    public void init() {
        bus = Beans.get(Bus.class);
        authenticator = Beans.get(Authenticator.class);
        limits = Beans.get(Limits.class);
    }

    /** The request's caller: {@code Authorization: Bearer}, or the container's user, or anonymous. */
    private Caller caller(HttpServletRequest request) {
        return HttpAuth.caller(request, "http", authenticator, limits, false);
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        try {
            Route route = Route.of(request);
            if (route.resource() != Resource.MESSAGES) {
                throw notFound();
            }
            String channel = Names.channel(route.channel());
            String event = HttpIo.parameter(request, "event");
            String key = request.getHeader(IDEMPOTENCY_KEY);
            Published p;
            if (octetStream(request)) {
                p = bus.publishBinary(caller(request), channel, event, readBody(request), key);
            } else {
                requireJson(request);
                p = bus.publishOnce(caller(request), channel, event, StrictJson.utf8(readBody(request)), key);
            }
            if (p.replayed()) {
                response.setHeader(IDEMPOTENT_REPLAYED, "true");
            }
            HttpIo.json(response, 201, EnvelopeJson.of(p.envelope()));
        } catch (HeraldException e) {
            discardBody(request);
            HttpIo.error(response, e);
        } catch (RuntimeException e) {
            discardBody(request);
            HttpIo.internal(response, e);
        }
    }

    /**
     * Reads what is left of a refused request's body (up to {@link #DRAIN_LIMIT}) and throws it away, so that the
     * container keeps the connection and the client can read the answer: a refusal answered before the body was read
     * made Jetty close the connection, and a client reusing it saw no answer at all.
     */
    private static void discardBody(HttpServletRequest request) {
        try {
            InputStream in = request.getInputStream();
            long drained = 0;
            byte[] sink = new byte[8192];
            for (int n; drained < DRAIN_LIMIT && (n = in.read(sink)) > 0; ) {
                drained += n;
            }
        } catch (IOException | RuntimeException e) {
            // already read, or the client is gone: nothing to keep
        }
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        try {
            Route route = Route.of(request);
            switch (route.resource()) {
                case STATS -> HttpIo.json(response, 200, stats());
                case MESSAGES -> history(request, response, route.channel());
                case PRESENCE -> presence(request, response, route.channel());
                default -> info(request, response, route.channel());
            }
        } catch (HeraldException e) {
            HttpIo.error(response, e);
        } catch (RuntimeException e) {
            HttpIo.internal(response, e);
        }
    }

    /**
     * {@code {"engine":"memory"|"redis","connections":N,"channels":N,"memory":{"bytes":N,"maxBytes":N,"channels":N,
     * "evictedChannels":N}}}.
     */
    private String stats() {
        Broker.Usage m = bus.memory();
        // herald.engine is memory or redis (HeraldConfig refuses anything else): nothing to escape
        return "{\"engine\":\"" + bus.config().engine() + "\",\"connections\":" + bus.connectionCount()
                + ",\"channels\":" + bus.activeChannelCount()
                + ",\"memory\":{\"bytes\":" + m.bytes() + ",\"maxBytes\":" + m.maxBytes()
                + ",\"channels\":" + m.channels() + ",\"evictedChannels\":" + m.evictedChannels() + "}}";
    }

    private void history(HttpServletRequest request, HttpServletResponse response, String channel) throws IOException {
        long since = HttpIo.number(request, "since", 0);
        long limit = HttpIo.number(request, "limit", DEFAULT_LIMIT);
        HistoryPage page = bus.history(caller(request), channel, since,
                (int) Math.min(limit, Bus.MAX_HISTORY_LIMIT));
        StringBuilder b = position(new StringBuilder(256), page).append(",\"messages\":[");
        for (int i = 0; i < page.messages().size(); i++) {
            b.append(i == 0 ? "" : ",").append(EnvelopeJson.of(page.messages().get(i)));
        }
        HttpIo.json(response, 200, b.append("]}").toString());
    }

    private void info(HttpServletRequest request, HttpServletResponse response, String channel) throws IOException {
        HistoryPage page = bus.position(caller(request), channel);
        StringBuilder b = position(new StringBuilder(128), page);
        HttpIo.json(response, 200, b.append(",\"subscribers\":").append(bus.subscriberCount(channel)).append('}')
                .toString());
    }

    /** {@code {"channel":…,"epoch":…,"earliest":…,"latest":…} without the closing brace. */
    private static StringBuilder position(StringBuilder b, HistoryPage page) {
        b.append("{\"channel\":");
        JsonText.string(b, page.channel()).append(",\"epoch\":");
        JsonText.string(b, page.epoch());
        return b.append(",\"earliest\":").append(page.earliest())
                .append(",\"latest\":").append(page.latest() == 0 ? "null" : Long.toString(page.latest()));
    }

    private enum Resource { MESSAGES, CHANNEL, STATS, PRESENCE }

    /** {@code {"channel":…,"presence":[{"client":…,"user":…,"info":…},…]}} (docs/protocol.md, "Presence"). */
    private void presence(HttpServletRequest request, HttpServletResponse response, String channel)
            throws IOException {
        java.util.List<dev.herald.core.PresenceEntry> entries = bus.presence(caller(request), channel);
        StringBuilder b = new StringBuilder(64 + 96 * entries.size()).append("{\"channel\":");
        JsonText.string(b, channel).append(",\"presence\":");
        dev.herald.protocol.PresenceJson.list(b, entries);
        HttpIo.json(response, 200, b.append('}').toString());
    }

    /**
     * What a request under {@code /api} addresses. The channel travels in the path, as the contract has it
     * ({@code /channels/{channel}/messages}, {@code /channels/{channel}}), or as a {@code channel} query parameter
     * ({@code /messages?channel=}, {@code /channels?channel=}): some containers refuse every path with a {@code :} in
     * it (Payara 7's authorisation layer answers 503), and channel names usually have one.
     */
    private record Route(Resource resource, String channel) {
        static Route of(HttpServletRequest request) {
            String info = request.getPathInfo();
            String[] parts = info == null || info.length() < 2 ? new String[0] : info.substring(1).split("/", -1);
            String query = HttpIo.parameter(request, "channel");
            if (parts.length == 1 && parts[0].equals("stats")) {
                return new Route(Resource.STATS, null);
            } else if (parts.length == 1 && parts[0].equals("messages") && query != null) {
                return new Route(Resource.MESSAGES, query);
            } else if (parts.length == 1 && parts[0].equals("channels") && query != null) {
                return new Route(Resource.CHANNEL, query);
            } else if (parts.length == 1 && parts[0].equals("presence") && query != null) {
                return new Route(Resource.PRESENCE, query);
            } else if (parts.length == 3 && parts[0].equals("channels") && parts[2].equals("presence")) {
                return new Route(Resource.PRESENCE, parts[1]);
            } else if (parts.length == 3 && parts[0].equals("channels") && parts[2].equals("messages")) {
                return new Route(Resource.MESSAGES, parts[1]);
            } else if (parts.length == 2 && parts[0].equals("channels")) {
                return new Route(Resource.CHANNEL, parts[1]);
            }
            throw notFound();
        }
    }

    private static HeraldException notFound() {
        return new HeraldException(ErrorCode.NOT_FOUND, "no such resource; see docs/protocol.md");
    }

    /**
     * {@code application/json} or {@code application/*+json}, in UTF-8: a {@code charset} parameter other than UTF-8
     * is refused with 415 rather than guessed at or decoded into altered text (RFC 8259, section 8.1: JSON exchanged
     * between systems is UTF-8).
     */
    private static void requireJson(HttpServletRequest request) {
        String type = request.getHeader("Content-Type"); // not getContentType(): Jetty throws on an unknown charset
        String[] parts = type == null ? new String[] {""} : type.split(";", -1);
        String media = parts[0].trim().toLowerCase(Locale.ROOT);
        if (!media.equals("application/json") && !media.endsWith("+json")) {
            throw new HeraldException(ErrorCode.BAD_REQUEST, 415,
                    "Content-Type must be application/json (or application/octet-stream for binary data)");
        }
        for (int i = 1; i < parts.length; i++) {
            String[] param = parts[i].split("=", 2);
            if (param[0].trim().equalsIgnoreCase("charset")) {
                String charset = param.length < 2 ? "" : param[1].trim().replace("\"", "");
                if (!charset.equalsIgnoreCase("utf-8") && !charset.equalsIgnoreCase("utf8")) {
                    throw new HeraldException(ErrorCode.BAD_REQUEST, 415,
                            "JSON must be UTF-8 (RFC 8259, section 8.1): charset=utf-8 or none");
                }
            }
        }
    }

    /** True for {@code Content-Type: application/octet-stream}: a binary publish. */
    private static boolean octetStream(HttpServletRequest request) {
        String type = request.getHeader("Content-Type");
        return type != null && type.split(";", 2)[0].trim().equalsIgnoreCase("application/octet-stream");
    }

    /**
     * Reads the body, at most the configured size. A larger body is refused with 413, the rest of it discarded by the
     * caller ({@link #discardBody}) so that the client, still sending, can read the answer. JSON is decoded from UTF-8
     * strictly by the caller and checked by the Bus, as every publish is.
     */
    private byte[] readBody(HttpServletRequest request) throws IOException {
        int max = bus.config().maxMessageBytes();
        byte[] body = request.getInputStream().readNBytes(max + 1);
        if (body.length > max) {
            throw new HeraldException(ErrorCode.TOO_LARGE, "body larger than " + max + " bytes");
        }
        return body;
    }

}
