package dev.herald.boot;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Optional;
import java.util.function.Function;

/**
 * MicroProfile Config, where the container has it (Payara, Open Liberty, WildFly with its MicroProfile layers): a
 * lookup of Herald's keys in the application's configuration ({@code META-INF/microprofile-config.properties} and
 * whatever sources the container adds). Reached by reflection, so Herald needs no MicroProfile dependency and runs the
 * same where there is none (Tomcat, Jetty, a slim WildFly): there the lookup finds nothing.
 *
 * <p>Called once, when {@link HeraldProducers} produces the configuration; the lookup it returns is used at once, on
 * that thread, and not kept.
 */
final class MicroProfileConfig {
    private static final System.Logger LOG = System.getLogger(MicroProfileConfig.class.getName());

    private MicroProfileConfig() {
    }

    /** The application's MicroProfile Config as a lookup (null for an absent key), or one that finds nothing. */
    static Function<String, String> lookup() {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        Object config;
        Method optionalValue;
        try {
            Class<?> provider = Class.forName("org.eclipse.microprofile.config.ConfigProvider", true, loader);
            Class<?> type = Class.forName("org.eclipse.microprofile.config.Config", true, loader);
            config = provider.getMethod("getConfig").invoke(null);
            optionalValue = type.getMethod("getOptionalValue", String.class, Class.class);
        } catch (ClassNotFoundException | LinkageError e) {
            return key -> null;
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "MicroProfile Config is present but unusable; Herald reads system"
                    + " properties and environment variables only", e);
            return key -> null;
        }
        return key -> {
            try {
                return ((Optional<?>) optionalValue.invoke(config, key, String.class)).map(String::valueOf).orElse(null);
            } catch (InvocationTargetException e) {
                throw new IllegalArgumentException(key + ": " + e.getCause().getMessage(), e.getCause());
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        };
    }
}
