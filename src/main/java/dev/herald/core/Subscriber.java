package dev.herald.core;

import dev.herald.security.Caller;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * One connection as the core sees it, whatever its transport: the channels it subscribed to, where each one
 * stands (offset and epoch), and a bounded queue of what it has yet to be sent.
 *
 * <p><b>Fan-out never blocks.</b> A publish reaches this subscriber through its {@link Lane}, which appends to this
 * queue (a lock-free offer) and then starts a drain on the lane's thread; replies queued by {@link #send} schedule
 * the drain on Herald's fan-out executor. The drain hands batches to the {@link Transport}, one write at a time. When more than
 * {@code queueLimit} items wait, the subscriber is closed with {@link Disconnect#SLOW} instead of slowing the
 * publisher or growing without bound.
 *
 * <p><b>Nothing lost, nothing twice, in order.</b> While a subscription is replaying history, live envelopes of that
 * channel are held back; afterwards they follow the replay, and any envelope whose offset was already delivered is
 * dropped. A jump in offsets while live is reported as a {@link Gap}.
 *
 * <p>Created by {@link Bus#connect}; transports call {@link #send} for their own replies and {@link #close} when
 * the peer goes away.
 */
public final class Subscriber {
    private static final System.Logger LOG = System.getLogger(Subscriber.class.getName());
    private static final int MAX_BATCH = 512;

    private final long id;
    private volatile Caller caller;
    private final Transport transport;
    private final Executor executor;
    private final int queueLimit;
    private final Consumer<Subscriber> onClose;
    private final Map<String, ChannelState> channels = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Outbound> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicInteger wip = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile boolean writing;
    /** When the write in flight started, by {@link System#nanoTime}. */
    private volatile long writeStarted;
    /** When the connection last did something (a write completed, or the transport saw a frame come in). */
    private volatile long lastActive = System.nanoTime();
    /** Nanoseconds of inactivity after which {@link #expired} closes it; 0 never. */
    private volatile long idleTimeout;
    private volatile Disconnect closeReason;
    /** Set while its {@link Lane} has this subscriber in the list to flush; only the lane's thread touches it. */
    boolean touched;
    private final Transport.WriteCallback written = new Transport.WriteCallback() {
        @Override
        public void succeeded() {
            lastActive = System.nanoTime();
            writing = false;
            if (wip.getAndIncrement() == 0) {
                drain();
            }
        }

        @Override
        public void failed(Throwable cause) {
            writing = false;
            LOG.log(System.Logger.Level.DEBUG, () -> "write failed on " + Subscriber.this + ": " + cause);
            close(Disconnect.ERROR);
        }
    };

    Subscriber(long id, Caller caller, Transport transport, Executor executor, int queueLimit,
               Consumer<Subscriber> onClose) {
        this.id = id;
        this.caller = caller;
        this.transport = transport;
        this.executor = executor;
        this.queueLimit = queueLimit;
        this.onClose = onClose;
    }

    long id() {
        return id;
    }

    /** Channels where this connection is listed in presence, by the client id it joined under. */
    final Map<String, String> joined = new ConcurrentHashMap<>();

    /** The transport's name ({@code ws}, {@code sse}, {@code poll}, {@code java}). */
    String transportName() {
        return transport.name();
    }

    /**
     * A join or leave of a channel this connection subscribes to: queued if its subscription asked for events and is
     * live (events during its replay are not delivered: the presence list tells the state). Never blocks.
     */
    void presence(PresenceEvent event) {
        ChannelState state = channels.get(event.channel());
        if (state == null || !state.presenceEvents || closed.get()) {
            return;
        }
        synchronized (state) {
            if (state.held != null) {
                return;
            }
        }
        send(event);
    }

    public Caller caller() {
        return caller;
    }

    /** The connection re-authenticated ({@link Bus#reauthenticate}). */
    void caller(Caller caller) {
        this.caller = caller;
    }

    public boolean isClosed() {
        return closed.get();
    }

    /** Why it was closed, or null while open. */
    public Disconnect closeReason() {
        return closeReason;
    }

    /** The channels subscribed to. */
    public java.util.Set<String> channels() {
        return java.util.Collections.unmodifiableSet(channels.keySet());
    }

    /**
     * Closes the connection after {@code timeout} with nothing written to it and no {@link #active} call; zero never.
     * Transports whose peer may vanish silently (WebSocket) set it; Herald enforces it itself rather than relying on
     * a container's idle-timeout machinery (docs/protocol.md, section 7).
     */
    public void idleTimeout(java.time.Duration timeout) {
        idleTimeout = timeout.toNanos();
    }

    /** The transport received something from the peer (a frame): the connection is not idle. Any thread. */
    public void active() {
        lastActive = System.nanoTime();
    }

    /**
     * Closes this subscriber if a write has been in flight for {@code writeTimeout} nanoseconds or more
     * ({@link Disconnect#WRITE_TIMEOUT}: the transport never called back, or the peer stopped reading) or if it has
     * been idle past its {@link #idleTimeout} ({@link Disconnect#IDLE}). Called by the Bus' timer about once a second.
     *
     * @param now nanoseconds, by {@link System#nanoTime}
     * @return true if it closed the subscriber now
     */
    boolean expire(long now, long writeTimeout) {
        if (closed.get()) {
            return false;
        }
        Disconnect reason = null;
        if (writing && now - writeStarted >= writeTimeout) {
            reason = Disconnect.WRITE_TIMEOUT;
        } else if (idleTimeout > 0 && !writing && now - lastActive >= idleTimeout) {
            reason = Disconnect.IDLE;
        }
        if (reason != null) {
            close(reason);
            return true;
        }
        return false;
    }

    /** Items waiting to be written. */
    public int queued() {
        return queued.get();
    }

    /**
     * Queues a transport reply (ack, pong, error, heartbeat) in order with the messages. Returns false if the
     * subscriber is closed, or was just closed because its queue is full.
     */
    public boolean send(Outbound item) {
        if (closed.get()) {
            return false;
        }
        if (queued.get() >= queueLimit) {
            close(Disconnect.SLOW);
            return false;
        }
        enqueue(item);
        schedule();
        return true;
    }

    /**
     * Closes this subscriber once: unsubscribes it everywhere, drops what is queued and closes the transport with
     * the reason (on a fan-out thread). Safe to call from any thread, repeatedly.
     */
    public void close(Disconnect reason) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        closeReason = reason;
        onClose.accept(this);
        queue.clear();
        queued.set(0);
        try {
            executor.execute(() -> closeTransport(reason));
        } catch (RejectedExecutionException e) {
            closeTransport(reason);
        }
    }

    private void closeTransport(Disconnect reason) {
        try {
            transport.close(reason);
        } catch (Throwable e) { // a transport must not take the fan-out thread down with it
            LOG.log(System.Logger.Level.DEBUG, () -> "close failed on " + this + ": " + e);
        }
    }

    /** A bug or a container fault surfaced as a throw on Herald's thread: this connection ends, the thread goes on. */
    void fault(Throwable cause) {
        LOG.log(System.Logger.Level.WARNING, "closing " + this + " after a fault on a fan-out thread", cause);
        close(Disconnect.ERROR);
    }

    // ---- called by the Bus and the Hub ----

    /** Starts (or restarts) a subscription: live envelopes of the channel are held until {@link #finish}. */
    ChannelState begin(String channel) {
        ChannelState state = new ChannelState();
        state.fresh = channels.put(channel, state) == null;
        return state;
    }

    /** Ends a subscription; returns false if there was none. */
    boolean end(String channel) {
        return channels.remove(channel) != null;
    }

    /**
     * Queues the replay of a subscription (its {@link Subscribed}, any {@link Gap}, the history), then the live
     * envelopes held back meanwhile that come after it, and goes live.
     */
    void finish(String channel, ChannelState state, Subscribed subscribed, Gap gap, List<Envelope> replay) {
        synchronized (state) {
            if (channels.get(channel) != state || closed.get()) {
                return; // unsubscribed, resubscribed or closed meanwhile
            }
            enqueue(subscribed);
            if (gap != null) {
                enqueue(gap);
            }
            state.epoch = subscribed.epoch();
            state.last = subscribed.from();
            for (Envelope e : replay) {
                enqueue(e);
                state.last = e.offset();
            }
            List<Envelope> held = state.held;
            state.held = null;
            for (Envelope e : held) {
                live(state, e);
            }
        }
        schedule();
    }

    /**
     * A live envelope from this subscriber's {@link Lane}: queues it without starting a write. Returns true if
     * something was queued, so the lane must {@link #flush} this subscriber. Never blocks.
     */
    boolean offer(Envelope e) {
        ChannelState state = channels.get(e.channel());
        if (state == null || closed.get()) {
            return false;
        }
        boolean slow = false;
        boolean queuedOne = false;
        synchronized (state) {
            if (state.held != null) {
                if (state.held.size() >= queueLimit) {
                    slow = true;
                } else {
                    state.held.add(e);
                }
            } else if (queued.get() >= queueLimit) {
                slow = true;
            } else {
                queuedOne = live(state, e);
            }
        }
        if (slow) {
            close(Disconnect.SLOW);
        }
        return queuedOne;
    }

    /** Starts writing what is queued on the calling (fan-out) thread, unless a write or drain is under way. */
    void flush() {
        if (wip.getAndIncrement() == 0) {
            drain();
        }
    }

    /** Queues a live envelope unless already delivered; reports a jump in offsets or a new epoch as a gap. */
    private boolean live(ChannelState state, Envelope e) {
        if (!e.epoch().equals(state.epoch)) {
            enqueue(new Gap(e.channel(), state.last + 1, e.offset(), true, e.epoch()));
            state.epoch = e.epoch();
        } else if (e.offset() <= state.last) {
            return false;
        } else if (e.offset() > state.last + 1) {
            enqueue(new Gap(e.channel(), state.last + 1, e.offset(), false, e.epoch()));
        }
        state.last = e.offset();
        enqueue(e);
        return true;
    }

    // ---- the drain: one write in flight, batches of what is queued ----

    private void enqueue(Outbound item) {
        queue.offer(item);
        queued.incrementAndGet();
    }

    private void schedule() {
        if (wip.getAndIncrement() == 0) {
            try {
                executor.execute(this::drain);
            } catch (RejectedExecutionException e) {
                wip.set(0);
                close(Disconnect.SHUTDOWN);
            }
        }
    }

    private void drain() {
        int missed = 1;
        for (;;) {
            if (!writing && !closed.get()) {
                Outbound first = queue.poll();
                if (first != null) {
                    List<Outbound> batch = new ArrayList<>(Math.min(MAX_BATCH, queued.get() + 1));
                    batch.add(first);
                    Outbound next;
                    while (batch.size() < MAX_BATCH && (next = queue.poll()) != null) {
                        batch.add(next);
                    }
                    queued.addAndGet(-batch.size());
                    writeStarted = System.nanoTime();
                    writing = true;
                    try {
                        transport.write(batch, written);
                    } catch (Throwable e) { // an Error from a container's encoder included: this connection ends
                        writing = false;
                        fault(e);
                    }
                }
            }
            missed = wip.addAndGet(-missed);
            if (missed == 0) {
                return;
            }
        }
    }

    @Override
    public String toString() {
        return "Subscriber#" + id + "(" + transport.name() + ")";
    }

    /** Where one subscription stands. Guarded by its own monitor. */
    static final class ChannelState {
        long last;
        String epoch = "";
        /** Live envelopes held back during the replay; null once live. */
        List<Envelope> held = new ArrayList<>();
        /** False when this subscription replaced an earlier one of the same channel. */
        boolean fresh;
        /** Whether it gets join/leave events. */
        volatile boolean presenceEvents;
    }
}
