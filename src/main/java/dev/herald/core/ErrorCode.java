package dev.herald.core;

/**
 * The stable error codes of the wire contract. Every refusal, on every transport, carries one of these;
 * {@link #httpStatus()} is the status an HTTP answer uses for it.
 */
public enum ErrorCode {
    BAD_REQUEST(400),
    BAD_CHANNEL(400),
    UNKNOWN_TYPE(400),
    UNAUTHORIZED(401),
    FORBIDDEN(403),
    NOT_FOUND(404),
    TOO_LARGE(413),
    RATE_LIMITED(429),
    INTERNAL(500),
    /** The engine cannot be reached (the Redis engine: Redis down or too slow); retry later. */
    UNAVAILABLE(503);

    private final int httpStatus;

    ErrorCode(int httpStatus) {
        this.httpStatus = httpStatus;
    }

    /** The code as it appears on the wire, e.g. {@code bad_channel}. */
    public String wire() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public int httpStatus() {
        return httpStatus;
    }
}
