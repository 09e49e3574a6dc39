package dev.herald.security;

/**
 * An {@link Authorizer} that allows everything. Not a bean (Herald's default is {@link CapabilityAuthorizer}); for
 * tests of the core and for applications that decide elsewhere.
 */
public class AllowAllAuthorizer implements Authorizer {
    @Override
    public Decision authorize(Caller caller, Action action, String channel) {
        return null;
    }
}
