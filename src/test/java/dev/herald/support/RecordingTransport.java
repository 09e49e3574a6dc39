package dev.herald.support;

import dev.herald.core.Disconnect;
import dev.herald.core.Envelope;
import dev.herald.core.Outbound;
import dev.herald.core.Transport;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;

/**
 * A transport that records everything written to it and completes each write at once; or, when built
 * {@link #stuck()}, never completes a write, like a client that stopped reading; or, when built {@link #paused()},
 * holds the first write's completion until {@link #resume()}, like a client that reads again after a pause.
 */
public final class RecordingTransport implements Transport {
    private final boolean stuck;
    private volatile boolean paused;
    private volatile WriteCallback held;
    private final List<Outbound> written = new CopyOnWriteArrayList<>();
    private final CountDownLatch closed = new CountDownLatch(1);
    private volatile Disconnect closeReason;

    private RecordingTransport(boolean stuck) {
        this.stuck = stuck;
    }

    public static RecordingTransport recording() {
        return new RecordingTransport(false);
    }

    public static RecordingTransport stuck() {
        return new RecordingTransport(true);
    }

    public static RecordingTransport paused() {
        RecordingTransport t = new RecordingTransport(false);
        t.paused = true;
        return t;
    }

    /** Completes the write held while paused; from now on every write completes at once. */
    public void resume() {
        paused = false;
        WriteCallback c = held;
        held = null;
        if (c != null) {
            c.succeeded();
        }
    }

    @Override
    public void write(List<Outbound> batch, WriteCallback callback) {
        written.addAll(batch);
        if (paused) {
            held = callback;
        } else if (!stuck) {
            callback.succeeded();
        }
    }

    @Override
    public void close(Disconnect reason) {
        closeReason = reason;
        closed.countDown();
    }

    @Override
    public String name() {
        return "recording";
    }

    public List<Outbound> written() {
        return List.copyOf(written);
    }

    public List<Envelope> envelopes() {
        return written.stream().filter(Envelope.class::isInstance).map(Envelope.class::cast)
                .collect(Collectors.toList());
    }

    public List<Long> offsets() {
        return envelopes().stream().map(Envelope::offset).collect(Collectors.toList());
    }

    public CountDownLatch closedLatch() {
        return closed;
    }

    public Disconnect closeReason() {
        return closeReason;
    }
}
