package dev.herald.browser;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A reverse proxy as hostile as the corporate ones herald.js has to get through: it refuses WebSocket upgrades
 * (403) and buffers event streams (an SSE request is held and never answered), and passes every other request on
 * to the upstream Herald. One request per connection: it forwards {@code Connection: close}, so the upstream ends
 * each response by closing, and copies the response back byte for byte.
 *
 * <p>Its hostility can be switched at run time ({@link #refuseWebSockets}, {@link #bufferStreams}), as when a
 * network's proxy changes under an open page: while allowed, upgrades and event streams are tunnelled both ways;
 * turning one hostile also cuts the WebSockets or streams open through it. Switches are thread-safe.
 */
final class HostileProxy implements AutoCloseable {
    private final ServerSocket server;
    private final URI upstream;
    private final Set<Socket> clients = ConcurrentHashMap.newKeySet();
    private final Set<Socket> webSockets = ConcurrentHashMap.newKeySet();
    private final Set<Socket> streams = ConcurrentHashMap.newKeySet();
    private volatile boolean refuseWebSockets = true;
    private volatile boolean bufferStreams = true;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "hostile-proxy");
        t.setDaemon(true);
        return t;
    });

    private HostileProxy(URI upstream) throws IOException {
        this.upstream = upstream;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        threads.execute(this::accept);
    }

    /** A proxy on a free loopback port in front of {@code upstream} (a Herald context root). */
    static HostileProxy before(URI upstream) {
        try {
            return new HostileProxy(upstream);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A proxy that lets everything through until told otherwise by {@link #refuseWebSockets} or
     * {@link #bufferStreams}.
     */
    static HostileProxy friendlyBefore(URI upstream) {
        HostileProxy proxy = before(upstream);
        proxy.refuseWebSockets(false);
        proxy.bufferStreams(false);
        return proxy;
    }

    /** From now on, refuse WebSocket upgrades with 403 and cut the WebSockets open through it; or let them through. */
    void refuseWebSockets(boolean refuse) {
        refuseWebSockets = refuse;
        if (refuse) {
            cut(webSockets);
        }
    }

    /** From now on, hold event streams unanswered and cut the ones open through it; or stream them through. */
    void bufferStreams(boolean buffer) {
        bufferStreams = buffer;
        if (buffer) {
            cut(streams);
        }
    }

    private static void cut(Set<Socket> sockets) {
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }

    /** The context root through the proxy. */
    URI base() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort() + upstream.getRawPath());
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                clients.add(client);
                threads.execute(() -> serve(client));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(Socket client) {
        try (client; InputStream in = client.getInputStream(); OutputStream out = client.getOutputStream()) {
            String head = readHead(in);
            if (head == null) {
                return;
            }
            String lower = head.toLowerCase(Locale.ROOT);
            String target = head.substring(head.indexOf(' ') + 1, head.indexOf(' ', head.indexOf(' ') + 1));
            if (lower.contains("\nupgrade: websocket")) {
                if (refuseWebSockets) {
                    out.write("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                            .getBytes(StandardCharsets.US_ASCII));
                } else {
                    tunnel(client, head, in, out);
                }
                return;
            }
            if (target.startsWith(upstream.getRawPath() + "sse")) {
                if (bufferStreams) {
                    streams.add(client);
                    in.transferTo(OutputStream.nullOutputStream()); // hold it, answer nothing, until the client gives up
                    return;
                }
                streams.add(client);
            }
            forward(head, in, out);
        } catch (IOException e) {
            // the client or the upstream went away
        } finally {
            clients.remove(client);
            streams.remove(client);
            webSockets.remove(client);
        }
    }

    /** An allowed upgrade: the request as it came, then bytes copied both ways until either side closes. */
    private void tunnel(Socket client, String head, InputStream in, OutputStream out) throws IOException {
        int port = upstream.getPort() < 0 ? 80 : upstream.getPort();
        try (Socket up = new Socket(upstream.getHost(), port)) {
            webSockets.add(client);
            if (refuseWebSockets) {
                return; // switched while this one connected
            }
            up.getOutputStream().write((head + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            up.getOutputStream().flush();
            InputStream fromUpstream = up.getInputStream();
            OutputStream toUpstream = up.getOutputStream();
            threads.execute(() -> {
                try {
                    in.transferTo(toUpstream);
                } catch (IOException e) {
                    // either side went away
                } finally {
                    close(up);
                    close(client);
                }
            });
            fromUpstream.transferTo(out);
        } finally {
            close(client);
        }
    }

    private static void close(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    private void forward(String head, InputStream in, OutputStream out) throws IOException {
        StringBuilder request = new StringBuilder();
        long length = 0;
        for (String line : head.split("\r\n")) {
            String lower = line.toLowerCase(Locale.ROOT);
            if (lower.startsWith("connection:") || lower.startsWith("keep-alive:")) {
                continue;
            }
            if (lower.startsWith("content-length:")) {
                length = Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
            }
            request.append(line).append("\r\n");
        }
        request.append("Connection: close\r\n\r\n");
        int port = upstream.getPort() < 0 ? 80 : upstream.getPort();
        try (Socket up = new Socket(upstream.getHost(), port)) {
            OutputStream toUpstream = up.getOutputStream();
            toUpstream.write(request.toString().getBytes(StandardCharsets.ISO_8859_1));
            toUpstream.write(in.readNBytes((int) length));
            toUpstream.flush();
            up.getInputStream().transferTo(out);
        }
    }

    /** The request line and headers, without the blank line; null if the client closed first. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        for (int b; (b = in.read()) >= 0; ) {
            head.write(b);
            matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
            if (matched == 4) {
                String text = head.toString(StandardCharsets.ISO_8859_1);
                return text.substring(0, text.length() - 4);
            }
        }
        return null;
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        for (Socket client : clients) {
            try {
                client.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
        threads.shutdownNow();
    }
}
