package dev.herald.core;

/** An in-process subscription made with {@link Bus#subscribe(String, Long, java.util.function.Consumer)}. */
public interface Subscription extends AutoCloseable {
    /** Stops delivery. Idempotent. */
    @Override
    void close();

    /** False once closed, by {@link #close} or by Herald (for instance because the listener could not keep up). */
    boolean isActive();
}
