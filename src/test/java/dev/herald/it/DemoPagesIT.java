package dev.herald.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The demo pages and herald.js are served by every deployment, under whatever context path, and every asset a page
 * refers to is there. (The browser tests check that the pages work; this one runs on every container.)
 */
class DemoPagesIT {
    private static final Pattern LOCAL_REFERENCE = Pattern.compile("(?:src|href)=\"(?!https?:|#|mailto:)([^\"]+)\"");
    private static final Pattern IMPORT = Pattern.compile("from '\\./([^']+)'");

    @Test
    void everyPageAndEverythingItRefersToIsServed() {
        for (String page : new String[] {"", "ticker.html", "chat.html"}) {
            HttpResponse<String> r = Http.get(page);
            assertThat(r.statusCode()).as(page).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Type").orElse("")).as(page).startsWith("text/html");
            Matcher m = LOCAL_REFERENCE.matcher(r.body());
            int assets = 0;
            while (m.find()) {
                String asset = m.group(1);
                if (asset.startsWith("/")) {
                    throw new AssertionError(page + " refers to " + asset + " by absolute path: breaks under /herald");
                }
                assertThat(Http.get(asset.equals("./") ? "" : asset).statusCode()).as(page + " -> " + asset).isEqualTo(200);
                assets++;
            }
            assertThat(assets).as("assets of " + page).isGreaterThan(2);
        }
    }

    @Test
    void heraldJsAndItsTypesAreServedAndTheDemoScriptsImportItRelatively() {
        HttpResponse<String> js = Http.get("herald.js");
        assertThat(js.statusCode()).isEqualTo(200);
        assertThat(js.headers().firstValue("Content-Type").orElse("")).contains("javascript");
        assertThat(js.body()).contains("export");
        assertThat(Http.get("herald.d.ts").statusCode()).isEqualTo(200);
        for (String module : new String[] {"herald-share.js", "herald-worker.js"}) { // issue 16: cross-tab sharing
            HttpResponse<String> m = Http.get(module);
            assertThat(m.statusCode()).as(module).isEqualTo(200);
            assertThat(m.headers().firstValue("Content-Type").orElse("")).as(module).contains("javascript");
        }
        for (String script : new String[] {"ticker.js", "chat.js"}) {
            Matcher m = IMPORT.matcher(Http.get(script).body());
            assertThat(m.find()).as(script + " imports herald.js relatively").isTrue();
            assertThat(Http.get(m.group(1)).statusCode()).isEqualTo(200);
        }
    }
}
