package dev.herald.core;

import java.util.regex.Pattern;

/**
 * Validation of the names that enter Herald from outside: channel names and event names. Checked once, where
 * they enter (the {@link Bus}), so that encoders downstream never see a CR, LF or NUL.
 */
public final class Names {
    private static final Pattern CHANNEL = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}");
    /** Event names the server itself uses on SSE streams; publishers may not take them. */
    public static final String RESERVED_EVENT_PREFIX = "herald-";
    /**
     * Channels reserved for Herald itself ({@code herald:admin}, the admin page's live feed): only application code
     * publishes there, and only callers {@link Bus#systemReaders} lets in read them (docs/protocol.md, section 1).
     */
    public static final String SYSTEM_PREFIX = "herald:";
    public static final String DEFAULT_EVENT = "message";
    public static final int MAX_EVENT_LENGTH = 64;

    private Names() {
    }

    /** True if {@code name} is a valid channel name per the contract. */
    public static boolean isChannel(String name) {
        return name != null && CHANNEL.matcher(name).matches();
    }

    /** Returns {@code name} or throws {@code bad_channel}. */
    public static String channel(String name) {
        if (!isChannel(name)) {
            throw new HeraldException(ErrorCode.BAD_CHANNEL,
                    "channel name must match ^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$");
        }
        return name;
    }

    /**
     * Returns the event name to use ({@code message} when {@code name} is null or empty) or throws
     * {@code bad_request}: 1 to 64 characters, valid Unicode, no control characters (so no CR, LF or NUL), no
     * leading space, and not starting with the reserved prefix {@code herald-}.
     */
    public static String event(String name) {
        if (name == null || name.isEmpty()) {
            return DEFAULT_EVENT;
        }
        if (name.length() > MAX_EVENT_LENGTH) {
            throw new HeraldException(ErrorCode.BAD_REQUEST, "event name longer than " + MAX_EVENT_LENGTH);
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                throw new HeraldException(ErrorCode.BAD_REQUEST, "event name contains a control character");
            }
            if (Character.isSurrogate(c) && !(Character.isHighSurrogate(c) && i + 1 < name.length()
                    && Character.isLowSurrogate(name.charAt(++i)))) {
                throw new HeraldException(ErrorCode.BAD_REQUEST, "event name is not valid Unicode (lone surrogate)");
            }
        }
        if (name.charAt(0) == ' ') {
            throw new HeraldException(ErrorCode.BAD_REQUEST, "event name starts with a space");
        }
        if (name.startsWith(RESERVED_EVENT_PREFIX)) {
            throw new HeraldException(ErrorCode.BAD_REQUEST, "event names starting with 'herald-' are reserved");
        }
        return name;
    }

    /** The longest idempotency key: 128 characters. */
    public static final int MAX_IDEMPOTENCY_KEY_LENGTH = 128;

    /**
     * Checks an idempotency key ({@code Idempotency-Key} header, {@code idempotencyKey} frame member): null or empty
     * for none, else 1 to 128 visible ASCII characters ({@code !} to {@code ~}), as an HTTP header value can carry
     * it unchanged (docs/protocol.md, "Idempotent publish").
     *
     * @return the key, or null for none
     * @throws HeraldException {@code bad_request} for any other key
     */
    public static String idempotencyKey(String key) {
        if (key == null || key.isEmpty()) {
            return null;
        }
        if (key.length() > MAX_IDEMPOTENCY_KEY_LENGTH) {
            throw new HeraldException(ErrorCode.BAD_REQUEST, "idempotency key longer than "
                    + MAX_IDEMPOTENCY_KEY_LENGTH);
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                throw new HeraldException(ErrorCode.BAD_REQUEST,
                        "idempotency key may hold visible ASCII characters only (! to ~)");
            }
        }
        return key;
    }
}
