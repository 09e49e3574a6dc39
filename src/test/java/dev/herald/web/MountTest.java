package dev.herald.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code herald.path}: where it comes from (README, "Add Herald to your application") and what it may be. */
class MountTest {

    @Test
    void defaultsToSlashHeraldWhenNothingIsSet() {
        assertThat(Mount.of(key -> null, null).path()).isEqualTo("/herald");
    }

    @Test
    void theContextParamMovesItAndEmptyOrSlashMeansTheContextRoot() {
        assertThat(Mount.of(key -> null, "/realtime").path()).isEqualTo("/realtime");
        assertThat(Mount.of(key -> null, "/").path()).isEmpty();
        assertThat(Mount.of(key -> null, "").path()).isEmpty();
        assertThat(Mount.of(key -> null, "  ").path()).isEmpty();
    }

    @Test
    void theSystemPropertyOrEnvironmentWinsOverTheContextParam() {
        assertThat(Mount.of(Map.of("herald.path", "/push")::get, "/").path()).isEqualTo("/push");
        assertThat(Mount.of(Map.of("herald.path", "")::get, "/realtime").path()).isEmpty();
    }

    @Test
    void isNormalisedToOneLeadingSlashAndNoTrailingOne() {
        assertThat(Mount.of(key -> null, "realtime/").path()).isEqualTo("/realtime");
        assertThat(Mount.of(key -> null, " /a/b// ").path()).isEqualTo("/a/b");
        assertThat(new Mount("/a").at("/ws")).isEqualTo("/a/ws");
        assertThat(new Mount("").at("/ws")).isEqualTo("/ws");
    }

    @Test
    void refusesWhatIsNotAPlainPath() {
        for (String bad : new String[] {"/a/*", "/a?b", "/a b", "/a//b", "/../x", "/a/.", "/a/%2e"}) {
            assertThatThrownBy(() -> Mount.of(key -> null, bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("herald.path");
        }
    }
}
