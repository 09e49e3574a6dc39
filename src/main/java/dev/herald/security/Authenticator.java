package dev.herald.security;

import dev.herald.core.ErrorCode;
import dev.herald.core.HeraldConfig;
import dev.herald.core.HeraldException;
import dev.herald.core.SecuritySettings;
import dev.herald.security.jwt.JwtVerifier;
import dev.herald.security.jwt.TokenException;
import dev.herald.security.jwt.TokenIssuer;
import dev.herald.security.jwt.VerifiedToken;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The authentication step every transport entry runs (WebSocket handshake and {@code auth} frame, SSE request,
 * long-poll, HTTP API): turns the {@link Credentials} found on the request into the {@link Caller} the
 * {@link Authorizer} decides for (docs/security.md, "Authentication").
 * <ol>
 *   <li>A token, if one was presented, must verify ({@link JwtVerifier}); its {@code sub} is the identity and its
 *   {@code herald} claim the capability (none when absent). A token that does not verify is refused with
 *   {@code unauthorized}: it never falls back to anonymous.</li>
 *   <li>Else the container's principal, if any: its name is the identity; its capability is the union of those
 *   {@code herald.roles} maps to the roles it is in.</li>
 *   <li>Else the caller is anonymous: {@code herald.anonymous} applies.</li>
 * </ol>
 * Also runs the timers of token expiry (one daemon thread, stopped with the application). Thread-safe. Created at
 * start-up, so a bad key stops the application there.
 */
@ApplicationScoped
public class Authenticator {
    private static final System.Logger LOG = System.getLogger(Authenticator.class.getName());

    @Inject
    HeraldConfig config;

    private SecuritySettings settings;
    private JwtVerifier verifier;
    private TokenIssuer demoIssuer;
    private ScheduledThreadPoolExecutor timers;

    @PostConstruct
    void init() {
        settings = config.security();
        byte[] secret = settings.jwtSecret();
        if (secret == null && settings.demo()) {
            secret = new byte[32];
            new SecureRandom().nextBytes(secret);
            LOG.log(System.Logger.Level.INFO, "herald.demo: demo tokens are signed with a key made at start-up "
                    + "(no herald.jwt.secret set); they stop working when the server restarts");
        }
        verifier = secret == null && settings.jwtPublicKey() == null && settings.jwksUrl() == null ? null
                : new JwtVerifier(secret, settings.jwtPublicKey(), settings.jwksUrl(), settings.issuer(),
                        settings.audience(), settings.clockSkew(), Duration.ofSeconds(10));
        if (settings.demo()) {
            demoIssuer = new TokenIssuer(secret, settings.issuer(), settings.audience());
        }
        timers = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "herald-auth-timers");
            t.setDaemon(true);
            return t;
        });
        timers.setRemoveOnCancelPolicy(true);
        Set<Action> everywhere = settings.anonymous().grants().get("*");
        if (everywhere != null && everywhere.contains(Action.PUBLISH)) {
            LOG.log(System.Logger.Level.WARNING, "herald.anonymous lets anonymous clients publish on every channel "
                    + "(\"*\"): any web page or script can publish anything. Fine for a test bench; never in "
                    + "production (docs/security.md)");
        }
        if (verifier == null) {
            LOG.log(System.Logger.Level.INFO, "no herald.jwt.secret, herald.jwt.public-key or herald.jwt.jwks-url: "
                    + "tokens are refused; callers are anonymous or the container's users");
        }
    }

    private volatile java.util.function.Function<Credentials, Caller> tickets;

    /**
     * Lets {@code resolver} recognise tokens of Herald's own before they are verified as JWTs: it answers the caller
     * such a token establishes, or null for any other token (which is then verified as usual). Set once by
     * {@code dev.herald.ops} for its admin page's tickets; called on the thread authenticating.
     */
    public void tickets(java.util.function.Function<Credentials, Caller> resolver) {
        this.tickets = resolver;
    }

    /** Creates the bean, and so checks the keys, when the application starts. */
    void started(@Observes @Initialized(ApplicationScoped.class) Object event) {
        settings.getClass(); // touch the proxy: the bean is created now
    }

    @PreDestroy
    void stop() {
        timers.shutdownNow();
        try {
            timers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The caller these credentials establish.
     *
     * @throws HeraldException {@code unauthorized} when a token was presented and does not verify (the message says
     *                         why, e.g. {@code token expired}), or when tokens are not configured at all
     */
    public Caller authenticate(Credentials c) {
        java.util.function.Function<Credentials, Caller> t = tickets;
        if (c.token() != null && t != null) {
            Caller ticketed = t.apply(c);
            if (ticketed != null) {
                return ticketed;
            }
        }
        if (c.token() != null) {
            return verify(c.token(), c);
        }
        if (c.principal() != null) {
            Capabilities granted = Capabilities.NONE;
            for (Map.Entry<String, Capabilities> role : settings.roles().entrySet()) {
                if (c.inRole().test(role.getKey())) {
                    granted = granted.union(role.getValue());
                }
            }
            return new Caller(c.principal(), c.transport(), c.address(), c.principal().getName(), granted, null);
        }
        return Caller.anonymous(c.transport(), c.address());
    }

    private Caller verify(String token, Credentials c) {
        if (verifier == null) {
            throw new HeraldException(ErrorCode.UNAUTHORIZED, "this server accepts no tokens");
        }
        VerifiedToken t;
        try {
            t = verifier.verify(token);
        } catch (TokenException e) {
            throw new HeraldException(ErrorCode.UNAUTHORIZED, e.getMessage());
        }
        Capabilities capability;
        try {
            capability = t.capability() == null ? Capabilities.NONE : Capabilities.of(t.capability());
        } catch (IllegalArgumentException e) {
            throw new HeraldException(ErrorCode.UNAUTHORIZED, "the token's herald claim is not a capability: "
                    + e.getMessage());
        }
        // the token is honoured as long as the verifier would accept it: until exp plus the clock skew
        return new Caller(c.principal(), c.transport(), c.address(), t.subject(), capability,
                t.expires().plus(settings.clockSkew()));
    }

    /**
     * Runs {@code task} at {@code when} (at once if past) on the timer thread; it must be quick. Cancel the result
     * when it is no longer wanted.
     */
    public Future<?> at(Instant when, Runnable task) {
        long delay = Math.max(0, Duration.between(Instant.now(), when).toMillis());
        return timers.schedule(task, delay, TimeUnit.MILLISECONDS);
    }

    /** The issuer of demo tokens, or null when the demos are off. */
    public TokenIssuer demoIssuer() {
        return demoIssuer;
    }

    public SecuritySettings settings() {
        return settings;
    }
}
