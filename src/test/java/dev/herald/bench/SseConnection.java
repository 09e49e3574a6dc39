package dev.herald.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.function.Supplier;
import org.eclipse.jetty.client.Response;

/**
 * An SSE subscriber: a streaming GET whose body is parsed line by line straight from the bytes. Ready at the first
 * event that carries an {@code id:} field (Herald's subscription event, express-sse's initial event); every
 * {@code data:} line after that is read for {@code seq}/{@code t}.
 */
final class SseConnection extends Connection implements Response.Listener {
    private byte[] line = new byte[512];
    private int length;
    private boolean sawId;
    private volatile Response response;

    SseConnection(Supplier<Phase> phase, Runnable onError) {
        super(phase, onError);
    }

    @Override
    public void onHeaders(Response r) {
        response = r;
        if (r.getStatus() != 200) {
            failed(new IOException("HTTP " + r.getStatus()));
        }
    }

    @Override
    public void onContent(Response r, ByteBuffer content) {
        while (content.hasRemaining()) {
            byte b = content.get();
            if (b == '\n') {
                line();
                length = 0;
            } else {
                if (length == line.length) {
                    line = Arrays.copyOf(line, length * 2);
                }
                line[length++] = b;
            }
        }
    }

    private void line() {
        if (length == 0) {
            if (sawId && !ready.isDone()) {
                subscribed();
            }
            sawId = false;
        } else if (startsWith("id:")) {
            sawId = true;
        } else if (startsWith("data:") && ready.isDone()) {
            CharSequence text = new Ascii(line, length);
            long seq = Payload.seq(text);
            if (seq >= 0) {
                payload(seq, Payload.sentAt(text));
            }
        }
    }

    private boolean startsWith(String prefix) {
        if (length < prefix.length()) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            if (line[i] != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void onFailure(Response r, Throwable cause) {
        failed(cause);
    }

    @Override
    public void onSuccess(Response r) {
        failed(new IOException("the server ended the stream"));
    }

    @Override
    void close() {
        closing = true;
        Response r = response;
        if (r != null) {
            r.abort(new IOException("bench done"));
        }
    }

    /** The bytes of a line as characters, without copying (the JSON we look for is ASCII). */
    private record Ascii(byte[] bytes, int length) implements CharSequence {
        @Override
        public char charAt(int i) {
            return (char) (bytes[i] & 0xff);
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return new String(bytes, start, end - start, java.nio.charset.StandardCharsets.ISO_8859_1);
        }

        @Override
        public String toString() {
            return subSequence(0, length).toString();
        }
    }
}
