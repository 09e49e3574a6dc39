package dev.herald.core;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One fan-out shard. Every subscriber belongs to exactly one lane (by id), so a lane sees each channel's envelopes
 * in offset order and each of its subscribers is touched by one lane thread only. A publish hands each lane one
 * {@link Delivery} (the envelope and the lane's subscribers at that moment), lock-free; the lane, running on a
 * fan-out thread, appends the envelope to each subscriber's queue, and after a run of deliveries starts each
 * touched subscriber's write. So the publisher pays a few queue offers per publish rather than one task per
 * subscriber, and a subscriber that several envelopes reached during a run gets them in one batch, one write.
 *
 * <p>A throw from one subscriber's queue or transport (an {@link Error} included) closes that subscriber only; the
 * lane carries on with the others, so no input can leave a lane stuck with its work counter raised.
 */
final class Lane implements Runnable {
    /** Deliveries processed before the touched subscribers are flushed, so a long backlog does not delay writes. */
    private static final int RUN = 64;
    private final ConcurrentLinkedQueue<Delivery> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger wip = new AtomicInteger();
    private final Executor executor;
    /** Subscribers given an envelope in this run, each once (marked by {@link Subscriber#touched}). Lane-confined. */
    private final List<Subscriber> touched = new ArrayList<>();

    /** One envelope for this lane's subscribers of its channel, as they were when it was published. */
    record Delivery(Envelope envelope, Roster subscribers) {
    }

    Lane(Executor executor) {
        this.executor = executor;
    }

    /** Queues a delivery; never blocks. Called in offset order per channel (under the broker's channel lock). */
    void offer(Envelope envelope, Roster subscribers) {
        queue.offer(new Delivery(envelope, subscribers));
        if (wip.getAndIncrement() == 0) {
            try {
                executor.execute(this);
            } catch (RejectedExecutionException e) {
                queue.clear();
                wip.set(0); // shutting down
            }
        }
    }

    @Override
    public void run() {
        int missed = 1;
        for (;;) {
            Delivery d;
            int n = 0;
            while ((d = queue.poll()) != null) {
                for (Subscriber[] chunk : d.subscribers().chunks()) {
                    for (Subscriber s : chunk) {
                        try {
                            if (s.offer(d.envelope()) && !s.touched) {
                                s.touched = true;
                                touched.add(s);
                            }
                        } catch (Throwable t) { // one subscriber's fault never stops the lane
                            s.fault(t);
                        }
                    }
                }
                if (++n == RUN) {
                    flush();
                    n = 0;
                }
            }
            flush();
            missed = wip.addAndGet(-missed);
            if (missed == 0) {
                return;
            }
        }
    }

    private void flush() {
        for (int i = 0; i < touched.size(); i++) {
            Subscriber s = touched.get(i);
            s.touched = false;
            try {
                s.flush();
            } catch (Throwable t) {
                s.fault(t);
            }
        }
        touched.clear();
    }
}
