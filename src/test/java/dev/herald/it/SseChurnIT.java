package dev.herald.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;

/**
 * SSE streams whose clients vanish are failed by the writes that find them gone, while new streams open. A container
 * recycles an ended exchange's objects for the next connection (Tomcat reuses its processors), so a stream that
 * touched its exchange after the container had ended it broke a newcomer: the new stream got its {@code retry:} and
 * then nothing, or a "Broken pipe" that was not its own (seen in CI on Tomcat 11). Every newcomer must stream.
 */
class SseChurnIT {
    private static final int STREAMS = 60;

    @Test
    void newStreamsFlowWhileDeadOnesAreFailedByWrites() {
        List<String> deadChannels = new ArrayList<>();
        for (int i = 0; i < STREAMS; i++) {
            String which = "newcomer " + i;
            String dead = Http.channel("churn-dead");
            deadChannels.add(dead);
            try (SseClient victim = SseClient.open("?channel=" + dead)) {
                soon("the victim subscribed", () -> victim.lastEventId().contains(dead + "="));
            }
            // the first write after the client went may still succeed; the next fails, as the newcomer connects
            Http.publish(dead, "1");
            Http.publish(dead, "2");

            String fresh = Http.channel("churn-new");
            try (SseClient newcomer = SseClient.open("?channel=" + fresh)) {
                assertThat(newcomer.status()).isEqualTo(200);
                soon(which + " subscribed", () -> newcomer.lastEventId().contains(fresh + "="));
                Http.publish(fresh, "\"hello\"");
                soon(which + " got its message", () -> !newcomer.envelopes(fresh).isEmpty());
                assertThat(newcomer.envelopes(fresh).get(0).getString("data")).isEqualTo("hello");
            }
        }
        // and every vanished stream was noticed and removed (by the writes, or at the latest by a heartbeat)
        await().atMost(Duration.ofSeconds(45))
                .until(() -> deadChannels.stream().allMatch(channel -> Http.subscribers(channel) == 0));
    }

    /** Waits as the other scenarios do, polling often: this scenario waits 180 times. */
    private static void soon(String what, Callable<Boolean> condition) {
        await(what).pollInterval(Duration.ofMillis(5)).atMost(WsClient.WAIT).until(condition);
    }
}
