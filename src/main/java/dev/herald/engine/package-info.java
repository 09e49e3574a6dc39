/**
 * Implementations of the {@link dev.herald.core.Broker} SPI, one sub-package per technology:
 * {@code memory} for a single node. Engines depend on {@code dev.herald.core}, never on a transport.
 */
package dev.herald.engine;
