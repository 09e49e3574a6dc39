/**
 * Herald's wire format in one place, as written in {@code docs/protocol.md}: the envelope's JSON, WebSocket frames,
 * SSE events and resume tokens, and HTTP error bodies. Pure functions of their inputs: nothing here touches a
 * socket, so WebSocket, SSE and HTTP encode the same envelope the same way by construction.
 */
package dev.herald.protocol;
