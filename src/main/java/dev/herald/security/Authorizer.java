package dev.herald.security;

/**
 * Decides whether a caller may subscribe to a channel, publish on it, read its history or see its presence.
 *
 * <p>Called by the {@code Bus} once per subscribe, history request, channel-info request and publish, on the caller's
 * thread (a container request or WebSocket thread, or the application's own thread for in-process publishes), and
 * again for each subscription when a WebSocket re-authenticates. Must be fast and thread-safe; it must not block on
 * I/O on the publish path if throughput matters.
 *
 * <p>Herald's default, {@link CapabilityAuthorizer}, grants what the caller's capabilities grant (a token's
 * {@code herald} claim, the role mapping, or {@code herald.anonymous}); see docs/security.md. To plug in your own
 * rules, declare a CDI bean implementing this interface as an alternative that wins:
 * <pre>{@code
 * @ApplicationScoped @Alternative @Priority(Interceptor.Priority.APPLICATION)
 * public class MyRules implements Authorizer { ... }
 * }</pre>
 */
public interface Authorizer {

    /**
     * Returns null to allow, or the reason for refusing. A refusal reaches the client as the {@code forbidden}
     * error (or {@code unauthorized} when {@link Decision#unauthenticated} is used).
     */
    Decision authorize(Caller caller, Action action, String channel);

    /** A refusal. {@code authenticate} true means "log in first" (401), false means "not allowed" (403). */
    record Decision(boolean authenticate, String reason) {
        public static Decision forbidden(String reason) {
            return new Decision(false, reason);
        }

        public static Decision unauthenticated(String reason) {
            return new Decision(true, reason);
        }
    }
}
