package dev.herald.transport;

import dev.herald.core.ErrorCode;
import dev.herald.core.HeraldException;
import dev.herald.core.Names;
import dev.herald.protocol.HttpErrors;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.Set;

/** What the servlet transports share: JSON answers, contract errors, channel parameters. */
public final class HttpIo {
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

    public static void error(HttpServletResponse response, HeraldException e) throws IOException {
        error(response, e.httpStatus(), e.code(), e.getMessage());
    }

    public static void error(HttpServletResponse response, int status, ErrorCode code, String message)
            throws IOException {
        json(response, status, HttpErrors.body(code, message));
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
        String[] names = request.getParameterValues("channel");
        if (names == null || names.length == 0) {
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

    /** Parses an optional non-negative integer parameter, or throws {@code bad_request}. */
    public static long number(HttpServletRequest request, String name, long fallback) {
        String v = request.getParameter(name);
        if (v == null || v.isEmpty()) {
            return fallback;
        }
        try {
            long n = Long.parseLong(v);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new HeraldException(ErrorCode.BAD_REQUEST, name + " must be a non-negative integer");
    }
}
