package dev.herald.engine.redis;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.BaseRedisAsyncCommands;
import io.lettuce.core.api.async.RedisScriptingAsyncCommands;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * The connections a {@link RedisBroker} uses, to one Redis server or to a Redis Cluster, behind the command interfaces
 * both have: one command connection (scripts, PING, INFO; Lettuce routes a cluster command by its first key's hash
 * slot) and one pub/sub connection (on a cluster, Lettuce opens one per master and routes each SSUBSCRIBE to the
 * master owning the shard channel's slot). Made once at start-up by {@link #connect}; closed by {@link #close()}.
 *
 * @param cluster whether this is a Redis Cluster (several seed URLs, or {@code herald.redis.cluster=true})
 * @param info    INFO of every master (one on a single server)
 */
record RedisLink(AbstractRedisClient client, StatefulConnection<String, String> connection,
                 RedisScriptingAsyncCommands<String, String> scripts, BaseRedisAsyncCommands<String, String> base,
                 Supplier<CompletionStage<List<String>>> info, StatefulRedisPubSubConnection<String, String> pubsub,
                 boolean cluster) {
    private static final System.Logger LOG = System.getLogger(RedisLink.class.getName());
    /** The least time start-up allows Redis to answer its first PING, whatever {@code herald.redis.timeout}. */
    private static final Duration FIRST_PING = Duration.ofSeconds(10);

    /**
     * Connects to Redis and checks it answers PING.
     *
     * @param uris        one URL (a server, or a cluster seed when {@code cluster}), or several cluster seeds
     * @param cluster     whether {@code uris} name a Redis Cluster
     * @param timeout     the longest a command may take, and connecting
     * @param startupWait how long to keep trying while Redis refuses or drops connections (zero: fail at once)
     * @throws RedisException when Redis cannot be reached within {@code startupWait}
     */
    static RedisLink connect(List<RedisURI> uris, boolean cluster, Duration timeout, Duration startupWait) {
        long start = System.nanoTime();
        long deadline = start + startupWait.toNanos();
        // a Redis that answers but slowly (a loaded machine: the handshake timed out) gets at least FIRST_PING
        long slowDeadline = start + Math.max(startupWait.toNanos(), FIRST_PING.toNanos());
        for (int attempt = 1; ; attempt++) {
            try {
                return cluster ? connectCluster(uris, timeout) : connectServer(uris.get(0), timeout);
            } catch (RedisException e) {
                long now = System.nanoTime();
                if (now - (refused(e) ? deadline : slowDeadline) >= 0) {
                    throw e;
                }
                if (attempt == 1) {
                    LOG.log(System.Logger.Level.WARNING, "Redis cannot be reached yet (" + e.getMessage()
                            + "); trying again (herald.redis.startup-wait=" + startupWait + ")");
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(refused(e) ? 500 : 50));
            }
        }
    }

    /** Whether nothing listens there (rather than a Redis too slow to answer). */
    private static boolean refused(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof java.net.ConnectException) {
                return true;
            }
        }
        return false;
    }

    /**
     * Reconnect soon after an outage (Lettuce's default backs off to 30 s): 50 ms doubling up to 1 s. One set of
     * event loops per broker, shut down with it.
     */
    private static ClientResources resources() {
        return DefaultClientResources.builder()
                .reconnectDelay(Delay.exponential(Duration.ofMillis(50), Duration.ofSeconds(1), 2,
                        TimeUnit.MILLISECONDS))
                .build();
    }

    private static RedisLink connectServer(RedisURI uri, Duration timeout) {
        uri.setTimeout(timeout);
        ClientResources resources = resources();
        RedisClient client = RedisClient.create(resources, uri);
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .socketOptions(SocketOptions.builder().connectTimeout(timeout).build())
                .timeoutOptions(TimeoutOptions.enabled(timeout))
                .build());
        StatefulRedisConnection<String, String> connection = null;
        try {
            connection = client.connect();
            awaitPing(connection.async(), timeout);
            var commands = connection.async();
            return new RedisLink(client, connection, commands, commands,
                    () -> commands.info().thenApply(List::of), client.connectPubSub(), false);
        } catch (RuntimeException e) {
            if (connection != null) {
                connection.close();
            }
            shutdown(client);
            throw e;
        }
    }

    private static RedisLink connectCluster(List<RedisURI> seeds, Duration timeout) {
        seeds.forEach(u -> u.setTimeout(timeout));
        ClientResources resources = resources();
        RedisClusterClient client = RedisClusterClient.create(resources, seeds);
        client.setOptions(ClusterClientOptions.builder()
                .autoReconnect(true)
                // Lettuce opens a master's connection at the first command for its slots, and rejecting commands
                // while disconnected would refuse that first command: commands wait for the connection instead, and
                // fail after the timeout when a master is down (one server: at once)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.ACCEPT_COMMANDS)
                .socketOptions(SocketOptions.builder().connectTimeout(timeout).build())
                .timeoutOptions(TimeoutOptions.enabled(timeout))
                // follow slot moves and failed masters: refresh the topology on MOVED/ASK and reconnects
                .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                        .enableAllAdaptiveRefreshTriggers()
                        .enablePeriodicRefresh(Duration.ofSeconds(30))
                        .build())
                .build());
        StatefulRedisClusterConnection<String, String> connection = null;
        try {
            connection = client.connect();
            var commands = connection.async();
            awaitPing(commands, timeout);
            Supplier<CompletionStage<List<String>>> info = () -> commands.masters().commands().info()
                    .thenApply(ArrayList::new);
            return new RedisLink(client, connection, commands, commands, info, client.connectPubSub(), true);
        } catch (RuntimeException e) {
            if (connection != null) {
                connection.close();
            }
            shutdown(client);
            throw e;
        }
    }

    /**
     * PING until Redis answers: a connection made on a busy machine may drop and reconnect once before it is ready.
     * Redis refusing the connection fails {@code connect} itself, at once.
     */
    private static void awaitPing(BaseRedisAsyncCommands<String, String> commands, Duration timeout) {
        long deadline = System.nanoTime() + Math.max(timeout.toNanos(), FIRST_PING.toNanos());
        for (;;) {
            try {
                commands.ping().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RedisException(e);
            } catch (Exception e) {
                if (System.nanoTime() - deadline > 0) {
                    throw e instanceof RedisException r ? r : new RedisException(e.getMessage(), e);
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
            }
        }
    }

    /** Closes both connections and the client's event loops; waits at most a few seconds. */
    void close() {
        try {
            pubsub.close();
            connection.close();
        } finally {
            shutdown(client);
        }
    }

    private static void shutdown(AbstractRedisClient client) {
        client.shutdown(0, 2, TimeUnit.SECONDS);
        client.getResources().shutdown(0, 2, TimeUnit.SECONDS);
    }
}
