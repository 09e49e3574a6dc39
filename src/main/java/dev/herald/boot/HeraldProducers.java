package dev.herald.boot;

import dev.herald.core.Broker;
import dev.herald.core.HeraldConfig;
import dev.herald.engine.memory.MemoryBroker;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Clock;

/**
 * Produces Herald's {@link HeraldConfig} (from system properties and environment variables, validated once) and its
 * {@link Broker} (the in-memory engine).
 */
@ApplicationScoped
public class HeraldProducers {

    @Produces
    @Singleton
    public HeraldConfig config() {
        return HeraldConfig.fromEnvironment();
    }

    @Produces
    @Singleton
    public Broker broker(HeraldConfig config) {
        return new MemoryBroker(config.historySize(), config.historyTtl(), config.memoryMaxBytes(),
                Clock.systemUTC());
    }

    public void close(@Disposes Broker broker) {
        broker.close();
    }
}
