package dev.herald.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.herald.core.Envelope;
import dev.herald.core.Gap;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** docs/protocol.md, "Server-Sent Events": encoding, and why a field can never be injected. */
class SseEventsTest {

    @Test
    void dataIsSplitIntoOneDataLinePerLine() {
        String event = SseEvents.event(new StringBuilder(), "chat", "one\ntwo\r\nthree\rfour").toString();
        assertThat(event).isEqualTo("event: chat\ndata: one\ndata: two\ndata: three\ndata: four\n\n");
    }

    @Test
    void injectedNewlinesInDataCannotStartAField() {
        String event = SseEvents.event(new StringBuilder(), "x", "a\nid: evil\nevent: evil").toString();
        assertThat(event.lines()).allMatch(l -> l.isEmpty() || l.startsWith("data: ") || l.startsWith("event: x"));
    }

    @Test
    void crLfAndNulAreRefusedInEventNamesAndIds() {
        for (String bad : new String[] {"a\nb", "a\rb", "a\0b"}) {
            assertThatThrownBy(() -> SseEvents.event(new StringBuilder(), bad, "1"))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> SseEvents.idOnly(bad)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void anEnvelopeTailCarriesItsEventNameAndItsJsonOnOneDataLine() {
        Envelope e = new Envelope("prices:ACME", 42, "ep", "price", "{\"p\":\"a\\nb\"}", 1764000000000L);
        String tail = new String(SseEvents.envelopeTail(e), StandardCharsets.UTF_8);
        assertThat(tail).isEqualTo("\nevent: price\ndata: {\"channel\":\"prices:ACME\",\"offset\":42,\"id\":\"ep-42\","
                + "\"event\":\"price\",\"data\":{\"p\":\"a\\nb\"},\"ts\":1764000000000}\n\n");
        assertThat(SseEvents.envelopeTail(e)).isSameAs(SseEvents.envelopeTail(e));
        String whole = new String(SseEvents.singleChannelEvent(e, false), StandardCharsets.UTF_8);
        assertThat(whole).isEqualTo("id: " + e.channel() + "=" + e.id() + tail);
        assertThat(SseEvents.singleChannelEvent(e, false)).isSameAs(SseEvents.singleChannelEvent(e, false));
        String unnamed = new String(SseEvents.singleChannelEvent(e, true), StandardCharsets.UTF_8);
        assertThat(unnamed).isEqualTo("id: " + e.channel() + "=" + e.id()
                + new String(SseEvents.unnamedEnvelopeTail(e), StandardCharsets.UTF_8)).doesNotContain("event:");
    }

    @Test
    void gapsAreHeraldGapEvents() {
        assertThat(SseEvents.gap(new Gap("c", 2, 7, false, "ep")))
                .isEqualTo("event: herald-gap\ndata: {\"channel\":\"c\",\"requested\":2,\"earliest\":7}\n\n");
        assertThat(SseEvents.gap(new Gap("c", 9, 1, true, "ep")))
                .contains("\"reset\":true,\"epoch\":\"ep\"");
        assertThat(SseEvents.retry(2000)).isEqualTo("retry: 2000\n\n");
    }

    @Test
    void inHeraldModeEnvelopesAreUnnamedAndTheHeartbeatIsAnEvent() {
        Envelope e = new Envelope("c", 1, "ep", "price", "1", 5);
        assertThat(new String(SseEvents.unnamedEnvelopeTail(e), StandardCharsets.UTF_8)).isEqualTo(
                "\ndata: {\"channel\":\"c\",\"offset\":1,\"id\":\"ep-1\",\"event\":\"price\",\"data\":1,\"ts\":5}\n\n");
        assertThat(SseEvents.unnamedEnvelopeTail(e)).isSameAs(SseEvents.unnamedEnvelopeTail(e));
        assertThat(SseEvents.heraldHeartbeat(15000)).isEqualTo("event: herald-heartbeat\ndata: {\"interval\":15000}\n\n");
    }
}
