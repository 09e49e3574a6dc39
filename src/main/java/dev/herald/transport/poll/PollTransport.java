package dev.herald.transport.poll;

import dev.herald.core.Disconnect;
import dev.herald.core.Envelope;
import dev.herald.core.Frame;
import dev.herald.core.Gap;
import dev.herald.core.HeraldException;
import dev.herald.core.Outbound;
import dev.herald.core.StreamPosition;
import dev.herald.core.Subscribed;
import dev.herald.core.Transport;
import dev.herald.protocol.EnvelopeJson;
import dev.herald.protocol.GapJson;
import dev.herald.protocol.JsonText;
import dev.herald.protocol.StreamCursor;
import dev.herald.transport.HttpIo;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Collects the answer of one long-poll request (docs/protocol.md section 6.2): the envelopes and gaps its subscriber
 * is sent, and the cursor after them. Answers once, with the first batch after {@link #SUBSCRIBED_ALL} that carries
 * envelopes or gaps (at once, for a request without {@code since}), when the request times out, or when the
 * subscriber is closed; then the subscriber is closed and whatever it was still sent is dropped: the next poll
 * resumes from the cursor.
 *
 * <p>An answer holds at most {@value #MAX_MESSAGES} messages, and its gaps all come before its messages: a gap that
 * would follow a message ends the answer instead, and the next poll, resuming before it, is told again. So a client
 * applies the gaps first, then the messages.
 *
 * <p><b>The cursor never runs ahead of the answer.</b> A channel that resumes starts from the request's position and
 * moves only with the envelopes and gaps included; a channel that starts live takes its position from its
 * {@link Subscribed}, which nothing that could be cut away follows.
 *
 * <p>{@link #write} runs on a fan-out thread, one batch at a time; the {@link AsyncListener} callbacks on container
 * threads; the monitor guards what is collected. The answer is written on a container thread.
 */
final class PollTransport implements Transport, AsyncListener {
    private static final System.Logger LOG = System.getLogger(PollTransport.class.getName());
    /** Queued after the request's subscriptions: the answer waits for it, so the cursor names every channel. */
    static final Frame SUBSCRIBED_ALL = new Frame("");
    /** Most messages in one answer. */
    static final int MAX_MESSAGES = 512;

    private final AsyncContext async;
    /** False for a request without {@code since}: answer as soon as every channel is subscribed. */
    private final boolean hold;
    private final AtomicBoolean responded = new AtomicBoolean();
    private volatile Runnable onAnswered = () -> { };

    // guarded by this
    private final StreamCursor cursor = new StreamCursor();
    private final Set<String> resuming = new HashSet<>();
    private final StringBuilder messages = new StringBuilder();
    private final StringBuilder gaps = new StringBuilder();
    private int messageCount;
    private boolean subscribedAll;
    /** The answer is cut: it takes no more envelopes or gaps. */
    private boolean full;
    /** The answer's JSON once decided; null while collecting; empty when refused or failed (nothing to write). */
    private String answer;
    /** Closed by a draining node: the answer says {@code "reconnect":true} (docs/protocol.md, section 9). */
    private boolean reconnect;

    PollTransport(AsyncContext async, boolean hold) {
        this.async = async;
        this.hold = hold;
    }

    /** What to do once the answer is decided: close the subscriber. */
    void onAnswered(Runnable action) {
        this.onAnswered = action;
    }

    /** The request resumes {@code channel} from {@code from}. Called before the channel is subscribed. */
    synchronized void resumes(String channel, StreamPosition from) {
        resuming.add(channel);
        cursor.seed(channel, from.offset(), from.epoch());
    }

    @Override
    public void write(List<Outbound> batch, WriteCallback callback) {
        boolean decided = false;
        synchronized (this) {
            if (answer == null) {
                for (Outbound item : batch) {
                    collect(item);
                }
                if (subscribedAll && (!hold || full || messageCount > 0 || !gaps.isEmpty())) {
                    decided = decide();
                }
            }
        }
        callback.succeeded();
        if (decided) {
            answerLater();
        }
    }

    private void collect(Outbound item) {
        if (item == SUBSCRIBED_ALL) {
            subscribedAll = true;
        } else if (item instanceof Subscribed s) {
            if (!resuming.contains(s.channel())) {
                cursor.advance(s);
            }
        } else if (full) {
            return;
        } else if (item instanceof Envelope e) {
            if (messageCount == MAX_MESSAGES) {
                full = true;
                return;
            }
            messages.append(messageCount++ == 0 ? "" : ",").append(EnvelopeJson.of(e));
            cursor.advance(e);
        } else if (item instanceof Gap g) {
            if (messageCount > 0) {
                full = true;
                return;
            }
            gaps.append(gaps.isEmpty() ? "" : ",").append(GapJson.of(g));
            cursor.advance(g);
        }
    }

    /** Fixes the answer from what is collected. Returns false if it was already fixed. Holding the monitor. */
    private boolean decide() {
        if (answer != null) {
            return false;
        }
        StringBuilder b = new StringBuilder(messages.length() + gaps.length() + 96).append("{\"cursor\":");
        JsonText.string(b, cursor.token());
        answer = b.append(",\"messages\":[").append(messages).append("],\"gaps\":[").append(gaps).append("]")
                .append(reconnect ? ",\"reconnect\":true}" : "}").toString();
        return true;
    }

    private synchronized boolean decideNow() {
        return decide();
    }

    /** Closes the subscriber and writes the answer on a container thread (never a fan-out thread). */
    private void answerLater() {
        onAnswered.run();
        try {
            async.start(this::respond);
        } catch (IllegalStateException e) {
            LOG.log(System.Logger.Level.DEBUG, () -> "poll request already ended: " + e);
        }
    }

    /** Writes the decided answer and completes the request, once, from whichever thread comes first. */
    private void respond() {
        String body;
        synchronized (this) {
            body = answer;
        }
        if (body == null || !responded.compareAndSet(false, true)) {
            return;
        }
        try {
            HttpIo.json((HttpServletResponse) async.getResponse(), 200, body);
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, () -> "poll answer not written: " + e);
        }
        complete();
    }

    /** Refuses the request with an HTTP error, on the request's own thread, before anything was answered. */
    void refuse(HeraldException error) {
        synchronized (this) {
            if (answer != null) {
                return;
            }
            answer = "";
        }
        onAnswered.run();
        if (responded.compareAndSet(false, true)) {
            try {
                HttpIo.error((HttpServletResponse) async.getResponse(), error);
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, () -> "poll error not written: " + e);
            }
            complete();
        }
    }

    private void complete() {
        HttpIo.complete(async);
    }

    /** The subscriber was closed by Herald (shutdown, too slow): answer what is collected. */
    @Override
    public void close(Disconnect reason) {
        if (reason.equals(Disconnect.RESTART)) {
            synchronized (this) {
                reconnect = true;
            }
        }
        if (decideNow()) {
            answerLater();
        }
    }

    /** Nothing came within {@code herald.poll.timeout}: answer now, on this container thread, as it requires. */
    @Override
    public void onTimeout(AsyncEvent event) {
        decideNow();
        onAnswered.run();
        respond();
        complete();
    }

    @Override
    public void onError(AsyncEvent event) {
        synchronized (this) {
            if (answer == null) {
                answer = "";
            }
        }
        responded.set(true);
        onAnswered.run();
    }

    @Override
    public void onComplete(AsyncEvent event) {
        onAnswered.run();
    }

    @Override
    public void onStartAsync(AsyncEvent event) {
    }

    @Override
    public String name() {
        return "poll";
    }
}
