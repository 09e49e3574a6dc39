package dev.herald.it;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import org.junit.jupiter.api.Test;

/** docs/protocol.md, "HTTP": history reads. */
class HistoryApiIT {

    @Test
    void historyReturnsTheMessagesAfterSinceOldestFirstUpToTheLimit() {
        String channel = Http.channel("history");
        JsonObject empty = Http.json(Http.get("api/channels/" + channel + "/messages"));
        assertThat(empty.get("earliest")).isEqualTo(JsonValue.NULL);
        assertThat(empty.get("latest")).isEqualTo(JsonValue.NULL);
        assertThat(empty.getJsonArray("messages")).isEmpty();

        for (int i = 1; i <= 6; i++) {
            Http.publish(channel, Integer.toString(i));
        }
        JsonObject page = Http.json(Http.get("api/channels/" + channel + "/messages?since=2&limit=3"));
        assertThat(page.getString("channel")).isEqualTo(channel);
        assertThat(page.getInt("earliest")).isEqualTo(1);
        assertThat(page.getInt("latest")).isEqualTo(6);
        assertThat(page.getJsonArray("messages").getValuesAs(JsonObject.class))
                .extracting(o -> o.getInt("offset")).containsExactly(3, 4, 5);
        JsonObject all = Http.json(Http.get("api/channels/" + channel + "/messages"));
        assertThat(all.getJsonArray("messages")).hasSize(6);
        assertThat(all.getJsonArray("messages").getJsonObject(0).getString("event")).isEqualTo("message");
    }

    @Test
    void theChannelMayTravelInTheQueryInsteadOfThePath() {
        String channel = Http.channel("query");
        String encoded = java.net.URLEncoder.encode(channel, java.nio.charset.StandardCharsets.UTF_8);
        var posted = Http.post("api/messages?channel=" + encoded + "&event=note", "application/json", "{\"n\":1}");
        assertThat(posted.statusCode()).as(posted.body()).isEqualTo(201);
        assertThat(Http.json(posted).getString("channel")).isEqualTo(channel);
        assertThat(Http.json(posted).getString("event")).isEqualTo("note");

        JsonObject viaQuery = Http.json(Http.get("api/messages?channel=" + encoded + "&since=0"));
        JsonObject viaPath = Http.json(Http.get("api/channels/" + channel + "/messages?since=0"));
        assertThat(viaQuery).isEqualTo(viaPath);
        assertThat(viaQuery.getJsonArray("messages")).hasSize(1);
        assertThat(Http.json(Http.get("api/channels?channel=" + encoded)).getInt("latest")).isEqualTo(1);
        assertThat(Http.get("api/messages?channel=bad%20name").statusCode()).isEqualTo(400);
        assertThat(Http.get("api/messages").statusCode()).isEqualTo(404);
    }
}
