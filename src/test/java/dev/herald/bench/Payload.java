package dev.herald.bench;

/**
 * The published message, {@code {"seq":N,"t":NANOS,"pad":"…"}}, and the reading of {@code seq} and {@code t} back out
 * of whatever wraps it on the way to a subscriber (Herald's envelope, a Socket.IO packet, an SSE {@code data:} line).
 * {@code t} is the {@link System#nanoTime()} the message was due to be sent; nanoTime is one clock for every
 * process of the machine, so a subscriber in another JVM can subtract it too.
 */
public final class Payload {
    private static final String PAD = "x".repeat(64);

    private Payload() {
    }

    /** The JSON body of message {@code seq}, due at {@code nanos}: about 100 bytes. */
    public static String json(long seq, long nanos) {
        return "{\"seq\":" + seq + ",\"t\":" + nanos + ",\"pad\":\"" + PAD + "\"}";
    }

    /** The number after {@code "seq":} in {@code text}, or -1 when there is none. */
    public static long seq(CharSequence text) {
        return number(text, "\"seq\":");
    }

    /** The number after {@code "t":} in {@code text}, or -1 when there is none. */
    public static long sentAt(CharSequence text) {
        return number(text, "\"t\":");
    }

    static long number(CharSequence text, String key) {
        int at = indexOf(text, key);
        if (at < 0) {
            return -1;
        }
        long v = 0;
        int i = at + key.length();
        int digits = 0;
        for (; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                break;
            }
            v = v * 10 + (c - '0');
            digits++;
        }
        return digits == 0 ? -1 : v;
    }

    private static int indexOf(CharSequence text, String key) {
        if (text instanceof String s) {
            return s.indexOf(key);
        }
        int n = text.length() - key.length();
        outer:
        for (int i = 0; i <= n; i++) {
            for (int j = 0; j < key.length(); j++) {
                if (text.charAt(i + j) != key.charAt(j)) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
