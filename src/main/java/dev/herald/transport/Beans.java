package dev.herald.transport;

import jakarta.enterprise.inject.spi.CDI;

/**
 * Looks up Herald's CDI beans from objects the container creates itself (servlets), which are not injected on every
 * container (a plain servlet container with Weld does not always inject servlets).
 */
public final class Beans {
    private Beans() {
    }

    public static <T> T get(Class<T> type) {
        return CDI.current().select(type).get();
    }
}
