package dev.herald.core;

import java.time.Duration;

/**
 * Settings of Herald's operations endpoints and of draining (README, "Operate"; read with the rest of
 * {@link HeraldConfig}).
 *
 * @param drainTimeout   {@code herald.drain.timeout}: how long a draining node waits for its connections to take
 *                       their farewell (WebSocket 1012, SSE {@code herald-reconnect}) before closing what is left and
 *                       going on with the shutdown (default 10 s)
 * @param readyNeedsEngine {@code herald.health.engine}: whether an unreachable engine (Redis) makes
 *                       {@code {ctx}/health/ready} fail (default false, so that one shared Redis outage does not take
 *                       every node out of the load balancer at once)
 * @param token          {@code herald.ops.token}: a secret that opens {@code {ctx}/metrics} and {@code {ctx}/admin/}
 *                       to any client presenting it ({@code Authorization: Bearer TOKEN}, or {@code ?token=} for the
 *                       admin page), or null
 * @param role           {@code herald.ops.role}: a container role that opens them, or null
 * @param metrics        {@code herald.metrics}: whether {@code {ctx}/metrics} is served and metrics are counted
 *                       (default true; needs Micrometer on the class path)
 * @param summary        {@code herald.log.summary}: the interval of the INFO summary line (default 1 min; 0 never)
 * @param adminFeed      {@code herald.admin.feed}: whether the node publishes its snapshot on {@code herald:admin} every
 *                       2 s for the admin page (default true; false: no such publishes, and the page shows nothing
 *                       live, e.g. on a benchmark node whose Redis commands are counted)
 */
public record OpsSettings(Duration drainTimeout, boolean readyNeedsEngine, String token, String role,
                          boolean metrics, Duration summary, boolean adminFeed) {

    /** With the admin feed on. */
    public OpsSettings(Duration drainTimeout, boolean readyNeedsEngine, String token, String role, boolean metrics,
                       Duration summary) {
        this(drainTimeout, readyNeedsEngine, token, role, metrics, summary, true);
    }

    public OpsSettings {
        if (drainTimeout == null || drainTimeout.isNegative()) {
            throw new IllegalArgumentException("herald.drain.timeout must be >= 0");
        }
        if (token != null && token.length() < 16) {
            throw new IllegalArgumentException("herald.ops.token must be at least 16 characters");
        }
        if (summary == null || summary.isNegative()) {
            throw new IllegalArgumentException("herald.log.summary must be >= 0");
        }
    }

    static OpsSettings from(HeraldConfig.Reader r) {
        return new OpsSettings(
                r.duration("herald.drain.timeout", Duration.ofSeconds(10)),
                r.bool("herald.health.engine", false),
                r.string("herald.ops.token", null),
                r.string("herald.ops.role", null),
                r.bool("herald.metrics", true),
                r.duration("herald.log.summary", Duration.ofMinutes(1)),
                r.bool("herald.admin.feed", true));
    }
}
