package dev.herald.ops;

import dev.herald.security.Caller;
import dev.herald.security.Capabilities;
import dev.herald.security.Credentials;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tickets of the admin page: the page (served only to callers {@link OpsAccess} allows) asks
 * {@code {ctx}/admin/ticket} for one and gives it to herald.js as its token; a ticket lets its holder subscribe to
 * {@value #CHANNEL} and nothing else, for {@link #LIFETIME}. Random (256 bits), kept in memory on this node only,
 * at most {@link #MAX} at once (the oldest give way). Thread-safe.
 */
public final class AdminTickets {
    /** The admin page's live feed: each node publishes its snapshot there (a reserved {@code herald:} channel). */
    public static final String CHANNEL = "herald:admin";
    static final String PREFIX = "herald-admin-";
    static final Duration LIFETIME = Duration.ofHours(1);
    static final int MAX = 1000;
    /** The capability of a ticket's caller; {@link #reader} recognises it by identity, so no token can forge it. */
    static final Capabilities CAPABILITY = Capabilities.of(Map.of(CHANNEL, List.of("subscribe", "history")));
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Map<String, Instant> tickets = new ConcurrentHashMap<>();

    /** A new ticket and when it expires. */
    public Ticket issue() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        String ticket = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        Instant expires = Instant.now().plus(LIFETIME);
        Instant now = Instant.now();
        tickets.values().removeIf(now::isAfter);
        if (tickets.size() >= MAX) {
            tickets.entrySet().stream().min(Map.Entry.comparingByValue())
                    .ifPresent(e -> tickets.remove(e.getKey()));
        }
        tickets.put(ticket, expires);
        return new Ticket(ticket, expires);
    }

    /** The caller a ticket establishes, or null when {@code c} holds no ticket (or an unknown or expired one). */
    public Caller caller(Credentials c) {
        if (c.token() == null || !c.token().startsWith(PREFIX)) {
            return null;
        }
        Instant expires = tickets.get(c.token());
        if (expires == null || Instant.now().isAfter(expires)) {
            return Caller.refused(c.transport(), c.address());
        }
        return new Caller(c.principal(), c.transport(), c.address(), "herald-admin", CAPABILITY, expires);
    }

    /** True for a caller holding a ticket: may read the reserved {@code herald:} channels. */
    public static boolean reader(Caller caller) {
        return caller.capabilities() == CAPABILITY && caller.expires() != null
                && Instant.now().isBefore(caller.expires());
    }

    /** A ticket and its expiry. */
    public record Ticket(String token, Instant expires) {
    }
}
