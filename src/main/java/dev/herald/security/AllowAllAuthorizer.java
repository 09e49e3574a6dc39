package dev.herald.security;

import jakarta.enterprise.context.ApplicationScoped;

/** Herald's default {@link Authorizer}: every caller may subscribe to and publish on every channel. */
@ApplicationScoped
public class AllowAllAuthorizer implements Authorizer {
    @Override
    public Decision authorize(Caller caller, Action action, String channel) {
        return null;
    }
}
