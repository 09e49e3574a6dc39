package dev.herald.security;

import dev.herald.core.HeraldConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Clock;

/**
 * Herald's default {@link Authorizer}: a caller may do what its {@link Capabilities} grant (docs/security.md).
 * <ul>
 *   <li>{@link Caller#SYSTEM} (application code) may do everything;</li>
 *   <li>a caller whose token has expired is refused with {@code unauthorized};</li>
 *   <li>a caller without capabilities of its own is anonymous: {@code herald.anonymous} applies, and a refusal is
 *   {@code unauthorized} (authenticate, then try again);</li>
 *   <li>an authenticated caller gets its own capabilities only, and a refusal is {@code forbidden}.</li>
 * </ul>
 * Thread-safe; no I/O.
 */
@ApplicationScoped
public class CapabilityAuthorizer implements Authorizer {
    private Capabilities anonymous;
    private Clock clock;

    /** For CDI's proxies only. */
    protected CapabilityAuthorizer() {
    }

    @Inject
    public CapabilityAuthorizer(HeraldConfig config) {
        this(config.security().anonymous(), Clock.systemUTC());
    }

    public CapabilityAuthorizer(Capabilities anonymous, Clock clock) {
        this.anonymous = anonymous;
        this.clock = clock;
    }

    @Override
    public Decision authorize(Caller caller, Action action, String channel) {
        if (caller == Caller.SYSTEM) {
            return null;
        }
        if (caller.expiredAt(clock.instant())) {
            return Decision.unauthenticated("token expired; authenticate again");
        }
        Capabilities granted = caller.capabilities() == null ? anonymous : caller.capabilities();
        if (granted.allows(action, channel)) {
            return null;
        }
        if (caller.anonymous()) {
            return Decision.unauthenticated("anonymous clients may not " + action.wire() + " on " + channel
                    + "; authenticate first");
        }
        return Decision.forbidden("not allowed to " + action.wire() + " on " + channel);
    }
}
