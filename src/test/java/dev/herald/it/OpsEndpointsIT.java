package dev.herald.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/**
 * README "Operate": the operations endpoints wherever Herald is deployed (the standalone runner, and each container
 * of {@code ContainerSuiteIT}): {@code health/live} and {@code health/ready} answer UP, and {@code metrics} answers
 * the Prometheus text format to a direct loopback client, or 403 through the reverse proxy of the nginx profile
 * (profiles nginx and nginx-cluster: it adds {@code X-Forwarded-For}).
 */
class OpsEndpointsIT {

    @Test
    void healthAnswersUpInMicroProfileHealthsShape() {
        HttpResponse<String> live = Http.get("health/live");
        assertThat(live.statusCode()).isEqualTo(200);
        assertThat(Http.json(live).getString("status")).isEqualTo("UP");
        HttpResponse<String> ready = Http.get("health/ready");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(Http.json(ready).getString("status")).isEqualTo("UP");
        assertThat(Http.json(ready).getJsonArray("checks")).hasSize(2);
        assertThat(Http.get("health/other").statusCode()).isEqualTo(404);
    }

    @Test
    void metricsAnswerDirectLoopbackClientsOnly() {
        HttpResponse<String> metrics = Http.get("metrics");
        if (HeraldTarget.proxied()) {
            assertThat(metrics.statusCode()).as("through the proxy").isEqualTo(403);
            return;
        }
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("Content-Type")).hasValueSatisfying(t ->
                // the Prometheus text format, 0.0.4; Tomcat writes the parameters without the space
                assertThat(t.replace(" ", "")).startsWith("text/plain;version=0.0.4"));
        assertThat(metrics.body()).contains("herald_connections{transport=\"ws\"}", "herald_publishes_total",
                "jvm_memory_used_bytes");
        assertThat(Http.send(java.net.http.HttpRequest.newBuilder(HeraldTarget.http("metrics"))
                .header("X-Forwarded-For", "203.0.113.7").build()).statusCode()).isEqualTo(403);
    }
}
