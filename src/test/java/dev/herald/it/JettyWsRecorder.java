package dev.herald.it;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.eclipse.jetty.websocket.api.Session;

/**
 * Records the text frames of a WebSocket opened with Jetty's client. Public, as Jetty's client reaches its listener's
 * methods through a public lookup. Frames arrive on Jetty's threads; the test takes them from {@link #frames}.
 */
public final class JettyWsRecorder implements Session.Listener.AutoDemanding {
    /** Every text frame received, oldest first. */
    public final BlockingQueue<String> frames = new LinkedBlockingQueue<>();

    @Override
    public void onWebSocketText(String text) {
        frames.add(text);
    }
}
