package dev.herald.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.herald.core.ErrorCode;
import dev.herald.core.HeraldException;
import dev.herald.core.StreamPosition;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** docs/protocol.md, "Resume token". */
class ResumeTokenTest {

    @Test
    void formatsAndParsesEveryChannelsPosition() {
        Map<String, String> positions = new LinkedHashMap<>();
        positions.put("chat:lobby", "k2x9-12");
        positions.put("prices:ACME", "ab12-0");
        String token = ResumeToken.format(new StringBuilder(), positions).toString();
        assertThat(token).isEqualTo("chat:lobby=k2x9-12,prices:ACME=ab12-0");
        assertThat(ResumeToken.parse(token)).containsExactly(
                Map.entry("chat:lobby", new StreamPosition(12, "k2x9")),
                Map.entry("prices:ACME", new StreamPosition(0, "ab12")));
    }

    @Test
    void anOffsetWithoutEpochIsAccepted() {
        assertThat(ResumeToken.parse("a-b@c=7")).containsExactly(Map.entry("a-b@c", new StreamPosition(7, null)));
        assertThat(ResumeToken.parse(null)).isEmpty();
        assertThat(ResumeToken.parse("  ")).isEmpty();
    }

    @Test
    void malformedTokensAreBadRequests() {
        for (String bad : new String[] {"x", "=1", "c=", "c=abc", "c=-1", "c=e p-1", "bad channel=1", "c=1,,d=2"}) {
            assertThatThrownBy(() -> ResumeToken.parse(bad)).as(bad).isInstanceOfSatisfying(HeraldException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST));
        }
        assertThatThrownBy(() -> ResumeToken.parse("c=1,".repeat(5000))).isInstanceOf(HeraldException.class);
    }
}
