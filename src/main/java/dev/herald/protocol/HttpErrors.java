package dev.herald.protocol;

import dev.herald.core.ErrorCode;

/** The HTTP error body: {@code {"error":{"code":"…","message":"…"}}}, sent with {@link ErrorCode#httpStatus()}. */
public final class HttpErrors {
    private HttpErrors() {
    }

    public static String body(ErrorCode code, String message) {
        StringBuilder b = new StringBuilder(96).append("{\"error\":{\"code\":");
        JsonText.string(b, code.wire()).append(",\"message\":");
        return JsonText.string(b, message).append("}}").toString();
    }
}
