package dev.herald.transport.ws;

import dev.herald.core.HeraldException;
import dev.herald.security.Caller;

/**
 * What the handshake established, handed from {@link CdiEndpointConfigurator#modifyHandshake} to the endpoint's
 * {@code @OnOpen} through the session's user properties.
 *
 * @param caller  the caller the handshake's credentials establish; {@link Caller#refused} when they were refused
 * @param refusal why the credentials (or, as a fallback, the origin) were refused, or null
 * @param address the client's address
 */
record Handshake(Caller caller, HeraldException refusal, String address) {
    static final String KEY = "dev.herald.handshake";
}
