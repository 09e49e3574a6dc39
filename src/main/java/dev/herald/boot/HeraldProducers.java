package dev.herald.boot;

import dev.herald.core.Broker;
import dev.herald.core.HeraldConfig;
import dev.herald.engine.memory.MemoryBroker;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.util.function.Function;

/**
 * Produces Herald's {@link HeraldConfig} (from system properties, environment variables and MicroProfile Config,
 * validated once) and its {@link Broker} (the in-memory engine).
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
        return HeraldConfig.from(key -> {
            String value = HeraldConfig.environment(key);
            return value != null ? value : microProfile.apply(key);
        });
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
