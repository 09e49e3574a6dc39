/**
 * {@code {ctx}/ws} on Jetty's core WebSocket API, for the standalone runner (issue 17, docs/performance.md): the
 * same {@link dev.herald.transport.ws.WebSocketConnection} as the Jakarta endpoint, under a leaner session (no
 * per-session codec registry, no retained upgrade request) and with each message frame's bytes encoded once per
 * publish and shared by every subscriber. Used only where the runner asks for it (the servlet context attribute
 * {@value dev.herald.transport.ws.jetty.JettyWebSocket#API_ATTRIBUTE}); on every other container Herald serves
 * WebSocket through the Jakarta API, and nothing here is loaded.
 */
package dev.herald.transport.ws.jetty;
