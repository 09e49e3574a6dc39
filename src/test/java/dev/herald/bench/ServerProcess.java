package dev.herald.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A server under test, started by the bench as a child process (Herald's standalone runner or a Node peer), and
 * what {@code /proc} says about it: CPU time, write syscalls, RSS, open files. The live heap after a full GC comes
 * from {@code jcmd} for a JVM and from the peer's {@code GET /stats} for Node.
 */
final class ServerProcess implements AutoCloseable {
    private static final Pattern STARTED = Pattern.compile("started at http://localhost:(\\d+)/");
    private static final Pattern USED = Pattern.compile("used (\\d+)K");
    private static final long TICK_NANOS = 10_000_000L; // USER_HZ = 100 on Linux
    private final Process process;
    private final URI base;
    private final boolean jvm;

    private ServerProcess(Process process, URI base, boolean jvm) {
        this.process = process;
        this.base = base;
        this.jvm = jvm;
    }

    /** CPU (user+sys), write syscalls and RSS of the process at one moment. */
    record Usage(long cpuNanos, long writeSyscalls, long rssBytes) {
        Usage minus(Usage earlier) {
            return new Usage(cpuNanos - earlier.cpuNanos, writeSyscalls - earlier.writeSyscalls,
                    rssBytes - earlier.rssBytes);
        }
    }

    /**
     * Starts {@code command} (which prints {@code … started at http://localhost:PORT/} once it serves), logging to
     * {@code log}, and waits for it.
     */
    static ServerProcess start(List<String> command, boolean jvm, Path log) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IOException("server exited at start: " + command + "; see " + log);
            }
            Matcher m = STARTED.matcher(Files.readString(log));
            if (m.find()) {
                return new ServerProcess(p, URI.create("http://127.0.0.1:" + m.group(1) + "/"), jvm);
            }
            p.waitFor(100, TimeUnit.MILLISECONDS);
        }
        p.destroyForcibly();
        throw new IOException("server did not start within 90 s: " + command + "; see " + log);
    }

    URI base() {
        return base;
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.isAlive();
    }

    Usage usage() {
        return usage(process.pid());
    }

    /** What /proc says about process {@code pid} now. */
    static Usage usage(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14 and 15: utime, stime
            long syscw = 0;
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/io"))) {
                if (line.startsWith("syscw:")) {
                    syscw = Long.parseLong(line.substring(6).trim());
                }
            }
            return new Usage(ticks * TICK_NANOS, syscw, rss(pid));
        } catch (IOException | RuntimeException e) {
            return new Usage(0, 0, 0);
        }
    }

    private static long rss(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return 0;
    }

    /** Open file descriptors of the process. */
    long openFiles() {
        String[] fds = new java.io.File("/proc/" + process.pid() + "/fd").list();
        return fds == null ? -1 : fds.length;
    }

    /** Runs a full GC in the server, then returns its live heap in bytes (Java heap or V8 heap). */
    long heapAfterGc() throws IOException, InterruptedException {
        if (!jvm) {
            // HTTP/1.1: an h2c upgrade header would be taken for a WebSocket upgrade by the ws and Socket.IO peers
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("stats"))
                    .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
            Matcher m = Pattern.compile("\"heapUsed\":(\\d+)").matcher(r.body());
            if (!m.find()) {
                throw new IOException("GET /stats answered " + r.statusCode() + ": " + r.body());
            }
            return Long.parseLong(m.group(1));
        }
        jcmd("GC.run");
        long used = 0;
        for (String line : jcmd("GC.heap_info").split("\n")) {
            if (line.contains("Metaspace") || line.contains("class space")) {
                continue;
            }
            Matcher m = USED.matcher(line);
            if (m.find()) {
                used += Long.parseLong(m.group(1)) * 1024;
            }
        }
        return used;
    }

    private String jcmd(String command) throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        List<String> cmd = new ArrayList<>(List.of(jcmd.toString(), Long.toString(process.pid()), command));
        // through a file, with a deadline: jcmd never returns from a JVM stuck in OutOfMemoryError
        Path out = Files.createTempFile("jcmd", ".txt");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("jcmd " + command + " did not answer within 60 s (pid " + process.pid() + ")");
            }
            return Files.readString(out);
        } finally {
            Files.deleteIfExists(out);
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
