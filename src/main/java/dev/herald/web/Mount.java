package dev.herald.web;

import jakarta.servlet.ServletContext;
import java.util.Locale;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Where Herald's endpoints live inside the application's context: {@code {ctx}{path}/ws}, {@code /sse},
 * {@code /poll}, {@code /api/*}, {@code /herald.js} (with its modules {@code /herald-share.js} and
 * {@code /herald-worker.js}) and {@code /herald.d.ts}.
 *
 * <p>{@value #KEY} is read once at start-up, first of: the system property {@value #KEY} (or the environment variable
 * {@code HERALD_PATH}), the context-param {@value #KEY} of the application's {@code web.xml}, the default
 * {@value #DEFAULT}. An empty value (or {@code /}) mounts Herald at the context root, as the WARs Herald ships do.
 *
 * @param path {@code ""} (the context root) or {@code /segment[/segment…]}, never ending in {@code /}
 */
public record Mount(String path) {
    /** The setting's name: system property, context-param, and (as {@code HERALD_PATH}) environment variable. */
    public static final String KEY = "herald.path";
    /** The mount point of Herald embedded as a library, when nothing says otherwise. */
    public static final String DEFAULT = "/herald";
    private static final Pattern SEGMENTS = Pattern.compile("(/[A-Za-z0-9._~-]+)*");

    public Mount {
        if (path == null || !SEGMENTS.matcher(path).matches() || path.contains("/./") || path.endsWith("/.")
                || path.contains("/..")) {
            throw new IllegalArgumentException(KEY + " must be empty or /name[/name…] (letters, digits, . _ ~ -): "
                    + path);
        }
    }

    /** The mount point of {@code context}, by the precedence above, from the JVM's system properties and env. */
    public static Mount of(ServletContext context) {
        return of(Mount::environment, context.getInitParameter(KEY));
    }

    /**
     * The mount point given {@code environment} (a lookup of {@value #KEY}, null when unset) and the context-param
     * (null when absent). Throws {@link IllegalArgumentException} for a value that is not a path.
     */
    public static Mount of(Function<String, String> environment, String contextParam) {
        String value = environment.apply(KEY);
        if (value == null) {
            value = contextParam;
        }
        return new Mount(value == null ? DEFAULT : normalise(value));
    }

    /** {@code /x/}, {@code x} and {@code  /x } are {@code /x}; blank and {@code /} are the root. */
    static String normalise(String value) {
        String v = value.trim();
        while (v.endsWith("/")) {
            v = v.substring(0, v.length() - 1);
        }
        return v.isEmpty() || v.startsWith("/") ? v : "/" + v;
    }

    /** A path under the mount: {@code sub} starts with {@code /}. */
    public String at(String sub) {
        return path + sub;
    }

    private static String environment(String key) {
        String value = System.getProperty(key);
        return value != null ? value : System.getenv(key.toUpperCase(Locale.ROOT).replace('.', '_'));
    }
}
