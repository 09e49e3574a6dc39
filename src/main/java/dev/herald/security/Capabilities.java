package dev.herald.security;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonException;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.io.StringReader;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a caller may do, channel pattern by channel pattern: the capability JSON of docs/security.md, in the spirit
 * of Ably's, e.g. {@code {"chat:*":["subscribe","publish"],"prices:*":["subscribe"]}}.
 *
 * <p><b>Patterns.</b> A pattern is an exact channel name ({@code chat:lobby}), a prefix followed by {@code *}
 * ({@code chat:*} matches every channel whose name starts with {@code chat:}), or {@code *} alone (every channel).
 * {@code *} may appear only at the end.
 *
 * <p><b>The most specific pattern decides.</b> For a channel, the exact pattern if present, else the matching prefix
 * pattern with the longest prefix; its actions are all that is granted there. So
 * {@code {"*":["subscribe","publish"],"secure:*":[]}} opens every channel but those under {@code secure:}: an empty
 * list refuses. {@code ["*"]} grants every action. Immutable and thread-safe.
 */
public final class Capabilities {
    /** Grants nothing. */
    public static final Capabilities NONE = new Capabilities(Map.of());
    /** Every action on every channel (in-process callers). */
    public static final Capabilities ALL = new Capabilities(Map.of("*", EnumSet.allOf(Action.class)));
    /** Most patterns one capability may hold. */
    public static final int MAX_PATTERNS = 256;
    private static final Pattern PATTERN = Pattern.compile("^(\\*|[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}\\*?|)$");

    private final Map<String, Set<Action>> exact;
    /** Prefix patterns, longest prefix first. */
    private final List<Map.Entry<String, Set<Action>>> prefixes;
    private final Map<String, Set<Action>> grants;

    private Capabilities(Map<String, Set<Action>> grants) {
        this.grants = Collections.unmodifiableMap(new LinkedHashMap<>(grants));
        Map<String, Set<Action>> e = new LinkedHashMap<>();
        Map<String, Set<Action>> p = new LinkedHashMap<>();
        grants.forEach((pattern, actions) -> {
            if (pattern.endsWith("*")) {
                p.put(pattern.substring(0, pattern.length() - 1), actions);
            } else {
                e.put(pattern, actions);
            }
        });
        this.exact = e;
        this.prefixes = p.entrySet().stream()
                .sorted((a, b) -> Integer.compare(b.getKey().length(), a.getKey().length())).toList();
    }

    /**
     * Parses capability JSON (an object from pattern to an array of action names).
     *
     * @throws IllegalArgumentException naming what is wrong: not an object, a bad pattern, an unknown action
     */
    public static Capabilities parse(String json) {
        JsonValue value;
        try (JsonReader reader = Json.createReader(new StringReader(json))) {
            value = reader.readValue();
        } catch (JsonException | IllegalStateException e) {
            throw new IllegalArgumentException("capability is not JSON: expected {\"pattern\":[\"action\",…]}");
        }
        return of(value);
    }

    /** A capability from a parsed JSON value (a JWT claim); see {@link #parse}. */
    public static Capabilities of(Object value) {
        if (value instanceof JsonObject object) {
            Map<String, Object> m = new LinkedHashMap<>();
            object.forEach((k, v) -> m.put(k, v instanceof JsonArray a
                    ? a.stream().map(x -> x instanceof JsonString s ? s.getString() : x.toString()).toList() : v));
            return of(m);
        }
        if (!(value instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException("capability must be a JSON object from channel pattern to actions");
        }
        if (map.size() > MAX_PATTERNS) {
            throw new IllegalArgumentException("capability has more than " + MAX_PATTERNS + " patterns");
        }
        Map<String, Set<Action>> grants = new LinkedHashMap<>();
        for (Map.Entry<?, ?> entry : map.entrySet()) {
            String pattern = String.valueOf(entry.getKey());
            if (pattern.isEmpty() || !PATTERN.matcher(pattern).matches()) {
                throw new IllegalArgumentException("bad channel pattern in capability: '" + clip(pattern)
                        + "' (an exact channel name, a prefix ending in *, or *)");
            }
            if (!(entry.getValue() instanceof List<?> list)) {
                throw new IllegalArgumentException("capability of '" + clip(pattern) + "' must be an array of actions");
            }
            Set<Action> actions = EnumSet.noneOf(Action.class);
            for (Object item : list) {
                String name = String.valueOf(item);
                if (name.equals("*")) {
                    actions.addAll(EnumSet.allOf(Action.class));
                } else if (Action.of(name) != null) {
                    actions.add(Action.of(name));
                } else {
                    throw new IllegalArgumentException("unknown action '" + clip(name) + "' in capability of '"
                            + clip(pattern) + "' (subscribe, publish, history, presence or *)");
                }
            }
            grants.put(pattern, actions);
        }
        return new Capabilities(grants);
    }

    private static String clip(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }

    /** Whether {@code action} is granted on {@code channel}: by the most specific matching pattern. */
    public boolean allows(Action action, String channel) {
        Set<Action> actions = exact.get(channel);
        if (actions == null) {
            for (Map.Entry<String, Set<Action>> p : prefixes) {
                if (channel.startsWith(p.getKey())) {
                    actions = p.getValue();
                    break;
                }
            }
        }
        return actions != null && actions.contains(action);
    }

    /**
     * The union of two capabilities (several roles): each pattern of either, with the actions both grant for it.
     * Note that a pattern present in only one of them keeps its own actions.
     */
    public Capabilities union(Capabilities other) {
        Map<String, Set<Action>> merged = new LinkedHashMap<>();
        grants.forEach((k, v) -> merged.put(k, EnumSet.copyOf(withNone(v))));
        other.grants.forEach((k, v) -> merged.merge(k, EnumSet.copyOf(withNone(v)), (a, b) -> {
            a.addAll(b);
            return a;
        }));
        return new Capabilities(merged);
    }

    private static Set<Action> withNone(Set<Action> s) {
        return s.isEmpty() ? EnumSet.noneOf(Action.class) : s;
    }

    /** The patterns and their actions, in the order given. */
    public Map<String, Set<Action>> grants() {
        return grants;
    }

    /** The capability as JSON, in the form {@link #parse} reads. */
    public String toJson() {
        StringBuilder b = new StringBuilder("{");
        grants.forEach((pattern, actions) -> {
            b.append(b.length() > 1 ? "," : "").append('"').append(pattern).append("\":[");
            b.append(String.join(",", actions.stream().map(a -> "\"" + a.wire() + "\"").toList())).append(']');
        });
        return b.append('}').toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Capabilities c && c.grants.equals(grants);
    }

    @Override
    public int hashCode() {
        return grants.hashCode();
    }

    @Override
    public String toString() {
        return toJson();
    }
}
