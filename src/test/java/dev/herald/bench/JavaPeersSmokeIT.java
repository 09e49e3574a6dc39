package dev.herald.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Keeps the Java peers of the benchmark (bench/peers-java: Spring Boot, Vert.x) answering the load generator, so
 * they cannot rot: builds a peer's jar when it is missing or older than its sources ({@code mvn -q -B -ntp package}
 * in its directory, as {@code bench/run.sh} does), starts it as {@link Matrix} does, then over WebSocket and over SSE
 * 10 subscribers x 10 messages (open loop) and a 200 ms closed loop through the same {@link LoadGenerator}, and the
 * live heap through {@code jcmd} as the idle run reads it. Checks counts (every message delivered once to every
 * subscriber, no errors), never timings.
 */
class JavaPeersSmokeIT {
    private static final Path PEERS = Path.of("bench", "peers-java");
    /** Small and quick to start: the smoke test measures nothing. */
    private static final String JVM = "-XX:+UseSerialGC -Xmx256m -XX:TieredStopAtLevel=1";

    @ParameterizedTest
    @ValueSource(strings = {"spring", "vertx"})
    void tenSubscribersGetTenMessagesEachOnceOverWebSocketAndSse(String peer) throws Exception {
        // no Herald here: run once, in the embedded suite, not again against each container's deployment
        assumeTrue(System.getProperty("herald.test.url", "").isBlank(), "the container suites test Herald only");
        build(peer);
        Path logs = Path.of("target", "bench-logs");
        Files.createDirectories(logs);
        try (ServerProcess server = ServerProcess.start(Matrix.javaPeerCommand(JVM, PEERS, peer), true,
                logs.resolve("smoke-" + peer + ".log"))) {
            for (String transport : List.of("ws", "sse")) {
                Target target = Target.javaPeer(peer, transport, server.base());
                try (LoadGenerator gen = new LoadGenerator(target)) {
                    LoadGenerator.Connected connected = gen.connect(10, 10);
                    assertThat(connected.failed()).as(target.label()).isZero();

                    LoadGenerator.Outcome open = gen.openLoop(1000, Duration.ofMillis(100), 10, server::usage);
                    assertThat(open.published()).as(target.label()).isEqualTo(10);
                    assertThat(open.delivered()).as(target.label()).isEqualTo(100);
                    assertThat(open.lost() + open.duplicates() + open.publishErrors() + open.connectionErrors())
                            .as(target.label()).isZero();
                    assertThat(open.latency().getTotalCount()).isEqualTo(100);

                    LoadGenerator.Outcome closed = gen.closedLoop(Duration.ofMillis(200), 4, server::usage);
                    assertThat(closed.published()).as(target.label()).isPositive();
                    assertThat(closed.delivered()).as(target.label()).isEqualTo(closed.published() * 10);
                    assertThat(closed.lost() + closed.duplicates() + closed.publishErrors())
                            .as(target.label()).isZero();
                    assertThat(Row.of(target, connected, closed).label()).isEqualTo(peer + "/" + transport);
                }
            }
            assertThat(server.heapAfterGc()).isPositive();
            assertThat(server.alive()).isTrue();
        }
    }

    /** Builds bench/peers-java/PEER when its jar is missing or older than its pom or a source file. */
    private static void build(String peer) throws IOException, InterruptedException {
        Path dir = PEERS.resolve(peer);
        Path jar = Matrix.javaPeerJar(PEERS, peer);
        if (Files.exists(jar) && newest(dir).compareTo(Files.getLastModifiedTime(jar)) <= 0) {
            return;
        }
        Path log = Path.of("target", "bench-logs", "build-" + peer + ".log");
        Files.createDirectories(log.getParent());
        Process mvn = new ProcessBuilder("mvn", "-q", "-B", "-ntp", "package").directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean done = mvn.waitFor(5, TimeUnit.MINUTES);
        if (!done) {
            mvn.destroyForcibly();
        }
        assertThat(done).as("mvn package in %s within 5 minutes; see %s", dir, log).isTrue();
        assertThat(mvn.exitValue()).as("mvn package in %s; see %s", dir, log).isZero();
        assertThat(jar).exists();
    }

    private static FileTime newest(Path dir) throws IOException {
        FileTime newest = Files.getLastModifiedTime(dir.resolve("pom.xml"));
        try (Stream<Path> files = Files.walk(dir.resolve("src"))) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                FileTime t = Files.getLastModifiedTime(f);
                if (t.compareTo(newest) > 0) {
                    newest = t;
                }
            }
        }
        return newest;
    }
}
