package dev.herald.ops;

import dev.herald.core.Bus;
import dev.herald.core.Subscriber;
import dev.herald.ops.metrics.HeraldMetrics;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The one door to {@link HeraldMetrics}: only this class names it, and only once Micrometer has been found on the
 * class path, so {@link Operations} loads and runs without Micrometer (an application using the library jar that
 * did not add it: metrics are off, {@code {ctx}/metrics} answers 404, the rest works).
 */
final class Metrics {
    private static final System.Logger LOG = System.getLogger(Metrics.class.getName());
    private static final String REGISTRY = "io.micrometer.prometheusmetrics.PrometheusMeterRegistry";

    private Metrics() {
    }

    /** A {@link HeraldMetrics}, or null (logged once) when Micrometer's Prometheus registry is not there. */
    static Object create(Bus bus, String engine) {
        try {
            Class.forName(REGISTRY, false, Metrics.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            LOG.log(System.Logger.Level.INFO, "metrics off: io.micrometer:micrometer-registry-prometheus is not on "
                    + "the class path (add it to serve {ctx}/metrics)");
            return null;
        }
        try {
            return new HeraldMetrics(bus, engine);
        } catch (RuntimeException | LinkageError e) { // another Micrometer than the one Herald was built with
            LOG.log(System.Logger.Level.WARNING, "metrics off: Micrometer failed to start", e);
            return null;
        }
    }

    static String scrape(Object metrics) {
        return ((HeraldMetrics) metrics).scrape();
    }

    static void sample(Object metrics, Iterable<Subscriber> connections) {
        ((HeraldMetrics) metrics).sample(connections);
    }

    static void containerThreads(Object metrics, Supplier<Map<String, Number>> pool) {
        ((HeraldMetrics) metrics).containerThreads(pool);
    }
}
