package dev.herald.transport.http;

import dev.herald.core.Bus;
import dev.herald.core.Envelope;
import dev.herald.core.ErrorCode;
import dev.herald.core.HeraldException;
import dev.herald.core.HistoryPage;
import dev.herald.core.Names;
import dev.herald.protocol.EnvelopeJson;
import dev.herald.protocol.JsonText;
import dev.herald.security.Authenticator;
import dev.herald.security.Caller;
import dev.herald.security.Limits;
import dev.herald.transport.Beans;
import dev.herald.transport.HttpAuth;
import dev.herald.transport.HttpIo;
import jakarta.servlet.annotation.WebServlet;
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
 *   envelope.</li>
 *   <li>{@code GET {ctx}/api/channels/{channel}/messages?since=&limit=}: history after {@code since}.</li>
 *   <li>{@code GET {ctx}/api/channels/{channel}}: the channel's position and its subscribers on this node.</li>
 *   <li>{@code GET {ctx}/api/stats}: connections and active channels on this node.</li>
 * </ul>
 * The channel may also be given as a query parameter: {@code {ctx}/api/messages?channel=} and
 * {@code {ctx}/api/channels?channel=} (see {@link Route}).
 */
@WebServlet(urlPatterns = "/api/*")
public class ChannelsServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private static final int DEFAULT_LIMIT = 100;
    /** Most bytes of an oversized body read and thrown away before answering 413. */
    private static final long DRAIN_LIMIT = 64L * 1024 * 1024;

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
            requireJson(request);
            String data = readJson(request);
            Envelope e = bus.publishJson(caller(request), channel, request.getParameter("event"), data);
            HttpIo.json(response, 201, EnvelopeJson.of(e));
        } catch (HeraldException e) {
            HttpIo.error(response, e);
        }
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        try {
            Route route = Route.of(request);
            switch (route.resource()) {
                case STATS -> HttpIo.json(response, 200, "{\"connections\":" + bus.connectionCount()
                        + ",\"channels\":" + bus.activeChannelCount() + "}");
                case MESSAGES -> history(request, response, route.channel());
                default -> info(request, response, route.channel());
            }
        } catch (HeraldException e) {
            HttpIo.error(response, e);
        }
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

    private enum Resource { MESSAGES, CHANNEL, STATS }

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
            String query = request.getParameter("channel");
            if (parts.length == 1 && parts[0].equals("stats")) {
                return new Route(Resource.STATS, null);
            } else if (parts.length == 1 && parts[0].equals("messages") && query != null) {
                return new Route(Resource.MESSAGES, query);
            } else if (parts.length == 1 && parts[0].equals("channels") && query != null) {
                return new Route(Resource.CHANNEL, query);
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

    private static void requireJson(HttpServletRequest request) {
        String type = request.getHeader("Content-Type"); // not getContentType(): Jetty throws on an unknown charset
        String media = type == null ? "" : type.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        if (!media.equals("application/json") && !media.endsWith("+json")) {
            throw new HeraldException(ErrorCode.BAD_REQUEST, 415, "Content-Type must be application/json");
        }
    }

    /**
     * Reads the body (at most the configured size) and returns it as normalised one-line JSON. A larger body is
     * read on and discarded (up to {@link #DRAIN_LIMIT}) so that the client, still sending, can read the 413.
     */
    private String readJson(HttpServletRequest request) throws IOException {
        int max = bus.config().maxMessageBytes();
        byte[] body;
        try (InputStream in = request.getInputStream()) {
            body = in.readNBytes(max + 1);
            if (body.length > max) {
                long drained = 0;
                byte[] sink = new byte[8192];
                for (int n; drained < DRAIN_LIMIT && (n = in.read(sink)) > 0; ) {
                    drained += n;
                }
                throw new HeraldException(ErrorCode.TOO_LARGE, "body larger than " + max + " bytes");
            }
        }
        return JsonText.normalise(body);
    }

}
