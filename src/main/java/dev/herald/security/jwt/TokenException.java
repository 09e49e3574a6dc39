package dev.herald.security.jwt;

/** A token was refused. The message is safe to show the client: it never echoes the token or a class name. */
public class TokenException extends Exception {
    private static final long serialVersionUID = 1L;

    public TokenException(String message) {
        super(message, null, false, false);
    }
}
