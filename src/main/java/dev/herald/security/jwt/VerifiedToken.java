package dev.herald.security.jwt;

import java.time.Instant;

/**
 * What a verified token says.
 *
 * @param subject    its {@code sub} (RFC 7519, section 4.1.2): the caller's identity
 * @param capability its {@code herald} claim as parsed JSON (a {@code Map} of pattern to a {@code List} of action
 *                   names), or null when the token has none
 * @param expires    its {@code exp}
 */
public record VerifiedToken(String subject, Object capability, Instant expires) {
}
