package dev.herald.boot;

import dev.herald.core.Broker;
import dev.herald.core.HeraldConfig;
import dev.herald.engine.memory.MemoryBroker;
import dev.herald.engine.redis.RedisBroker;
import dev.herald.core.Bus;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.util.function.Function;

/**
 * Produces Herald's {@link HeraldConfig} (from system properties, environment variables and MicroProfile Config,
 * validated once) and its {@link Broker}: the in-memory engine, or the Redis engine with {@code herald.engine=redis}.
 */
@ApplicationScoped
public class HeraldProducers {

    /**
     * Each setting from the system property, else the environment variable, else MicroProfile Config where the
     * container has it ({@link MicroProfileConfig}), else its default.
     */
    @Produces
    @Singleton
    public HeraldConfig config() {
        Function<String, String> microProfile = MicroProfileConfig.lookup();
        HeraldConfig config = HeraldConfig.from(key -> {
            String value = HeraldConfig.environment(key);
            return value != null ? value : microProfile.apply(key);
        });
        config.checkNamespaceKeys(System.getProperties().stringPropertyNames(), System.getenv().keySet());
        return config;
    }

    @Produces
    @Singleton
    public Broker broker(HeraldConfig config) {
        if (HeraldConfig.ENGINE_REDIS.equals(config.engine())) {
            return redis(config);
        }
        return new MemoryBroker(config.retention(), config.memoryMaxBytes(), config.idempotencyWindow(),
                Clock.systemUTC());
    }

    /** Connects to Redis now, so that an unreachable Redis stops the start with one line saying so. */
    private static Broker redis(HeraldConfig config) {
        try {
            return RedisBroker.connect(config.redisUrl(), config.redisCluster(), config.retention(),
                    config.idempotencyWindow(), config.redisTimeout(), config.redisStartupWait(), Clock.systemUTC());
        } catch (NoClassDefFoundError e) {
            throw new IllegalStateException("herald.engine=redis needs io.lettuce:lettuce-core on the class path "
                    + "(the WARs and the standalone runner have it; add it to an application using the library jar)",
                    e);
        }
    }

    /**
     * Creates the {@link Bus}, and so the engine, when the application starts: a Redis that cannot be reached stops
     * the start (with one line saying so) rather than failing the first request.
     */
    void started(@Observes @Initialized(ApplicationScoped.class) Object event, Bus bus) {
        bus.config(); // touch the proxy: the bean and its broker are created now
    }

    public void close(@Disposes Broker broker) {
        broker.close();
    }
}
