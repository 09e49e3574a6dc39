/**
 * CDI wiring: the typed configuration and the engine chosen by it. The only package that knows every engine.
 */
package dev.herald.boot;
