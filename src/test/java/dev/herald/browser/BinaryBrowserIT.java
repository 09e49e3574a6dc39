package dev.herald.browser;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.it.HeraldTarget;
import dev.herald.it.Http;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Issue 15 item 6 (docs/protocol.md 2.2, docs/client.md): herald.js in a real browser publishes binary data (a
 * {@code Uint8Array} over WebSocket, a {@code Blob} over HTTP from an SSE connection) and receives binary messages as
 * {@code ArrayBuffer} on all three transports, with the same bytes and offsets, from a real Herald.
 *
 * <p>Three connections of one page, each held to one transport ({@code transports}) and its own ({@code share:
 * false}); each records, per message, whether {@code data} is an ArrayBuffer, its offset and its bytes.
 */
class BinaryBrowserIT {
    private static final String PAGE = """
            const channel = arguments[0];
            window.__got = { ws: [], sse: [], poll: [] }; window.__acks = []; window.__errors = [];
            import('./herald.js').then(({ Herald }) => {
              window.__conns = {};
              for (const t of ['ws', 'sse', 'poll']) {
                const h = window.__conns[t] = Herald.connect({ transports: [t], share: false });
                h.subscribe(channel, m => window.__got[t].push({
                  buffer: m.data instanceof ArrayBuffer, offset: m.offset, event: m.event,
                  bytes: m.data instanceof ArrayBuffer ? Array.from(new Uint8Array(m.data)) : m.data }));
              }
            });
            """;
    private static final String PUBLISH = """
            const channel = arguments[0];
            const { ws, sse } = window.__conns;
            const pub = (h, event, data) => h.publish(channel, event, data)
              .then(ack => window.__acks.push(ack.offset), e => window.__errors.push(e.code));
            pub(ws, 'array', new Uint8Array([0, 10, 255, 34, 128]))
              .then(() => pub(sse, 'blob', new Blob([new Uint8Array([1, 2, 3])])))
              .then(() => pub(ws, 'json', { n: 3 }));
            """;

    @Test
    void herald_jsPublishesAndReceivesBytesOnEveryTransport() {
        String channel = Http.channel("bytes");
        try (Chromium browser = Chromium.start()) {
            browser.open(HeraldTarget.base().resolve("index.html"));
            browser.js(PAGE, channel);
            Awaitility.await("three connections open").atMost(Chromium.WAIT).until(() -> Boolean.TRUE.equals(browser.js(
                    "const c = window.__conns; return !!c && ['ws','sse','poll'].every(t => c[t].state === 'open')")));
            Awaitility.await("subscribed on this node").atMost(Chromium.WAIT)
                    .until(() -> Http.subscribers(channel) >= 3);
            browser.js(PUBLISH, channel);
            Awaitility.await("three messages on every transport").atMost(Chromium.WAIT).until(() -> Boolean.TRUE
                    .equals(browser.js("return Object.values(window.__got).every(l => l.length >= 3)")));

            assertThat((List<?>) browser.js("return window.__errors")).isEmpty();
            for (String transport : List.of("ws", "sse", "poll")) {
                List<?> got = (List<?>) browser.js("return window.__got[arguments[0]]", transport);
                assertThat(got).as(transport).hasSize(3);
                Map<?, ?> array = (Map<?, ?>) got.get(0);
                Map<?, ?> blob = (Map<?, ?>) got.get(1);
                Map<?, ?> json = (Map<?, ?>) got.get(2);
                assertThat(List.of(array.get("offset"), blob.get("offset"), json.get("offset"))).as(transport)
                        .containsExactly(1L, 2L, 3L);
                assertThat(array.get("buffer")).as(transport).isEqualTo(true);
                assertThat(array.get("bytes")).as(transport).isEqualTo(List.of(0L, 10L, 255L, 34L, 128L));
                assertThat(blob.get("event")).isEqualTo("blob");
                assertThat(blob.get("bytes")).as(transport).isEqualTo(List.of(1L, 2L, 3L));
                assertThat(json.get("buffer")).as(transport).isEqualTo(false);
                assertThat(json.get("bytes")).as(transport).isEqualTo(Map.of("n", 3L));
            }
            assertThat(browser.js("return window.__acks")).isEqualTo(List.of(1L, 2L, 3L));
        }
    }
}
