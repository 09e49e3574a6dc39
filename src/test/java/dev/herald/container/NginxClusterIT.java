package dev.herald.container;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.it.HeraldTarget;
import dev.herald.it.Http;
import dev.herald.it.SseClient;
import dev.herald.support.Nginx;
import dev.herald.support.RedisServer;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Issue 12: every integration scenario ({@code dev.herald.it.*IT}) through a real nginx that balances round-robin,
 * without sticky sessions, over <b>two</b> Herald nodes on one real {@code redis-server}: each request, WebSocket
 * handshake, SSE stream and long poll may land on either node, so a scenario passes only if the Redis engine makes
 * the two nodes one Herald (publish on one, deliver on the other, resume anywhere). Maven profile
 * {@code nginx-cluster} (README, "Tests"); {@code -Dherald.scenarios=REGEX} runs some of them.
 *
 * <p>The nodes are standalone runners ({@code target/herald-standalone.jar}, context {@code /}) with
 * {@code herald.engine=redis}, the security settings of {@link dev.herald.it.TestSecurity} (one JWT secret for both:
 * a token issued for one is honoured by the other) and the embedded suite's short SSE heartbeat and long-poll
 * timeout; the demo ticker runs on node a only, as README "Cluster" advises. nginx uses the README's config
 * ({@code src/test/nginx/nginx.conf}). Logs: {@code target/herald-cluster-a.log}, {@code target/herald-cluster-b.log}.
 *
 * <p>The scenarios learn the nodes from {@code herald.test.nodes} ({@link HeraldTarget#nodes()}), for the figures
 * Herald keeps per node (a channel's {@code subscribers}, the limits per client address). Everything started here
 * is stopped when the run ends, failed or not, and by a shutdown hook if the test JVM is stopped meanwhile.
 *
 * <p>Not run here, as on every container (their assumption {@link HeraldTarget#embedded()} aborts them, and aborted
 * is neither failed nor skipped for {@link ContainerSuiteIT#runScenarios}): the scenarios that start servers of their
 * own instead of testing the Herald under test, the multi-node suite {@code MultiNode*IT} (Redis and nodes of its
 * own) and {@code MemoryIT}'s eviction (a memory-engine runner with a 1 MiB bound). The default build runs both.
 */
class NginxClusterIT {

    @Test
    void everyScenarioPassesThroughNginxOverTwoNodesOnRedis() throws Exception {
        List<AutoCloseable> started = new ArrayList<>();
        Thread hook = new Thread(() -> stop(started));
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            RedisServer redis = add(started, new RedisServer());
            // both nodes start at once (each takes a while on a busy machine); both are waited for, failed or not,
            // so that nothing is still starting when the finally block stops what was started
            CompletableFuture<HeraldTarget.Standalone> startA =
                    CompletableFuture.supplyAsync(() -> add(started, node("herald-cluster-a", redis, true)));
            CompletableFuture<HeraldTarget.Standalone> startB =
                    CompletableFuture.supplyAsync(() -> add(started, node("herald-cluster-b", redis, false)));
            CompletableFuture.allOf(startA, startB).exceptionally(failed -> null).join();
            HeraldTarget.Standalone a = startA.join();
            HeraldTarget.Standalone b = startB.join();
            Nginx nginx = add(started, Nginx.balancing("", a.port(), b.port()));
            assertThat(a.port()).isNotEqualTo(b.port());

            assertRoundRobin(nginx, List.of(a, b));
            System.setProperty("herald.test.nodes", a.base() + "," + b.base());
            String name = System.getProperty("herald.container.name", "two nodes on Redis behind nginx");
            URI base = nginx.base();
            System.out.println("[" + name + "] nginx at " + base + " over " + a.base() + " and " + b.base()
                    + ", Redis at " + redis.url());
            String scenarios = System.getProperty("herald.scenarios", ".*IT");
            // the whole suite is more than ten scenario methods; a chosen few need only be more than none
            ContainerSuiteIT.runScenarios(name, base, scenarios, scenarios.equals(".*IT") ? 10 : 0);
        } finally {
            System.clearProperty("herald.test.nodes");
            System.clearProperty("herald.test.url");
            stop(started);
            Runtime.getRuntime().removeShutdownHook(hook);
        }
    }

    /**
     * What the run is for, checked first: nginx spreads clients over both nodes, with no stickiness. Two SSE streams
     * opened one after the other through it, nothing else in between, are on different nodes (each node, asked
     * directly, counts one subscriber of the channel).
     */
    private static void assertRoundRobin(Nginx nginx, List<HeraldTarget.Standalone> nodes) {
        String channel = "balance:" + Long.toString(System.nanoTime(), 36);
        URI stream = nginx.base().resolve("sse?channel=" + channel);
        try (SseClient first = SseClient.open(stream, Map.of()); SseClient second = SseClient.open(stream, Map.of())) {
            for (SseClient s : List.of(first, second)) {
                assertThat(s.status()).isEqualTo(200);
                Awaitility.await().atMost(Duration.ofSeconds(30))
                        .until(() -> s.lastEventId().contains(channel + "="));
            }
            for (HeraldTarget.Standalone node : nodes) {
                HttpResponse<String> info = Http.send(HttpRequest.newBuilder(
                        node.base().resolve("api/channels?channel=" + channel)).build());
                assertThat(Http.json(info).getInt("subscribers")).as("subscribers on " + node.base()).isEqualTo(1);
            }
        }
    }

    private static HeraldTarget.Standalone node(String name, RedisServer redis, boolean ticker) {
        return HeraldTarget.startAnother(name, "-Dherald.engine=redis", "-Dherald.redis.url=" + redis.url(),
                "-Dherald.ticker=" + ticker, "-Dherald.sse.heartbeat=1s", "-Dherald.poll.timeout=2s");
    }

    private static <T extends AutoCloseable> T add(List<AutoCloseable> started, T process) {
        synchronized (started) {
            started.add(process);
        }
        return process;
    }

    /** Stops nginx, then the nodes, then Redis (the reverse of the start); each once, whatever the others do. */
    private static void stop(List<AutoCloseable> started) {
        synchronized (started) {
            for (int i = started.size() - 1; i >= 0; i--) {
                try {
                    started.get(i).close();
                } catch (Exception e) {
                    System.err.println("NginxClusterIT: stopping " + started.get(i) + ": " + e);
                }
            }
            started.clear();
        }
    }
}
