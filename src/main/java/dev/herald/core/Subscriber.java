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
 * publisher or growing without bound, unless the channel's namespace says otherwise ({@link Namespace.SlowConsumer}):
 * with {@code conflate}, once {@value #BEHIND} items wait, the channel's live envelopes are held per conflation key
 * (only the latest of each is kept) behind one place in the queue, and written from there with a conflated
 * {@link Gap} for the offsets skipped; with {@code drop-oldest}, once the queue is full, the channel's envelopes are
 * held the same way keyed by offset, the oldest dropped past {@code queueLimit}, with an ordinary gap.
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
    /** Items waiting past which a conflating channel's envelopes are conflated rather than queued one by one. */
    static final int BEHIND = 16;

    private final long id;
    private volatile Caller caller;
    private final Transport transport;
    private final Executor executor;
    private final int queueLimit;
    private final Consumer<Subscriber> onClose;
    private final Probe probe;
    /** When it was registered, by {@link System#nanoTime}. */
    private final long opened = System.nanoTime();
    /** The batch being written, for the {@link Probe} once the write completes; only the drain and its callback. */
    private volatile List<Outbound> inFlight;
    /** The transport's last item before a graceful close ({@link #closeGracefully}), and the reason to close with. */
    private volatile Outbound farewell;
    private volatile Disconnect farewellReason;
    private final Map<String, ChannelState> channels = new ConcurrentHashMap<>();
    /** {@link Outbound} items, and {@link Pending} places of channels whose envelopes are held per key. */
    private final ConcurrentLinkedQueue<Object> queue = new ConcurrentLinkedQueue<>();
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
            List<Outbound> batch = inFlight;
            inFlight = null;
            boolean last = batch != null && report(batch);
            writing = false;
            if (last) {
                close(farewellReason);
                return;
            }
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
               Consumer<Subscriber> onClose, Probe probe) {
        this.id = id;
        this.caller = caller;
        this.transport = transport;
        this.executor = executor;
        this.queueLimit = queueLimit;
        this.onClose = onClose;
        this.probe = probe;
    }

    /** Tells the probe of the envelopes of a written batch; true if the batch held the farewell. */
    private boolean report(List<Outbound> batch) {
        Outbound last = farewell;
        boolean found = false;
        long now = System.currentTimeMillis();
        String name = transport.name();
        for (Outbound item : batch) {
            if (item instanceof Envelope e) {
                try {
                    probe.delivered(name, e, now - e.ts());
                } catch (RuntimeException ex) {
                    LOG.log(System.Logger.Level.DEBUG, () -> "probe failed: " + ex);
                }
            } else if (last != null && item == last) {
                found = true;
            }
        }
        return found;
    }

    /** The transport's name ({@link Transport#name()}): {@code ws}, {@code sse}, {@code poll}, {@code java}. */
    public String transportName() {
        return transport.name();
    }

    /** Nanoseconds since the connection was registered. */
    public long openNanos() {
        return System.nanoTime() - opened;
    }

    Transport transport() {
        return transport;
    }

    /**
     * Ends the connection the way a draining node does: the transport's {@link Transport#farewell farewell} for
     * {@code reason} (SSE: {@code event: herald-reconnect}) is queued after what is already queued, and the connection
     * is closed with {@code reason} once it has been written; a transport without one is closed at once. Any thread.
     */
    public void closeGracefully(Disconnect reason) {
        Outbound last = transport.farewell(reason);
        if (last == null || closed.get()) {
            close(reason);
            return;
        }
        farewellReason = reason;
        farewell = last;
        if (!send(last)) {
            close(reason);
        }
    }

    long id() {
        return id;
    }

    /** Channels where this connection is listed in presence, by the client id it joined under. */
    final Map<String, String> joined = new ConcurrentHashMap<>();

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

    /**
     * Starts (or restarts) a subscription: live envelopes of the channel are held until {@link #finish}.
     *
     * @param namespace the channel's namespace, for its slow-consumer policy; null for the default
     */
    ChannelState begin(String channel, Namespace namespace) {
        ChannelState state = new ChannelState(channel, namespace);
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
            if (state.policy == Namespace.SlowConsumer.CONFLATE && replay.size() > BEHIND) {
                // a client far behind on a conflating channel (a resume, a long-poll) gets the latest per key
                tell(state.policy, true, 0);
                state.pending = new java.util.LinkedHashMap<>();
                for (Envelope e : replay) {
                    state.hold(e, Integer.MAX_VALUE);
                }
                for (Envelope e : state.pending.values()) {
                    emit(state, e, true, this::enqueue);
                }
                state.pending = null;
                tell(state.policy, false, state.takeSkipped());
            } else {
                for (Envelope e : replay) {
                    enqueue(e);
                    state.last = e.offset();
                }
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
            } else if (state.pending != null) {
                slow = !state.hold(e, queueLimit); // what it skips is told once, when the drain writes the rest
            } else if (state.behind(queued.get(), queueLimit)) {
                tell(state.policy, true, 0);
                state.pending = new java.util.LinkedHashMap<>();
                slow = !state.hold(e, queueLimit);
                enqueue(new Pending(state));
                queuedOne = true;
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

    /**
     * Tells the probe what a slow-consumer policy did ({@link Probe#fellBehind}, {@link Probe#skipped}); nothing when
     * it did nothing. A throw from the probe is logged and forgotten: it never reaches the fan-out.
     */
    private void tell(Namespace.SlowConsumer policy, boolean fellBehind, int skipped) {
        try {
            if (fellBehind) {
                probe.fellBehind(transport.name(), policy);
            }
            if (skipped > 0) {
                probe.skipped(transport.name(), policy, skipped);
            }
        } catch (RuntimeException ex) {
            LOG.log(System.Logger.Level.DEBUG, () -> "probe failed: " + ex);
        }
    }

    /** Queues a live envelope unless already delivered; reports a jump in offsets or a new epoch as a gap. */
    private boolean live(ChannelState state, Envelope e) {
        return emit(state, e, false, this::enqueue);
    }

    /**
     * Hands a live envelope to {@code sink} unless already delivered, after a gap for a jump in offsets (conflated
     * when {@code conflated}) or a new epoch. Call holding the state's lock.
     */
    private static boolean emit(ChannelState state, Envelope e, boolean conflated, Consumer<Outbound> sink) {
        if (!e.epoch().equals(state.epoch)) {
            sink.accept(new Gap(e.channel(), state.last + 1, e.offset(), true, e.epoch()));
            state.epoch = e.epoch();
        } else if (e.offset() <= state.last) {
            return false;
        } else if (e.offset() > state.last + 1) {
            sink.accept(new Gap(e.channel(), state.last + 1, e.offset(), false, e.epoch(), conflated));
        }
        state.last = e.offset();
        sink.accept(e);
        return true;
    }

    /**
     * The place in the queue of a channel's envelopes held per key ({@link ChannelState#pending}); the drain writes
     * what is held there when it reaches it.
     */
    private record Pending(ChannelState state) {
    }

    /** Adds a polled queue item to the batch: an {@link Outbound} as is, a {@link Pending} as what it holds. */
    private void add(List<Outbound> batch, Object item) {
        if (!(item instanceof Pending p)) {
            batch.add((Outbound) item);
            return;
        }
        ChannelState state = p.state();
        int skipped;
        synchronized (state) {
            java.util.LinkedHashMap<Object, Envelope> held = state.pending;
            state.pending = null;
            skipped = state.takeSkipped();
            if (held != null && channels.get(state.channel) == state) { // else unsubscribed meanwhile
                boolean conflated = state.policy == Namespace.SlowConsumer.CONFLATE;
                for (Envelope e : held.values()) { // in offset order: each key's latest moved to the end
                    emit(state, e, conflated, batch::add);
                }
            }
        }
        tell(state.policy, false, skipped); // once per catch-up, not once per envelope held
    }

    // ---- the drain: one write in flight, batches of what is queued ----

    private void enqueue(Object item) {
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
                Object first = queue.poll();
                if (first != null) {
                    List<Outbound> batch = new ArrayList<>(Math.min(MAX_BATCH, queued.get() + 1));
                    add(batch, first);
                    int polled = 1;
                    Object next;
                    while (polled < MAX_BATCH && (next = queue.poll()) != null) {
                        add(batch, next);
                        polled++;
                    }
                    queued.addAndGet(-polled);
                    if (batch.isEmpty()) {
                        continue; // only places of channels left meanwhile: poll again
                    }
                    writeStarted = System.nanoTime();
                    inFlight = batch;
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
        final String channel;
        final Namespace.SlowConsumer policy;
        /** With {@code conflate}: null for one per channel, else the data member whose value is the key. */
        final String conflateMember;
        long last;
        String epoch = "";
        /** Live envelopes held back during the replay; null once live. */
        List<Envelope> held = new ArrayList<>();
        /** Live envelopes held per key while the subscriber is behind (one {@link Pending} queued); else null. */
        java.util.LinkedHashMap<Object, Envelope> pending;
        /** Envelopes {@link #hold} dropped or superseded since the last {@link #takeSkipped}, for the probe. */
        int skipped;
        /** False when this subscription replaced an earlier one of the same channel. */
        boolean fresh;
        /** Whether it gets join/leave events. */
        volatile boolean presenceEvents;

        ChannelState(String channel, Namespace namespace) {
            this.channel = channel;
            this.policy = namespace == null ? Namespace.SlowConsumer.DISCONNECT : namespace.slowConsumer();
            String key = namespace == null ? "channel" : namespace.conflateKey();
            this.conflateMember = key.startsWith("data.") ? key.substring("data.".length()) : null;
        }

        /** Whether, with {@code queued} items waiting, this channel's envelopes should be held per key from now. */
        boolean behind(int queued, int queueLimit) {
            return switch (policy) {
                case DISCONNECT -> false;
                case CONFLATE -> queued >= BEHIND;
                case DROP_OLDEST -> queued >= queueLimit;
            };
        }

        /**
         * Holds a live envelope per key: the latest per conflation key, or (drop-oldest) by offset, dropping the
         * oldest past {@code limit}. Returns false when a conflating channel has more than {@code limit} keys held
         * (the subscriber is closed as slow).
         */
        boolean hold(Envelope e, int limit) {
            if (policy == Namespace.SlowConsumer.DROP_OLDEST) {
                pending.put(e.offset(), e);
                if (pending.size() > limit) {
                    var eldest = pending.keySet().iterator();
                    eldest.next();
                    eldest.remove();
                    skipped++;
                }
                return true;
            }
            Object key = conflateMember == null ? "" : memberOf(e.data(), conflateMember);
            if (pending.remove(key) != null) { // re-inserted last: the map stays in offset order
                skipped++;
            }
            pending.put(key, e);
            return pending.size() <= limit;
        }

        /** What {@link #hold} dropped or superseded since the last call; counting starts afresh. */
        int takeSkipped() {
            int n = skipped;
            skipped = 0;
            return n;
        }

        /** The JSON text of a top-level member of the data object, or "" (one key) if it has none. */
        private static Object memberOf(String data, String member) {
            if (data.isEmpty() || data.charAt(0) != '{') {
                return "";
            }
            try {
                StrictJson.Document d = StrictJson.parse(data, StrictJson.MAX_DEPTH + 1);
                StrictJson.Member m = d.kind() == StrictJson.Kind.OBJECT ? d.members().get(member) : null;
                return m == null ? "" : m.json();
            } catch (HeraldException e) {
                return "";
            }
        }
    }
}
