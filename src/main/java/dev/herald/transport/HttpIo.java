package dev.herald.transport;

import dev.herald.core.ErrorCode;
import dev.herald.core.HeraldException;
import dev.herald.protocol.HttpErrors;
import dev.herald.security.Caller;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** What the servlet transports share: JSON answers, contract errors, the caller of a request. */
public final class HttpIo {
    private HttpIo() {
    }

    public static Caller caller(HttpServletRequest request, String transport) {
        return new Caller(request.getUserPrincipal(), transport, request.getRemoteAddr());
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
