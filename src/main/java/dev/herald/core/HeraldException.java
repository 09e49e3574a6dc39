package dev.herald.core;

/** A refusal with a contract {@link ErrorCode}; transports turn it into an HTTP error or an error frame. */
public class HeraldException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final ErrorCode code;
    private final int httpStatus;

    public HeraldException(ErrorCode code, String message) {
        this(code, code.httpStatus(), message);
    }

    /** For the rare status that differs from the code's own (415 is {@code bad_request} with its own status). */
    public HeraldException(ErrorCode code, int httpStatus, String message) {
        super(message, null, false, false);
        this.code = code;
        this.httpStatus = httpStatus;
    }

    /** With the failure behind the refusal (an engine's), kept for the log. */
    public HeraldException(ErrorCode code, String message, Throwable cause) {
        super(message, cause, false, false);
        this.code = code;
        this.httpStatus = code.httpStatus();
    }

    public ErrorCode code() {
        return code;
    }

    public int httpStatus() {
        return httpStatus;
    }
}
