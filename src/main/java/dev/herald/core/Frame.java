package dev.herald.core;

/**
 * Text that a transport has already encoded for its own wire (a WebSocket reply, an SSE comment) and wants sent
 * in order with the messages of the same connection.
 */
public record Frame(String text) implements Outbound {
}
