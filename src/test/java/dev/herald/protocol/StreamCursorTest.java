package dev.herald.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.core.Envelope;
import dev.herald.core.Gap;
import dev.herald.core.StreamPosition;
import dev.herald.core.Subscribed;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** docs/protocol.md section 6.1: the resume token a stream's position on each of its channels writes. */
class StreamCursorTest {

    @Test
    void aSubscriptionStartsAtItsResumePositionAndEachEnvelopeMovesItsChannelOn() {
        StreamCursor cursor = new StreamCursor();
        assertThat(cursor.token()).isEmpty();
        cursor.advance(new Subscribed("a", 9, "ep1", 4, null));
        cursor.advance(new Subscribed("b", 0, "ep2", 0, null));
        assertThat(cursor.token()).isEqualTo("a=ep1-4,b=ep2-0");
        cursor.advance(new Envelope("a", 5, "ep1", "m", "1", 0));
        cursor.advance(new Envelope("b", 1, "ep2", "m", "1", 0));
        assertThat(ResumeToken.parse(cursor.token()))
                .isEqualTo(Map.of("a", new StreamPosition(5, "ep1"), "b", new StreamPosition(1, "ep2")));
    }

    @Test
    void aGapMovesToJustBeforeWhereDeliveryContinuesInTheNewEpochForAReset() {
        StreamCursor cursor = new StreamCursor();
        cursor.seed("a", 9, "old");
        cursor.seed("b", 3, null);
        assertThat(cursor.token()).isEqualTo("a=old-9,b=3");
        cursor.advance(new Gap("a", 10, 20, false, "old"));
        assertThat(cursor.token()).isEqualTo("a=old-19,b=3");
        cursor.advance(new Gap("a", 20, 1, true, "new"));
        assertThat(cursor.token()).isEqualTo("a=new-0,b=3");
    }
}
