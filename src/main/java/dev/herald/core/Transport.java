package dev.herald.core;

import java.util.List;

/**
 * One connection's wire, as the core sees it: WebSocket, SSE, or an in-process listener. A transport only encodes
 * and writes; it never decides what to send.
 *
 * <p><b>Threading.</b> {@link #write} is called by the owning {@link Subscriber}'s drain, one call at a time and
 * never again before the previous call's {@link WriteCallback} completed. It is called from a Herald fan-out thread
 * (never a publisher's thread) and must not block: start the write and complete the callback, from any thread
 * (inline included), when the transport can take more. {@link #close} is called at most once, from a fan-out thread.
 */
public interface Transport {

    /** Completion of one {@link #write}. Exactly one of the two methods is called, once. */
    interface WriteCallback {
        void succeeded();

        void failed(Throwable cause);
    }

    /** Encodes and writes the items in order. */
    void write(List<Outbound> batch, WriteCallback callback);

    /** Closes the connection, telling the peer why where the wire allows it. */
    void close(Disconnect reason);

    /**
     * The last item to write before closing with {@code reason} when the server ends the connection gracefully
     * ({@link Subscriber#closeGracefully}, a draining node), or null to close at once. SSE answers its
     * {@code event: herald-reconnect} for {@link Disconnect#RESTART}; WebSocket and long-poll say it in the close
     * itself (close code 1012, {@code "reconnect":true}). Called once, from any thread.
     */
    default Outbound farewell(Disconnect reason) {
        return null;
    }

    /** A short name for logs and stats: {@code ws}, {@code sse}, {@code poll}, {@code java}. */
    String name();
}
