package dev.herald.example;

import dev.herald.security.Action;
import dev.herald.security.Authorizer;
import dev.herald.security.Caller;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Alternative;
import jakarta.interceptor.Interceptor;

/**
 * The application's authorization rules, in place of Herald's allow-all default: anyone may subscribe, but channels
 * {@code internal:*} take publishes from the application's own code only ({@link Caller#SYSTEM}), not from clients.
 */
@ApplicationScoped
@Alternative
@Priority(Interceptor.Priority.APPLICATION)
public class ShopRules implements Authorizer {
    @Override
    public Decision authorize(Caller caller, Action action, String channel) {
        if (action == Action.PUBLISH && channel.startsWith("internal:") && !Caller.SYSTEM.equals(caller)) {
            return Decision.forbidden("internal channels are published by the shop only");
        }
        return null;
    }
}
