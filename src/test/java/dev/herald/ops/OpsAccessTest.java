package dev.herald.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.herald.core.HeraldConfig;
import dev.herald.core.OpsSettings;
import jakarta.servlet.http.HttpServletRequest;
import java.lang.reflect.Proxy;
import java.security.Principal;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** Who may read {@code {ctx}/metrics} and use {@code {ctx}/admin/} (README, "Operate"; {@link OpsAccess}). */
class OpsAccessTest {
    private static final String TOKEN = "0123456789abcdef-ops";

    @Test
    void byDefaultOnlyDirectLoopbackClients() {
        OpsAccess access = new OpsAccess(HeraldConfig.defaults().ops());
        assertThat(access.allows(request("127.0.0.1", Map.of(), null, null))).isTrue();
        assertThat(access.allows(request("::1", Map.of(), null, null))).isTrue();
        assertThat(access.allows(request("127.0.0.1", Map.of("X-Forwarded-For", "203.0.113.9"), null, null)))
                .as("through a proxy on the same host").isFalse();
        assertThat(access.allows(request("127.0.0.1", Map.of("Forwarded", "for=203.0.113.9"), null, null))).isFalse();
        assertThat(access.allows(request("192.0.2.4", Map.of(), null, null))).isFalse();
        assertThat(access.allows(request("localhost.evil.example", Map.of(), null, null))).isFalse();
    }

    @Test
    void aTokenOpensThemToAnyoneWhoPresentsIt() {
        OpsAccess access = new OpsAccess(settings(TOKEN, null));
        assertThat(access.allows(request("192.0.2.4", Map.of("Authorization", "Bearer " + TOKEN), null, null))).isTrue();
        assertThat(access.allows(request("192.0.2.4", Map.of(), "token=" + TOKEN, null))).isTrue();
        assertThat(access.allows(request("192.0.2.4", Map.of("Authorization", "Bearer wrong-token-000000"), null,
                null))).isFalse();
        assertThat(access.allows(request("127.0.0.1", Map.of(), null, null)))
                .as("with a token set, loopback alone is not enough").isFalse();
    }

    @Test
    void aRoleOpensThemToContainerUsersInIt() {
        OpsAccess access = new OpsAccess(settings(null, "ops"));
        assertThat(access.allows(request("192.0.2.4", Map.of(), null, "ops"))).isTrue();
        assertThat(access.allows(request("192.0.2.4", Map.of(), null, "user"))).isFalse();
        assertThat(access.allows(request("127.0.0.1", Map.of(), null, null))).isFalse();
    }

    @Test
    void settingsAreReadAndChecked() {
        OpsSettings s = HeraldConfig.from(Map.of("herald.drain.timeout", "3s", "herald.health.engine", "true",
                "herald.ops.token", TOKEN, "herald.metrics", "false", "herald.log.summary", "0")::get).ops();
        assertThat(s).isEqualTo(new OpsSettings(Duration.ofSeconds(3), true, TOKEN, null, false, Duration.ZERO));
        assertThat(HeraldConfig.defaults().ops()).isEqualTo(new OpsSettings(Duration.ofSeconds(10), false, null, null,
                true, Duration.ofMinutes(1)));
        assertThatThrownBy(() -> HeraldConfig.from(Map.of("herald.ops.token", "short")::get))
                .hasMessageContaining("herald.ops.token");
    }

    private static OpsSettings settings(String token, String role) {
        return new OpsSettings(Duration.ofSeconds(10), false, token, role, true, Duration.ofMinutes(1));
    }

    /** A request from {@code address} with these headers and query, its user in {@code role} (null: no user). */
    private static HttpServletRequest request(String address, Map<String, String> headers, String query, String role) {
        return (HttpServletRequest) Proxy.newProxyInstance(OpsAccessTest.class.getClassLoader(),
                new Class<?>[] {HttpServletRequest.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "getRemoteAddr" -> address;
                    case "getHeader" -> headers.get((String) args[0]);
                    case "getQueryString" -> query;
                    case "getUserPrincipal" -> role == null ? null : (Principal) () -> "someone";
                    case "isUserInRole" -> role != null && role.equals(args[0]);
                    default -> null;
                });
    }
}
