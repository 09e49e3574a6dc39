package dev.herald.transport;

import dev.herald.core.ErrorCode;
import dev.herald.core.HeraldException;
import dev.herald.core.Names;
import dev.herald.core.StrictJson;
import dev.herald.protocol.HttpErrors;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** What the servlet transports share: JSON answers, contract errors, channel parameters. */
public final class HttpIo {
    private static final System.Logger LOG = System.getLogger(HttpIo.class.getName());
    /** Most channels one SSE stream or long-poll request may carry. */
    public static final int MAX_CHANNELS = 256;
    private HttpIo() {
    }

    /** Completes an async exchange; one the container has ended meanwhile is left as it is. */
    public static void complete(AsyncContext async) {
        try {
            async.complete();
        } catch (IllegalStateException e) {
            // the container ended it meanwhile
        }
    }

    public static void json(HttpServletResponse response, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.setContentType("application/json");
        response.setHeader("Cache-Control", "no-store");
        response.setContentLength(bytes.length);
        response.getOutputStream().write(bytes);
    }

    /**
     * Answers 500 {@code internal} as JSON (never the container's HTML page with a stack trace) and logs the cause,
     * unless the response has already started.
     */
    public static void internal(HttpServletResponse response, RuntimeException e) throws IOException {
        LOG.log(System.Logger.Level.ERROR, "request failed", e);
        if (!response.isCommitted()) {
            response.resetBuffer();
            error(response, 500, ErrorCode.INTERNAL, "internal error");
        }
    }

    public static void error(HttpServletResponse response, HeraldException e) throws IOException {
        error(response, e.httpStatus(), e.code(), e.getMessage());
    }

    public static void error(HttpServletResponse response, int status, ErrorCode code, String message)
            throws IOException {
        json(response, status, HttpErrors.body(code, message));
    }

    /**
     * The values of a query parameter, in order, decoded as UTF-8 from the query string itself. Herald reads the
     * query this way rather than with {@code getParameter}, which some containers decode with the charset of the
     * body's {@code Content-Type} (Payara lost the {@code channel} of a POST declared {@code charset=ISO-8859-1}).
     *
     * @throws HeraldException {@code bad_request} for a malformed percent-escape
     */
    public static List<String> parameters(HttpServletRequest request, String name) {
        String query = request.getQueryString();
        if (query == null || query.isEmpty()) {
            return List.of();
        }
        List<String> values = new ArrayList<>(2);
        try {
            for (String pair : query.split("&")) {
                int eq = pair.indexOf('=');
                String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                if (key.equals(name)) {
                    values.add(eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        } catch (IllegalArgumentException e) {
            throw new HeraldException(ErrorCode.BAD_REQUEST, "malformed query string");
        }
        return values;
    }

    /** The first value of a query parameter (see {@link #parameters}), or null. */
    public static String parameter(HttpServletRequest request, String name) {
        List<String> values = parameters(request, name);
        return values.isEmpty() ? null : values.get(0);
    }

    /**
     * What a streaming request (SSE, long-poll) asks of presence: {@code presence=1} (or {@code true}) for
     * join/leave events, {@code user} and {@code info} (docs/protocol.md, "Presence"); unchecked here.
     *
     * @param listed whether the request's subscriptions are listed in presence
     */
    public static dev.herald.core.PresenceOptions presence(HttpServletRequest request, boolean listed) {
        String p = parameter(request, "presence");
        boolean events = "1".equals(p) || "true".equals(p);
        if (p != null && !events && !"0".equals(p) && !"false".equals(p)) {
            throw new dev.herald.core.HeraldException(dev.herald.core.ErrorCode.BAD_REQUEST,
                    "presence must be 1 or 0");
        }
        return new dev.herald.core.PresenceOptions(events, listed, parameter(request, "user"),
                parameter(request, "info"));
    }

    /**
     * The {@code channel} parameters of a streaming request (SSE, long-poll): at least one, each valid, at most
     * {@value #MAX_CHANNELS}, duplicates dropped, in order. Throws {@code bad_request} or {@code bad_channel}.
     */
    public static Set<String> channels(HttpServletRequest request) {
        return channels(request, MAX_CHANNELS);
    }

    /**
     * As {@link #channels(HttpServletRequest)}, with at most {@code max} channels ({@code herald.limits.subscriptions}):
     * more is {@code rate_limited} (429).
     */
    public static Set<String> channels(HttpServletRequest request, int max) {
        List<String> names = parameters(request, "channel");
        if (names.isEmpty()) {
            throw new HeraldException(ErrorCode.BAD_REQUEST, "name at least one channel: ?channel=NAME");
        }
        Set<String> channels = new LinkedHashSet<>();
        for (String name : names) {
            channels.add(Names.channel(name));
            if (channels.size() > max) {
                break;
            }
        }
        if (channels.size() > max) {
            throw new HeraldException(ErrorCode.RATE_LIMITED, "at most " + max + " channels per request");
        }
        return channels;
    }

    /**
     * Parses an optional integer parameter: decimal digits, 0 to 2^53-1 ({@link StrictJson#safeInteger}).
     *
     * @throws HeraldException {@code bad_request} naming the parameter
     */
    public static long number(HttpServletRequest request, String name, long fallback) {
        String v = parameter(request, name);
        return v == null || v.isEmpty() ? fallback : StrictJson.safeInteger(v, name);
    }
}
