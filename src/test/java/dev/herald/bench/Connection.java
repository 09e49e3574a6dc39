package dev.herald.bench;

import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * One subscriber connection of the load generator, whatever its transport. Subclasses parse what arrives and call
 * {@link #payload}; this class keeps a bit per message of the current {@link Phase} (a message seen twice is a
 * duplicate; publishes travel on several HTTP connections, so they may reach the server, and so the subscriber, in
 * another order than they were sent) and counts first deliveries in the phase. A connection's callbacks run one at a
 * time, so its own state needs no lock.
 */
public abstract class Connection {
    /** Completes when the subscription is confirmed; fails if the connection fails first. */
    final CompletableFuture<Void> ready = new CompletableFuture<>();
    private final Supplier<Phase> phase;
    private final Runnable onError;
    private Phase seenIn;
    private long[] seen;
    volatile boolean closing;
    long startedAt;
    long readyAt;

    Connection(Supplier<Phase> phase, Runnable onError) {
        this.phase = phase;
        this.onError = onError;
    }

    /** A message arrived carrying {@code seq}, due at {@code sentAt}. */
    final void payload(long seq, long sentAt) {
        long now = System.nanoTime();
        Phase p = phase.get();
        if (p == null || !p.owns(seq)) {
            return; // a straggler of an earlier phase
        }
        if (seenIn != p) {
            seenIn = p;
            seen = new long[(p.capacity >> 6) + 1];
        }
        int i = (int) (seq - p.base);
        long bit = 1L << (i & 63);
        if ((seen[i >> 6] & bit) != 0) {
            p.duplicates.increment();
            return;
        }
        seen[i >> 6] |= bit;
        p.delivered(seq, sentAt, now);
    }

    final void subscribed() {
        readyAt = System.nanoTime();
        ready.complete(null);
    }

    /** The connection failed or was closed by the server: counts as an error unless the generator was closing. */
    final void failed(Throwable cause) {
        if (!ready.isDone()) {
            ready.completeExceptionally(cause);
        } else if (!closing) {
            onError.run();
        }
    }

    /** Closes the connection without counting an error. */
    abstract void close();
}
