/**
 * The thin edges where connections enter Herald: {@code ws} (a {@code @ServerEndpoint}), {@code sse} (an async
 * servlet streaming {@code text/event-stream}), {@code poll} (long-polling, where proxies buffer streams) and
 * {@code http} (publish and history). Each one decodes, calls
 * {@link dev.herald.core.Bus}, and encodes with {@code dev.herald.protocol}; none depends on another.
 */
package dev.herald.transport;
