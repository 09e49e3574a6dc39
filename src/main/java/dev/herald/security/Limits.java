package dev.herald.security;

import dev.herald.core.ErrorCode;
import dev.herald.core.HeraldConfig;
import dev.herald.core.HeraldException;
import dev.herald.core.SecuritySettings;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The per-client limits of docs/security.md, "Limits": open connections (WebSockets and SSE streams) and concurrent
 * long-polls per client address, publishes per WebSocket connection, and who the client is
 * ({@link #clientAddress}). A client over a limit is refused with {@code rate_limited}; nobody else is slowed: every
 * check is a counter or a bucket of that client's own, no lock is shared. Thread-safe.
 */
@ApplicationScoped
public class Limits {
    @Inject
    HeraldConfig config;

    private final ConcurrentHashMap<String, Integer> connections = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Integer> polls = new ConcurrentHashMap<>();

    /** Held while a connection is open; {@link #close} gives the place back, once. */
    public static final class Permit implements AutoCloseable {
        private final Runnable release;
        private final AtomicBoolean released = new AtomicBoolean();

        Permit(Runnable release) {
            this.release = release;
        }

        @Override
        public void close() {
            if (released.compareAndSet(false, true)) {
                release.run();
            }
        }
    }

    /**
     * Takes a connection place for {@code address}.
     *
     * @throws HeraldException {@code rate_limited} when the address already holds
     *                         {@code herald.limits.connections-per-address} connections
     */
    public Permit connection(String address) {
        return take(connections, address, config.security().maxConnectionsPerAddress(),
                "too many connections from your address");
    }

    /**
     * Takes a long-poll place for {@code address}.
     *
     * @throws HeraldException {@code rate_limited} when the address already holds
     *                         {@code herald.limits.polls-per-address} long-polls
     */
    public Permit poll(String address) {
        return take(polls, address, config.security().maxPollsPerAddress(),
                "too many concurrent long-polls from your address");
    }

    private static Permit take(ConcurrentHashMap<String, Integer> counts, String address, int max, String message) {
        String key = address == null ? "" : address;
        boolean[] ok = {false};
        counts.compute(key, (k, n) -> {
            int now = n == null ? 0 : n;
            if (now >= max) {
                return n;
            }
            ok[0] = true;
            return now + 1;
        });
        if (!ok[0]) {
            throw new HeraldException(ErrorCode.RATE_LIMITED, message + " (at most " + max + ")");
        }
        return new Permit(() -> counts.computeIfPresent(key, (k, n) -> n <= 1 ? null : n - 1));
    }

    /** A fresh publish bucket for one WebSocket connection. */
    public TokenBucket publishBucket() {
        SecuritySettings s = config.security();
        return new TokenBucket(s.publishRate(), s.publishBurst(), System::nanoTime);
    }

    /**
     * The client's address: the peer's, or, when the peer is one of {@code herald.trusted-proxies}, the right-most
     * address of {@code X-Forwarded-For} that is not itself a trusted proxy (the left part of that header is the
     * client's to write, so it is never believed past an untrusted hop).
     *
     * @param peer         the TCP peer's address
     * @param forwardedFor the {@code X-Forwarded-For} header (all of its values, comma-joined), or null
     */
    public String clientAddress(String peer, String forwardedFor) {
        var trusted = config.security().trustedProxies();
        if (forwardedFor == null || peer == null || !trusted.contains(peer)) {
            return peer;
        }
        String[] hops = forwardedFor.split(",");
        String client = peer;
        for (int i = hops.length - 1; i >= 0; i--) {
            String hop = hops[i].trim();
            if (hop.isEmpty()) {
                break;
            }
            client = hop.length() > 64 ? hop.substring(0, 64) : hop;
            if (!trusted.contains(hop)) {
                break;
            }
        }
        return client;
    }

    /** Open connections counted for {@code address} (for tests and stats). */
    public int connections(String address) {
        return connections.getOrDefault(address, 0);
    }
}
