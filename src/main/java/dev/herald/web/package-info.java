/**
 * Herald inside a web application: {@link dev.herald.web.HeraldInitializer} (a {@code ServletContainerInitializer})
 * mounts every transport and herald.js under one path of the application's context ({@link dev.herald.web.Mount},
 * {@code herald.path}). The only package that knows every transport; the transports do not know where they are
 * mounted.
 */
package dev.herald.web;
